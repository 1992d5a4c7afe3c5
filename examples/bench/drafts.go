package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/store/sqlite"
)

// withoutDrafts is a SQLite store that declares no drafts: its Workers
// still read ahead and preload, and apply each batch in the writing
// transaction. It switches the drafts of the SQLite pipeline off as a
// unit, for measuring what they gain.
type withoutDrafts struct {
	*sqlite.Store
	batch.Declared
}

func newWithoutDrafts(s *sqlite.Store) withoutDrafts {
	m := batch.ModelOf(s)
	m.Drafts = false
	return withoutDrafts{s, batch.Declare(m, nil)}
}

// draftConns is the connection count of the drafts' runs: the one that
// gives SQLite's best end-to-end rates in BENCHMARKS.md.
const draftConns = 256

// draftRows measures end to end into SQLite, queued and inline, with and
// without drafts, in rounds whose runs take turns, each from an empty
// database file. Each row gives the rates of every round, and the ratio
// of the medians.
func draftRows(ctx context.Context, dir string, log *slog.Logger, d time.Duration, rounds int) ([]row, error) {
	var rows []row
	for _, queued := range []bool{true, false} {
		rates := map[bool][]float64{}
		for r := range rounds {
			for _, drafts := range []bool{r%2 == 0, r%2 != 0} { // who goes first alternates
				path := filepath.Join(dir, fmt.Sprintf("drafts-%v-%v-%d.db", queued, drafts, r))
				st, err := sqlite.Open(ctx, path, sqliteOptions())
				if err != nil {
					return nil, err
				}
				var store donorsync.Store = st
				if !drafts {
					store = newWithoutDrafts(st)
				}
				rate, _ := endToEnd(ctx, store, log, d, queued, sqliteQueue, draftConns)
				st.Close()
				rates[drafts] = append(rates[drafts], rate)
			}
		}
		with, without := median(rates[true]), median(rates[false])
		rows = append(rows, row{
			fmt.Sprintf("SQLite pipeline: end to end with drafts against without, %s (%d conns, %d rounds taking turns)", mode(queued, sqliteQueue), draftConns, rounds),
			"with: " + perSecond(rates[true]), "without: " + perSecond(rates[false]),
			fmt.Sprintf("%.2f×", with/without), "reference"})
	}
	return rows, nil
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func perSecond(v []float64) string {
	s := make([]string, len(v))
	for i, r := range v {
		s[i] = fmt.Sprintf("%.0f", r)
	}
	return strings.Join(s, ", ") + "/s"
}
