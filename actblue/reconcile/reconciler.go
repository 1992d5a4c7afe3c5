package reconcile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reports"
)

// Rower yields the rows of ActBlue's reports of a type for the days from
// (inclusive) to to (exclusive), as reports.Client.Rows does.
type Rower interface {
	Rows(ctx context.Context, t reports.Type, from, to time.Time) iter.Seq2[reports.Row, error]
}

var _ Rower = (*reports.Client)(nil)

// A Reconciler compares ActBlue's reports of one tenant with the store
// of an Ingester. Set Reports, Ingester and Tenant; the zero value of the
// other fields means their default. A Reconciler may run several times,
// one run at a time.
type Reconciler struct {
	// Reports reads ActBlue's reports: a *reports.Client with the API
	// credential of the tenant's entity.
	Reports Rower

	// Ingester reads the store and, with Apply, journals and applies rows.
	Ingester *donorsync.Ingester

	// Tenant is the tenant the credential's entity is received as.
	Tenant string

	// Apply journals and applies the rows that mend a Missing, NotRefunded
	// or NotCancelled difference, and those that could not be read (which
	// are then quarantined in the journal, for an operator to see).
	Apply bool

	// MaxListed bounds Report.Differences: 1000 by default; Counts counts
	// them all.
	MaxListed int

	// Concurrency bounds the rows being applied at once: 512 by default,
	// two batches of the rows compared in one read, so that a batch is
	// compared while the one before it is applied. Rows applied together
	// share transactions (see Ingester.Receive): fewer rows in flight make
	// smaller transactions, and on PostgreSQL a backfill several times
	// slower.
	Concurrency int

	// Logger receives a line per row applied (Debug) and per row that
	// could not be applied (Warn). Nil means the Ingester's logger.
	Logger *slog.Logger
}

// Run reconciles the days from (inclusive) to to (exclusive), read in
// the calendar of each. It returns the report of what it found, and an
// error when a report could not be read or a row could not be journaled:
// the report is then partial, and what was applied stays applied.
func (r *Reconciler) Run(ctx context.Context, from, to time.Time) (*Report, error) {
	if r.Reports == nil || r.Ingester == nil || r.Ingester.Store == nil || r.Tenant == "" {
		return nil, errors.New("reconcile: a Reconciler needs Reports, an Ingester with a Store, and a Tenant")
	}
	run := newRun(r, from, to)
	err := run.reports(ctx)
	if err == nil {
		err = run.scan(ctx)
	}
	if werr := run.apply.wait(); err == nil {
		err = werr
	}
	return run.report, err
}

// reports reads and compares the three reports, in turn.
func (run *run) reports(ctx context.Context) error {
	for _, t := range []reports.Type{reports.Paid, reports.Refunded, reports.CancelledRecurring} {
		if err := run.read(ctx, t); err != nil {
			return fmt.Errorf("reconcile: %s: %w", t, err)
		}
	}
	return nil
}

// batchRows is how many rows are compared in one read transaction.
const batchRows = 256

// read compares the rows of the reports of type t with the store, a
// batch at a time.
func (run *run) read(ctx context.Context, t reports.Type) error {
	batch := make([]reports.Row, 0, batchRows)
	for row, err := range run.r.Reports.Rows(ctx, t, run.from, run.to) {
		var fe *reports.FieldError
		if err != nil && !errors.As(err, &fe) {
			return err
		}
		run.report.Rows++
		if err != nil {
			run.unreadable(ctx, t, &row, err)
			continue
		}
		if batch = append(batch, row); len(batch) == batchRows {
			if err := run.compare(ctx, t, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		if err := run.apply.failed(); err != nil {
			return err
		}
	}
	return run.compare(ctx, t, batch)
}
