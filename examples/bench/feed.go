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
// PostgreSQL, with the change feed off, on, and on with a Feed consuming
// it (doing nothing with each change), in rounds whose runs take turns,
// each from an empty store, against the goal: the feed costs at most 15%
// of the throughput. The verdict is on the median of the rounds' ratios
// of the rates.
func feedRows(ctx context.Context, dir, url string, log *slog.Logger, d time.Duration, rounds int) ([]row, error) {
	type store struct {
		name  string
		q     queue
		fresh func(on bool, run int) (donorsync.Store, func(), error)
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
		rates := map[feedMode][]float64{}
		var consumed []float64
		for r := range rounds {
			for i := range feedModes {
				mode := feedModes[(i+r)%len(feedModes)] // who goes first turns
				st, done, err := s.fresh(mode != feedOff, r*len(feedModes)+i)
				if err != nil {
					return nil, err
				}
				rate, share := feedRun(ctx, st, log, d, s.q, mode)
				done()
				rates[mode] = append(rates[mode], rate)
				if mode == feedConsumed {
					consumed = append(consumed, share)
				}
			}
		}
		rows = append(rows, feedRow(s.name, rounds, rates, consumed)...)
	}
	return rows, nil
}

// A feedMode is how a run uses the change feed.
type feedMode int

const (
	feedOff      feedMode = iota
	feedOn                // changes recorded
	feedConsumed          // changes recorded, and a Feed consuming them in the same process
)

var feedModes = []feedMode{feedOff, feedOn, feedConsumed}

// feedRow is the goal's row (the feed on against off) and, for
// reference, the row of the feed on and consumed in the same process.
func feedRow(store string, rounds int, rates map[feedMode][]float64, consumed []float64) []row {
	ratio := func(m feedMode) (float64, []float64) {
		paired := make([]float64, rounds)
		for r := range paired {
			paired[r] = rates[m][r] / rates[feedOff][r]
		}
		return median(paired), paired
	}
	on, onRounds := ratio(feedOn)
	both, bothRounds := ratio(feedConsumed)
	return []row{{
		fmt.Sprintf("Change feed: queued end to end into %s with the feed on ≥ 85%% of the rate without (median of %d rounds' ratios, the runs of a round taking turns; %d conns)", store, rounds, feedConns),
		fmt.Sprintf("with: %s", perSecond(rates[feedOn])),
		fmt.Sprintf("without: %s", perSecond(rates[feedOff])),
		fmt.Sprintf("%.2f× (rounds %s)", on, list(onRounds, "%.2f")),
		verdict(on >= 0.85)}, {
		fmt.Sprintf("Change feed, for reference: the same with a Feed consuming the changes in the same process, doing nothing with them (%s)", store),
		fmt.Sprintf("%s; the Feed had handled %s of the changes when the last delivery was applied", perSecond(rates[feedConsumed]), list(consumed, "%.0f%%")),
		fmt.Sprintf("without the feed: %s", perSecond(rates[feedOff])),
		fmt.Sprintf("%.2f× (rounds %s)", both, list(bothRounds, "%.2f")),
		"reference"}}
}

// feedRun runs queued end to end into st, in mode. It returns the rate
// and, when a Feed consumes the changes, the share of the changes
// written that it had handled by the end of the run, in percent.
func feedRun(ctx context.Context, st donorsync.Store, log *slog.Logger, d time.Duration, q queue, mode feedMode) (rate, consumed float64) {
	recordChanges = mode != feedOff
	defer func() { recordChanges = false }()
	if mode != feedConsumed {
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
