package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reconcile"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/donorsync/donorsync/store/sqlite"
)

// Reconciling ActBlue's reports: a paid report of many rows, none of them
// in the store, reconciled and backfilled through the engine, then
// reconciled again against the full store; beside the rate of donations
// arriving as webhooks, end to end and inline.

// backfillRows and backfillSmall are the sizes of the paid reports. A
// Reconciler keeps 8 bytes a line item and nothing else that grows with
// the rows: the larger backfill's memory is the smaller's, but for 1.4 MiB
// and the caches that the longer run fills to their bounds.
const backfillRows, backfillSmall = 200_000, 20_000

// reconcileConcurrency is the Reconciler's Concurrency in the runs. A
// Reconciler compares a batch of 256 rows, then submits those missing,
// waiting while Concurrency rows are being applied: at twice the batch,
// the next batch is compared while one is applied, and the group commits
// fill.
var reconcileConcurrency = 512

// webhooks holds the best inline end-to-end rate into each store measured
// by the run's other parts, by the store's name.
var webhooks = map[string]float64{}

// A backfillStore opens empty stores of one kind; done closes one and
// removes what it holds.
type backfillStore struct {
	name string
	open func(ctx context.Context, label string) (st donorsync.Store, done func(), err error)
}

// reconcileStores returns the stores of the part: SQLite, and PostgreSQL
// when url is set.
func reconcileStores(dir, url string) (stores []backfillStore, closeAll func(), err error) {
	stores = []backfillStore{{"SQLite", func(ctx context.Context, label string) (donorsync.Store, func(), error) {
		path := filepath.Join(dir, "reconcile-"+label+".db")
		st, err := sqlite.Open(ctx, path, sqliteOptions())
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close(); removeDB(path) }, nil
	}}}
	if url == "" {
		return stores, func() {}, nil
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, nil, err
	}
	stores = append(stores, backfillStore{"PostgreSQL", func(ctx context.Context, _ string) (donorsync.Store, func(), error) {
		return freshPostgres(ctx, db, url)
	}})
	return stores, func() { db.Close() }, nil
}

// removeDB removes a SQLite database and its log files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// reconcilePart measures each store: a backfill of backfillSmall rows,
// one of backfillRows rows followed by a reconciliation with nothing to
// apply, and the webhooks' rate.
func reconcilePart(ctx context.Context, dir, url string, log *slog.Logger, d time.Duration) ([]row, error) {
	stores, closeAll, err := reconcileStores(dir, url)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	defer debug.FreeOSMemory() // for the parts after it
	var rows []row
	for _, s := range stores {
		small, err := backfill(ctx, s, log, backfillSmall)
		if err != nil {
			return nil, fmt.Errorf("reconcile into %s: %w", s.name, err)
		}
		big, err := backfill(ctx, s, log, backfillRows)
		if err != nil {
			return nil, fmt.Errorf("reconcile into %s: %w", s.name, err)
		}
		hooks, how, err := webhookRate(ctx, s, log, d)
		if err != nil {
			return nil, fmt.Errorf("webhooks into %s: %w", s.name, err)
		}
		rows = append(rows, backfillRow(s.name, small, big, hooks, how))
	}
	return rows, nil
}

// webhookRate returns the inline end-to-end rate into s measured by the
// run's other parts, or measures one at 128 connections for d, and says
// which.
func webhookRate(ctx context.Context, s backfillStore, log *slog.Logger, d time.Duration) (float64, string, error) {
	if rate, ok := webhooks[s.name]; ok {
		return rate, "this run's end-to-end row, " + bestOf(), nil
	}
	st, done, err := s.open(ctx, "webhooks")
	if err != nil {
		return 0, "", err
	}
	defer done()
	rate, _ := endToEnd(ctx, st, log, d, false, queue{}, 128)
	return rate, fmt.Sprintf("128 connections for %v, in this part", d), nil
}

// A backfillOutcome is a backfill of n rows into an empty store, and,
// for the larger report, a second reconciliation of the same rows.
type backfillOutcome struct {
	n       int
	applied int     // rows applied
	rate    float64 // rows reconciled and applied a second
	mem     memPeaks
	again   float64 // rows compared a second with nothing to apply; 0: not measured
	clean   bool    // the second reconciliation found nothing
}

