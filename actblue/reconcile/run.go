package reconcile

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/flex"
)

// A run is one reconciliation.
type run struct {
	r      *Reconciler
	log    *slog.Logger
	report *Report

	from, to   time.Time // the days, at midnight UTC, as requested
	start, end time.Time // the instants they span, in ActBlue's calendar

	paid, refunded ids // the line items in each report
	apply          *applier

	mu sync.Mutex // guards report while rows are applied
}

func newRun(r *Reconciler, from, to time.Time) *run {
	from, to = day(from), day(to)
	log := r.Logger
	if log == nil {
		log = r.Ingester.Logger
	}
	if log == nil {
		log = slog.Default()
	}
	return &run{
		r:      r,
		log:    log,
		report: &Report{Tenant: r.Tenant, From: from, To: to, Counts: map[Kind]int{}, Differences: []Difference{}},
		from:   from, to: to,
		start: flex.USEastern(from), end: flex.USEastern(to),
		apply: newApplier(r.Ingester, &actblue.Source{}, orDefault(r.Concurrency, defaultConcurrency)),
	}
}

// defaultConcurrency is Reconciler.Concurrency's default: two batches.
const defaultConcurrency = 2 * batchRows

// day is the calendar day of t, at midnight UTC.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// record counts d, lists it while the list has room and, with Apply,
// applies the row of a report of type t that mends it.
func (run *run) record(ctx context.Context, d Difference, t reports.Type, row *reports.Row) {
	run.mu.Lock()
	rep := run.report
	rep.Counts[d.Kind]++
	i := -1
	if len(rep.Differences) < orDefault(run.r.MaxListed, 1000) {
		i = len(rep.Differences)
		rep.Differences = append(rep.Differences, d)
	}
	run.mu.Unlock()
	if !run.r.Apply || !d.Kind.applicable() || row == nil {
		return
	}
	dl, err := actblue.ReportDelivery(run.r.Tenant, t, row)
	if err != nil {
		run.log.Warn("reconcile: a row cannot be applied", "report", t, "line", row.Line, "err", err)
		return
	}
	run.apply.submit(ctx, dl, func(dl *donorsync.Delivery) { run.applied(i, dl) })
}

// applied records the outcome of applying the row of the i-th listed
// difference (-1 when it is not listed).
func (run *run) applied(i int, d *donorsync.Delivery) {
	if d.Status == donorsync.Processed {
		run.log.Debug("reconcile: row applied", "tenant", d.Tenant, "kind", d.Kind, "key", d.Key, "delivery", d.ID)
	} else {
		run.log.Warn("reconcile: row not applied", "tenant", d.Tenant, "kind", d.Kind, "key", d.Key, "delivery", d.ID, "status", d.Status, "err", d.Error)
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	if d.Status == donorsync.Processed {
		run.report.Applied++
	}
	if i >= 0 {
		ld := &run.report.Differences[i]
		ld.Applied, ld.DeliveryID = d.Status, d.ID
		if d.Status != donorsync.Processed && ld.Error == "" {
			ld.Error = d.Error
		}
	}
}
