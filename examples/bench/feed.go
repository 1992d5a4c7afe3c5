package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/store/sqlite"
)

// recordChanges turns the change feed on in the Ingesters the runs make:
// off but in the runs of feedRows that measure it.
var recordChanges bool

// feedConns is the connection count of the feed's runs.
const feedConns = 128

// feedRows measures queued end to end into SQLite and, when url is set,
// PostgreSQL, with the change feed on (and a Feed consuming it, doing
// nothing with each change) against off, in rounds whose two runs take
// turns, each from an empty store, against the goal: the feed costs at
// most 15% of the throughput. The verdict is on the median of the
// rounds' ratios of the rates.
func feedRows(ctx context.Context, dir, url string, log *slog.Logger, d time.Duration, rounds int) ([]row, error) {
	type store struct {
		name  string
		q     queue
		fresh func(on bool, r int) (donorsync.Store, func(), error)
	}
	stores := []store{{"SQLite", sqliteQueue, func(on bool, r int) (donorsync.Store, func(), error) {
		st, err := sqlite.Open(ctx, filepath.Join(dir, fmt.Sprintf("feed-%v-%d.db", on, r)), sqliteOptions())
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}}}
	if url != "" {
		db, err := sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		stores = append(stores, store{"PostgreSQL", postgresQueue, func(bool, int) (donorsync.Store, func(), error) {
			return freshPostgres(ctx, db, url)
		}})
	}
	var rows []row
	for _, s := range stores {
		rates := map[bool][]float64{}
		var consumed []float64
		for r := range rounds {
			for _, on := range []bool{r%2 == 0, r%2 != 0} { // who goes first alternates
				st, done, err := s.fresh(on, r)
				if err != nil {
					return nil, err
				}
				rate, share := feedRun(ctx, st, log, d, s.q, on)
				done()
				rates[on] = append(rates[on], rate)
				if on {
					consumed = append(consumed, share)
				}
			}
		}
		paired := make([]float64, rounds)
		for r := range paired {
			paired[r] = rates[true][r] / rates[false][r]
		}
		ratio := median(paired)
		rows = append(rows, row{
			fmt.Sprintf("Change feed: queued end to end into %s with the feed on (and a Feed consuming it) ≥ 85%% of the rate without (median of %d rounds' ratios, the runs of a round taking turns; %d conns)", s.name, rounds, feedConns),
			fmt.Sprintf("with: %s; the Feed had handled %s of the changes when the last delivery was applied", perSecond(rates[true]), list(consumed, "%.0f%%")),
			fmt.Sprintf("without: %s", perSecond(rates[false])),
			fmt.Sprintf("%.2f× (rounds %s)", ratio, list(paired, "%.2f")),
			verdict(ratio >= 0.85)})
	}
	return rows, nil
}

// feedRun runs queued end to end into st, with the feed on or off; on,
// a Feed consumes the changes meanwhile. It returns the rate and, on,
// the share of the changes written that the Feed had handled by the end
// of the run, in percent.
func feedRun(ctx context.Context, st donorsync.Store, log *slog.Logger, d time.Duration, q queue, on bool) (rate, consumed float64) {
	recordChanges = on
	defer func() { recordChanges = false }()
	if !on {
		rate, _ := endToEnd(ctx, st, log, d, true, q, feedConns)
		return rate, 0
	}
	var handled atomic.Int64
	c, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		f := &donorsync.Feed{Store: st, Name: "bench", Batch: 500, Poll: 5 * time.Millisecond, Logger: log,
			Handle: func(context.Context, change.Change) error { handled.Add(1); return nil }}
		f.Run(c)
	})
	rate, _ = endToEnd(ctx, st, log, d, true, q, feedConns)
	stop()
	wg.Wait()
	written := 0
	st.View(ctx, func(tx donorsync.Tx) error {
		for _, tenant := range []string{lastTenant} {
			for after := int64(0); ; {
				cs, err := tx.Changes(ctx, tenant, after, 1000)
				if err != nil || len(cs) == 0 {
					return err
				}
				written += len(cs)
				after = cs[len(cs)-1].Position
			}
		}
		return nil
	})
	return rate, 100 * float64(handled.Load()) / float64(max(written, 1))
}