// backfill reconciles a paid report of n rows into an empty store of s,
// all of them missing, then, for backfillRows, again.
func backfill(ctx context.Context, s backfillStore, log *slog.Logger, n int) (backfillOutcome, error) {
	srv := reportstest.New(reportstest.Options{CSV: paidOnly(n)})
	defer srv.Close()
	st, done, err := s.open(ctx, fmt.Sprint(n))
	if err != nil {
		return backfillOutcome{}, err
	}
	defer done()
	rec := &reconcile.Reconciler{
		Reports:  &reports.Client{UUID: "uuid", Secret: "secret", BaseURL: srv.URL, PollInterval: time.Millisecond, Budget: 1000},
		Ingester: &donorsync.Ingester{Store: st, Logger: log}, Tenant: "reconcile", Apply: true,
		Concurrency: reconcileConcurrency,
	}
	from, to := paidRange(n)
	out := backfillOutcome{n: n}
	debug.FreeOSMemory() // what earlier runs left
	stop := sampleMemory(50 * time.Millisecond)
	start := time.Now()
	rep, err := rec.Run(ctx, from, to)
	out.rate, out.mem = float64(n)/time.Since(start).Seconds(), stop()
	if err != nil {
		return out, err
	}
	out.applied = rep.Applied
	if n < backfillRows {
		return out, nil
	}
	start = time.Now()
	rep, err = rec.Run(ctx, from, to)
	out.again, out.clean = float64(n)/time.Since(start).Seconds(), err == nil && rep.Total() == 0 && rep.Stored == n
	return out, err
}

// paidOnly returns the reports of a server whose paid report has n rows,
// and the refunded and cancelled-recurring reports none.
func paidOnly(n int) func(reportstest.Report) io.Reader {
	return func(r reportstest.Report) io.Reader {
		switch reports.Type(r.Type) {
		case reports.Paid:
			return reportstest.Paid(n)
		case reports.CancelledRecurring:
			return strings.NewReader(reportstest.CSV(reportstest.CancelledHeader))
		}
		return strings.NewReader(reportstest.CSV(reportstest.PaidHeader))
	}
}

// paidRange returns the days of reportstest.Paid(n), whose row i is paid
// i minutes after noon on 2024-01-01: one report for n up to 250,000.
func paidRange(n int) (from, to time.Time) {
	from = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return from, from.Add(time.Duration(n)*time.Minute + 48*time.Hour).Truncate(24 * time.Hour)
}

// backfillRow reports a store's backfills beside the webhooks' rate. The
// goal is met when every row was applied, the second reconciliation found
// nothing, and the larger backfill's live heap was flat.
func backfillRow(store string, small, big backfillOutcome, hooks float64, how string) row {
	measured := fmt.Sprintf("%d rows: backfill %.0f rows/s (Concurrency %d), %s, %s; "+
		"again, nothing to apply: %.0f rows/s compared%s; "+
		"%d rows: backfill %.0f rows/s, %s",
		big.n, big.rate, reconcileConcurrency, big.mem, flatness(big.mem), big.again, problems(small, big),
		small.n, small.rate, small.mem)
	ok := big.mem.flat && small.applied == small.n && big.applied == big.n && big.clean
	return row{fmt.Sprintf("Reconcile and backfill %s ActBlue report rows into %s: rows/s beside webhooks end to end; "+
		"memory flat in the rows (run only when named: `-only reconcile`)", thousands(big.n), store),
		measured, fmt.Sprintf("webhooks end to end, inline: %.0f/s (%s)", hooks, how),
		fmt.Sprintf("%.2f×", big.rate/hooks), verdict(ok)}
}

// flatness says whether a run's live heap was flat.
func flatness(m memPeaks) string {
	if m.flat {
		return "live heap flat over the run"
	}
	return "**live heap grew** over the run's second half"
}

// problems says what a backfill left undone, if anything.
func problems(small, big backfillOutcome) string {
	var s []string
	for _, o := range []backfillOutcome{small, big} {
		if o.applied != o.n {
			s = append(s, fmt.Sprintf("only %d of %d rows applied", o.applied, o.n))
		}
	}
	if !big.clean {
		s = append(s, "the second reconciliation found differences")
	}
	if len(s) == 0 {
		return ""
	}
	return " (**" + strings.Join(s, "; ") + "**)"
}

// thousands writes n with commas: 200,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
