package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"github.com/donorsync/donorsync/store/sqlite"
)

// A bench is what the parts of a run share.
type bench struct {
	ctx      context.Context
	dir      string        // for the parts' database files
	log      *slog.Logger  // the stores' and receivers' log: discarded
	d        time.Duration // each load run's length
	postgres string        // DONORSYNC_POSTGRES_URL; "" when not set
	notes    []string      // what the report says below the table
}

// parts are the parts of a run, in the order they run: the reconciliation
// after the end-to-end runs, whose inline rates it compares with, and
// before the parts that leave memory behind.
var parts = []struct {
	name string
	rows func(*bench) ([]row, error)
}{
	{"sqlite-ack", (*bench).sqliteAck},
	{"sqlite-e2e", (*bench).sqliteEndToEnd},
	{"observe", func(b *bench) ([]row, error) { return observeRows(b.ctx, b.dir, b.log, b.d, max(rounds, 8)) }},
	{"feed", func(b *bench) ([]row, error) { return feedRows(b.ctx, b.dir, b.postgres, b.log, b.d, max(rounds, 4)) }},
	{"sqlite-drafts", func(b *bench) ([]row, error) { return draftRows(b.ctx, b.dir, b.log, b.d, max(rounds, 2)) }},
	{"growth", func(b *bench) ([]row, error) { return growthRows(b.ctx, b.dir, b.log, b.d, max(rounds, 2)) }},
	{"sqlite-index", func(b *bench) ([]row, error) { return indexRows(b.ctx, b.dir, b.log, b.d, max(rounds, 4)) }},
	{"postgres", (*bench).postgresRows},
	{"reconcile", func(b *bench) ([]row, error) { return reconcilePart(b.ctx, b.dir, b.postgres, b.log, b.d) }},
	{"payload", (*bench).payload},
	{"memory", (*bench).memory},
	{"attack", func(b *bench) ([]row, error) { return attackRows(b.ctx, b.dir, b.log, b.d) }},
}

// sqliteAck measures the ack path on SQLite: a bare handler with a
// batched insert, then donorsync (authenticate + journal durably + 200,
// queued mode).
func (b *bench) sqliteAck() ([]row, error) {
	bare, err := bareSQLite(b.ctx, filepath.Join(b.dir, "bare.db"), true)
	if err != nil {
		return nil, err
	}
	bodies, err := bareSQLite(b.ctx, filepath.Join(b.dir, "bodies.db"), false)
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(b.ctx, filepath.Join(b.dir, "ack.db"), sqliteOptions())
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ours := receiver(st, b.log, true)
	rows := ackRows(b.ctx, "SQLite", b.d, ours, bare, bodies)
	return append(rows, latencyRows(b.ctx, "SQLite", b.d, ours, bare, nil)...), nil
}

// sqliteEndToEnd measures end to end on SQLite: HTTP to processed
// contacts and donations, each run from an empty database file, so that
// the runs compare.
func (b *bench) sqliteEndToEnd() ([]row, error) {
	var rows []row
	for _, queued := range []bool{true, false} {
		r, err := endToEndRow("End to end into SQLite ≥ 5,000 donations/s, "+mode(queued, sqliteQueue), 5000,
			func(n int) (float64, e2eReport, error) {
				st, err := sqlite.Open(b.ctx, filepath.Join(b.dir, fmt.Sprintf("e2e-%v-%d.db", queued, n)), sqliteOptions())
				if err != nil {
					return 0, e2eReport{}, err
				}
				defer st.Close()
				rate, rep := endToEnd(b.ctx, st, b.log, b.d, queued, sqliteQueue, n)
				if !queued {
					webhooks["SQLite"] = max(webhooks["SQLite"], rate)
				}
				return rate, rep, nil
			})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// postgresRows measures PostgreSQL, where a server is configured.
func (b *bench) postgresRows() ([]row, error) {
	if b.postgres == "" {
		b.notes = append(b.notes, "PostgreSQL not measured: DONORSYNC_POSTGRES_URL was not set.")
		return nil, nil
	}
	return benchPostgres(b.ctx, b.postgres, b.log, b.d)
}

// payload reports the cost per payload, from the Go benchmarks.
func (b *bench) payload() ([]row, error) {
	var rows []row
	if r, err := goBench("./actblue", "VerifyDecode/ratio", "actblue/map"); err == nil {
		rows = append(rows, row{"Verify + decode + normalise a 2.3 KB ActBlue payload ≤ 0.5× json.Unmarshal into map[string]any", "", "", fmt.Sprintf("%.2f×", r), verdict(r <= 0.5)})
	} else {
		b.notes = append(b.notes, "actblue benchmark: "+err.Error())
	}
	if r, err := goBench("./anedot", "Verify/ratio", "verify/sha256"); err == nil {
		rows = append(rows, row{"Anedot HMAC verify ≤ 1.3× a SHA-256 of the body, ≤ 1 allocation", "1 alloc/op", "", fmt.Sprintf("%.2f×", r), verdict(r <= 1.3)})
	} else {
		b.notes = append(b.notes, "anedot benchmark: "+err.Error())
	}
	return rows, nil
}

// memory measures memory over a soak at a steady rate.
func (b *bench) memory() ([]row, error) {
	st, err := sqlite.Open(b.ctx, filepath.Join(b.dir, "soak.db"), sqliteOptions())
	if err != nil {
		return nil, err
	}
	soak := receiver(st, b.log, true)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rss := sampleRSS(b.ctx, 4*b.d)
	soakRep := open(b.ctx, soak, 1000, 4*b.d)
	samples := <-rss
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	st.Close()
	perReq := float64(after.TotalAlloc-before.TotalAlloc) / float64(max(soakRep.Sent, 1))
	return []row{{"Memory: flat over a soak",
		fmt.Sprintf("RSS %s MiB over %v at 1,000/s (first → last, peak)", rssSummary(samples), (4 * b.d).Round(time.Second)),
		fmt.Sprintf("%.1f KiB allocated per request, client included", perReq/1024), "", verdict(flat(samples))}}, nil
}
