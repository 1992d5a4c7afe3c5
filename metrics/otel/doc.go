// Package otelmetrics records what donorsync's Handlers, Ingester and
// Workers do with OpenTelemetry instruments, and observes the journal's
// statistics when its instruments are collected. Its import path ends in
// otel, but its name is otelmetrics, so that it does not shadow package
// go.opentelemetry.io/otel, which the same files often import:
//
//	ingester := &donorsync.Ingester{Store: store}
//	obs, err := otelmetrics.New(otel.GetMeterProvider(), otelmetrics.Options{Stats: ingester})
//	if err != nil { ... }
//	defer obs.Close()
//	ingester.Observer = obs // before the Ingester's first use
//
// The instruments, named after OpenTelemetry's semantic conventions (units
// in UCUM), made by the Meter named ScopeName:
//
//	name                                   instrument                 unit        attributes
//	donorsync.webhook.requests             Int64Counter               {request}   provider, [tenant,] outcome, [auth_failure,] http.response.status_code
//	donorsync.webhook.request.duration     Float64Histogram           s           provider, http.response.status_code
//	donorsync.webhook.request.body.size    Int64Histogram             By          provider
//	donorsync.webhook.journal.duration     Float64Histogram           s           provider
//	donorsync.delivery.applied             Int64Counter               {delivery}  provider, [tenant,] delivery.status, apply.mode
//	donorsync.delivery.retries             Int64Counter               {delivery}  provider, [tenant,] delivery.status
//	donorsync.delivery.dead                Int64Counter               {delivery}  provider, [tenant]
//	donorsync.delivery.apply.duration      Float64Histogram           s           provider, apply.mode
//
// and, with Options.Stats, asynchronous instruments read from the store:
//
//	donorsync.journal.backlog              Int64ObservableUpDownCounter  {delivery}  delivery.status (pending, failed)
//	donorsync.journal.oldest_pending.age   Float64ObservableGauge        s           (0 when the backlog is empty)
//	donorsync.journal.last_received.age    Float64ObservableGauge        s           tenant, provider
//	donorsync.journal.received             Int64ObservableUpDownCounter  {delivery}  delivery.status (in the last Window)
//	donorsync.journal.stats.errors         Int64ObservableCounter        {error}
//
// The attributes are namespaced: donorsync.provider, donorsync.tenant,
// donorsync.outcome, donorsync.auth_failure, donorsync.delivery.status and
// donorsync.apply.mode, beside the conventions' http.response.status_code.
// Their values are those of package
// github.com/donorsync/donorsync/metrics/prometheus, whose documentation
// describes them: an outcome is an observe.Outcome (the status of a
// journaled delivery, or why a request was refused), an auth_failure a
// observe.AuthFailure (only on a 401), a mode inline or queued.
// donorsync.tenant is on the freshness gauge always, and on the request
// and apply counters only with Options.Tenants, capped at
// Options.MaxTenants values (the others are "_other").
//
// The counts of deliveries by status are UpDownCounters, not Gauges, as
// the conventions ask of counts that add up (the backlog is the sum over
// its statuses); the ages are Gauges. An exporter to Prometheus writes
// both as gauges.
//
// The journal's instruments cost a read of the store: a View running
// donorsync.Tx.JournalStats, which counts the journal. A read serves the
// collections of the next Options.StatsTTL (a minute by default), concurrent
// collections share one read, and a collection waits Options.StatsTimeout
// (5 s) at most. When a read fails or times out, the collections it
// serves lack the journal's instruments and donorsync.journal.stats.errors
// counts it. The callback returns no error: a ManualReader's Collect
// would return it, and a PeriodicReader log it, at every collection while
// the store is down, which the count tells already.
package otelmetrics
