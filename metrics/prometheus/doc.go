// Package prommetrics counts what donorsync's Handlers, Ingester and
// Workers do in Prometheus metrics, and reads the journal's gauges at
// each scrape. Its import path ends in prometheus, but its name is
// prommetrics, so that it does not shadow the client library's package
// prometheus, which the same files import to register it:
//
//	ingester := &donorsync.Ingester{Store: store}
//	obs := prommetrics.New(prommetrics.Options{Stats: ingester})
//	ingester.Observer = obs // before the Ingester's first use
//	prometheus.MustRegister(obs)
//	mux.Handle("GET /metrics", promhttp.Handler())
//
// An Observer is a prometheus.Collector: register it once. Its metrics:
//
//	name                                          type       labels                                    what
//	donorsync_webhook_requests_total              counter    provider, [tenant,] outcome,              webhook requests answered
//	                                                         auth_failure, code
//	donorsync_webhook_request_duration_seconds    histogram  provider, code                            start of a request to its answer
//	donorsync_webhook_request_size_bytes          histogram  provider                                  bodies read
//	donorsync_webhook_journal_duration_seconds    histogram  provider                                  journaling a delivery (and, inline,
//	                                                                                                   applying it), after its upload
//	donorsync_deliveries_applied_total            counter    provider, [tenant,] status, mode          deliveries applied, or tried
//	donorsync_delivery_retries_total              counter    provider, [tenant,] status                those of them tried before
//	donorsync_deliveries_dead_total               counter    provider, [tenant]                        deliveries moved to dead
//	donorsync_apply_duration_seconds              histogram  provider, mode                            the transaction that applied a delivery
//
// and, with Options.Stats, the journal's gauges, read from the store:
//
//	donorsync_journal_backlog_deliveries          gauge      status (pending, failed)                  still to be applied
//	donorsync_journal_oldest_pending_age_seconds  gauge                                                the oldest of them; 0 when none
//	donorsync_journal_last_received_age_seconds   gauge      tenant, provider                          since the last delivery received
//	donorsync_journal_recent_deliveries           gauge      status                                    received in the last Window
//	donorsync_journal_stats_errors_total          counter                                              reads of the journal that failed
//
// The labels:
//
//   - provider: "actblue", "anedot", "actionnetwork", or another Source's
//     Provider.
//   - outcome: how the request was answered: the status of its delivery
//     when it was journaled (processed, pending, duplicate, quarantined,
//     failed), or why it was refused (unauthorized, too_large, method,
//     unreadable, busy, unavailable): see observe.Outcome.
//   - auth_failure: for a 401, its cause (unknown_tenant,
//     wrong_credential, malformed, unspecified; see
//     observe.AuthFailure), which the answer does not tell the sender;
//     "" otherwise.
//   - code: the HTTP status code sent.
//   - status: the status of a delivery: for an apply, the committed one
//     (processed, quarantined, failed, dead).
//   - mode: inline (applied before the answer) or queued (by a Worker or
//     a replay).
//   - tenant: on the journal's freshness gauge always; on the request and
//     apply counters only with Options.Tenants, capped at
//     Options.MaxTenants distinct values (the others are "_other"); never
//     on histograms.
//
// Durations are in seconds, sizes in bytes, ages in seconds at the
// Options.Now clock when the scrape is served.
//
// Every series of a request or apply is made when its first event is
// counted, and donorsync_deliveries_dead_total of a provider with the
// first apply of that provider, at 0: the first dead letter is an
// increase that increase() and rate() see.
//
// The journal's gauges cost a read of the store: a View running
// donorsync.Tx.JournalStats, which counts the journal. A read serves the
// scrapes of the next Options.StatsTTL (a minute by default), concurrent
// scrapes share one read, and a scrape waits Options.StatsTimeout (5 s)
// at most. When a read fails or times out, the scrapes it serves lack the
// journal's gauges and donorsync_journal_stats_errors_total counts it.
package prommetrics
