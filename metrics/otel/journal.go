package otelmetrics

import (
	"context"

	"github.com/donorsync/donorsync/internal/metrics"
	"go.opentelemetry.io/otel/metric"
)

// journalInstruments are the instruments of the journal's statistics.
type journalInstruments struct {
	journal *metrics.Journal

	received, backlog metric.Int64ObservableUpDownCounter
	oldest, last      metric.Float64ObservableGauge
	errors            metric.Int64ObservableCounter
}

// registerJournal makes the journal's instruments with m and registers
// the callback that reads them from opts.Stats.
func registerJournal(m metric.Meter, opts Options) (metric.Registration, error) {
	j := &journalInstruments{journal: metrics.NewJournal(opts.Stats, metrics.JournalOptions{
		TTL: opts.StatsTTL, Timeout: opts.StatsTimeout, Window: opts.Window, Now: opts.Now,
	})}
	var errs [5]error
	j.received, errs[0] = m.Int64ObservableUpDownCounter("donorsync.journal.received", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries received in the last "+metrics.Duration(j.journal.Window())+", by their status now."))
	j.backlog, errs[1] = m.Int64ObservableUpDownCounter("donorsync.journal.backlog", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries still to be applied, whenever received: pending, and failed (to be tried again)."))
	j.oldest, errs[2] = m.Float64ObservableGauge("donorsync.journal.oldest_pending.age", metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest delivery still to be applied (pending or failed); 0 when there is none."))
	j.last, errs[3] = m.Float64ObservableGauge("donorsync.journal.last_received.age", metric.WithUnit("s"),
		metric.WithDescription("Time since the last delivery of a tenant from a provider was received."))
	j.errors, errs[4] = m.Int64ObservableCounter("donorsync.journal.stats.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Reads of the journal's statistics that failed; the journal's instruments are missing from the collections they fail."))
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return m.RegisterCallback(j.observe, j.received, j.backlog, j.oldest, j.last, j.errors)
}

// observe reads the journal's statistics (at most once per TTL) and
// observes them; when the read fails, only the count of failures. It
// returns no error, which a reader would report at every collection while
// the store is down: the count tells it already.
func (j *journalInstruments) observe(ctx context.Context, o metric.Observer) error {
	s, err := j.journal.Read(ctx)
	o.ObserveInt64(j.errors, j.journal.Failures())
	if err != nil {
		return nil
	}
	for _, st := range metrics.Statuses {
		o.ObserveInt64(j.received, int64(s.Received[st]), metric.WithAttributes(keyStatus.String(string(st))))
	}
	for _, st := range metrics.Backlog {
		o.ObserveInt64(j.backlog, int64(s.Backlog[st]), metric.WithAttributes(keyStatus.String(string(st))))
	}
	o.ObserveFloat64(j.oldest, s.OldestPending)
	for _, a := range s.Last {
		o.ObserveFloat64(j.last, a.Seconds, metric.WithAttributes(keyTenant.String(a.Tenant), keyProvider.String(a.Provider)))
	}
	return nil
}
