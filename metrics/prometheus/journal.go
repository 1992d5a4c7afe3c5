package prommetrics

import (
	"context"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// A StatsReader reads the statistics of a journal: a
// *donorsync.Ingester.
type StatsReader interface {
	JournalStats(ctx context.Context, tenant string, since time.Time) (donorsync.JournalStats, error)
}

// journalCollector collects the journal's gauges, from a Journal.
type journalCollector struct {
	journal *metrics.Journal

	received, backlog, oldest, last, errors *prometheus.Desc
}

func newJournalCollector(opts Options) *journalCollector {
	j := metrics.NewJournal(opts.Stats, metrics.JournalOptions{
		TTL: opts.StatsTTL, Timeout: opts.StatsTimeout, Window: opts.Window, Now: opts.Now,
	})
	name := func(n string) string { return prometheus.BuildFQName(namespace, "journal", n) }
	return &journalCollector{
		journal: j,
		received: prometheus.NewDesc(name("recent_deliveries"),
			"Deliveries received in the last "+metrics.Duration(j.Window())+", by their status now.", []string{"status"}, nil),
		backlog: prometheus.NewDesc(name("backlog_deliveries"),
			"Deliveries still to be applied, whenever received: pending, and failed (to be tried again).", []string{"status"}, nil),
		oldest: prometheus.NewDesc(name("oldest_pending_age_seconds"),
			"Age of the oldest delivery still to be applied (pending or failed); 0 when there is none.", nil, nil),
		last: prometheus.NewDesc(name("last_received_age_seconds"),
			"Time since the last delivery of a tenant from a provider was received.", []string{"tenant", "provider"}, nil),
		errors: prometheus.NewDesc(name("stats_errors_total"),
			"Reads of the journal's statistics that failed; the journal's gauges are missing from the scrapes they fail.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *journalCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.received, c.backlog, c.oldest, c.last, c.errors} {
		ch <- d
	}
}

// Collect reads the journal's statistics (at most once per TTL) and sends
// its gauges; when the read fails, only the count of failures.
func (c *journalCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.journal.Read(context.Background())
	ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(c.journal.Failures()))
	if err != nil {
		return
	}
	for _, st := range metrics.Statuses {
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.GaugeValue, float64(s.Received[st]), string(st))
	}
	for _, st := range metrics.Backlog {
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(s.Backlog[st]), string(st))
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, s.OldestPending)
	for _, a := range s.Last {
		ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, a.Seconds, metrics.Label(a.Tenant), metrics.Label(a.Provider))
	}
}
