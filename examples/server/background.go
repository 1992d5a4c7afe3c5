package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reconcile"
	"github.com/donorsync/donorsync/actblue/reports"
)

// backfillRetry is the wait before a failed backfill is tried again when
// there are no periodic runs to retry it with.
const backfillRetry = time.Hour

// A reconciliation runs the server's reconciliations with ActBlue's
// reports in the background, applying what the store is missing: the
// backfill until it completes, then the recent days at an interval. Runs
// happen one at a time, and an error waits for the next run.
type reconciliation struct {
	r        *reconcile.Reconciler // with Apply set
	every    time.Duration         // between the end of a run and the next; 0: no periodic runs
	days     int                   // the recent days are today and the days before it
	backfill *backfill             // nil: none asked for
	logger   *slog.Logger
	now      func() time.Time

	mu     sync.Mutex
	status reconcileStatus
}

// newReconciliation returns the reconciliations c asks for, through
// client and ingester; nil when it asks for none.
func newReconciliation(c *config, client *reports.Client, ingester *donorsync.Ingester, logger *slog.Logger) (*reconciliation, error) {
	if !c.reconciles() {
		return nil, nil
	}
	rc := &reconciliation{
		r:     &reconcile.Reconciler{Reports: client, Ingester: ingester, Tenant: tenant, Apply: true, Logger: logger},
		every: c.reconcileEvery, days: c.reconcileDays, logger: logger, now: time.Now,
	}
	if !c.backfillFrom.IsZero() {
		var err error
		if rc.backfill, err = newBackfill(c.backfillFrom, backfillPath(c), logger); err != nil {
			return nil, err
		}
	}
	return rc, nil
}

// run runs reconciliations until ctx is done, or until nothing is left
// to run: the first at once, the next every rc.every after the end of the
// one before.
func (rc *reconciliation) run(ctx context.Context) {
	for {
		rc.once(ctx)
		wait := rc.every
		if wait <= 0 {
			if !rc.backfill.pending() {
				return
			}
			wait = backfillRetry
		}
		if !pause(ctx, wait) {
			return
		}
	}
}

// once runs the backfill if it has not completed, and otherwise the
// recent days (which the backfill covers too).
func (rc *reconciliation) once(ctx context.Context) {
	tomorrow := actBlueDay(rc.now()).AddDate(0, 0, 1)
	if rc.backfill.pending() {
		rep, err := rc.reconcile(ctx, "backfill", rc.backfill.from, tomorrow)
		if err == nil {
			rc.backfill.complete(rep, rc.logger)
		}
		return
	}
	if rc.every > 0 {
		rc.reconcile(ctx, "recent", tomorrow.AddDate(0, 0, -1-rc.days), tomorrow)
	}
}

// reconcile reconciles the days from (inclusive) to to (exclusive),
// logs and counts the outcome.
func (rc *reconciliation) reconcile(ctx context.Context, run string, from, to time.Time) (*reconcile.Report, error) {
	started := rc.now()
	rep, err := rc.r.Run(ctx, from, to)
	err = explain(err)
	if err != nil && ctx.Err() != nil {
		rc.logger.Info("reconciliation stopped by the shutdown; it starts over at the next start", "run", run)
		return rep, err
	}
	if rep == nil {
		rep = &reconcile.Report{Tenant: rc.r.Tenant, From: from, To: to, Counts: map[reconcile.Kind]int{}}
	}
	rc.record(run, started, rep, err)
	attrs := []any{"run", run, "tenant", rep.Tenant, "from", day(rep.From), "to", day(rep.To), "rows", rep.Rows, "stored", rep.Stored}
	for _, k := range reconcile.Kinds {
		attrs = append(attrs, string(k), rep.Counts[k])
	}
	attrs = append(attrs, "applied", rep.Applied, "took", rc.now().Sub(started).Round(time.Millisecond))
	if err != nil {
		rc.logger.Warn("reconciliation with ActBlue's reports failed; it runs again next time", append(attrs, "err", err)...)
	} else {
		rc.logger.Info("reconciled with ActBlue's reports", attrs...)
	}
	return rep, err
}

// pause waits d, and reports whether ctx is still going.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// day writes t as YYYY-MM-DD.
func day(t time.Time) string {
	return t.Format(time.DateOnly)
}

// describe says in a line what rc does, for the start-up text; "" when
// rc is nil.
func (rc *reconciliation) describe() string {
	if rc == nil {
		return ""
	}
	var s string
	if rc.every > 0 {
		s = fmt.Sprintf("today and the %d days before it, at start and every %v", rc.days, rc.every)
	}
	if rc.backfill != nil {
		if s != "" {
			s += "; "
		}
		s += "backfill from " + day(rc.backfill.from)
		if rc.backfill.pending() {
			s += " (to run now, in the background)"
		} else {
			s += " (done, recorded in " + rc.backfill.path + ")"
		}
	}
	return s
}
