package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/examples/internal/loadgen"
	"github.com/donorsync/donorsync/store/sqlite"
)

// The store the growth runs start from: growthDonations gifts of the
// size of ActBlue's fixture, from growthDonors donors (2.5 gifts each on
// average at 500,000, drawn at random: most give more than once, some
// once), in the tenant growthTenant.
// growthDonations is set by -growth-donations.
var growthDonations = 500_000

// growthDB is where the filled store is kept between runs (-growth-db):
// a run finding it there starts from it instead of filling a new one.
// "" fills one in the run's directory, removed at the end.
var growthDB string

const (
	growthDonors = 200_000
	growthTenant = "growth"
	growthConns  = 256
)

// growthShape is the shape of the growth runs' deliveries: the fill's
// donors recur in them.
func growthShape() (shape, error) {
	tmpl, err := os.ReadFile("actblue/testdata/contribution.json")
	if err != nil {
		return shape{}, err
	}
	body, err := loadgen.Template(tmpl)
	if err != nil {
		return shape{}, err
	}
	return shape{tenant: growthTenant, body: body, donors: growthDonors}, nil
}

// growthRows fills a SQLite store with 500,000 donations of ActBlue's
// fixture, reports the bytes it holds per donation, journal included,
// and measures end to end into a copy of it, queued and inline, against
// into an empty store, in rounds whose two runs take turns. The goals:
// at most 2.5 KB a donation, and the rate into the full store at least
// 90% of the rate into the empty one (the median of the rounds' ratios).
func growthRows(ctx context.Context, dir string, log *slog.Logger, d time.Duration, rounds int) ([]row, error) {
	s, err := growthShape()
	if err != nil {
		return nil, err
	}
	template := growthDB
	if template == "" {
		template = filepath.Join(dir, "growth.db")
	}
	var took time.Duration // 0: filled by an earlier run
	if _, err := os.Stat(template); errors.Is(err, fs.ErrNotExist) {
		start := time.Now()
		if err := fillGrowth(ctx, template, s, log); err != nil {
			return nil, err
		}
		took = time.Since(start)
	}
	size, err := sqliteSize(ctx, template)
	if err != nil {
		return nil, err
	}
	rows := []row{size.row(took)}
	for _, returning := range []bool{false, true} {
		for _, queued := range []bool{true, false} {
			r, err := growthRates(ctx, dir, template, size.donations, s, log, d, rounds, queued, returning)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// growthRates measures end to end into a copy of template against into
// an empty store, in rounds whose two runs take turns, and reports the
// median of the rounds' ratios. The gifts come from donors new to both
// stores (the goal: the same work in both, so that the ratio is what the
// store's size costs), or, when returning, from the donors of the fill:
// merged into contacts the full store holds (read, compared, rewritten),
// created in the empty one.
func growthRates(ctx context.Context, dir, template string, donations int64, s shape, log *slog.Logger, d time.Duration, rounds int, queued, returning bool) (row, error) {
	rates := map[bool][]float64{}
	for r := range rounds {
		for _, full := range []bool{r%2 == 0, r%2 != 0} { // who goes first alternates
			run := s
			if !returning {
				run.body = func(id int64, donor int, refund string) []byte { return s.body(id, growthDonors+donor, refund) }
			}
			rate, err := growthRun(ctx, dir, template, full, run, log, d, queued)
			if err != nil {
				return row{}, err
			}
			rates[full] = append(rates[full], rate)
		}
	}
	paired := make([]float64, rounds)
	for r := range paired {
		paired[r] = rates[true][r] / rates[false][r]
	}
	ratio := median(paired)
	goal, verdict := fmt.Sprintf("Growth: end to end into SQLite holding %d donations ≥ 90%% of the rate into an empty store, %s (the same gifts into both: ActBlue's 2.3 KB fixture from %d donors new to both stores, who recur; median of %d rounds' ratios, the runs of a round taking turns; %d conns)",
		donations, mode(queued, sqliteQueue), growthDonors, rounds, growthConns), verdict(ratio >= 0.9)
	if returning {
		goal, verdict = fmt.Sprintf("Growth, for reference: the same, %s, with gifts from the %d donors of the fill: merged into the contacts the full store holds (each read, compared and written again), created in the empty one", mode(queued, sqliteQueue), growthDonors), "reference"
	}
	return row{goal, "full: " + perSecond(rates[true]), "empty: " + perSecond(rates[false]),
		fmt.Sprintf("%.2f× (rounds %s)", ratio, list(paired, "%.2f")), verdict}, nil
}

// growthRun runs end to end into a copy of template (full) or into an
// empty store, and returns the rate.
func growthRun(ctx context.Context, dir, template string, full bool, s shape, log *slog.Logger, d time.Duration, queued bool) (float64, error) {
	path := filepath.Join(dir, "growth-run.db")
	defer removeSQLite(path)
	if full {
		if err := copyFile(template, path); err != nil {
			return 0, err
		}
	}
	st, err := sqlite.Open(ctx, path, sqliteOptions())
	if err != nil {
		return 0, err
	}
	defer st.Close()
	rate, _ := endToEndShaped(ctx, st, log, d, queued, sqliteQueue, growthConns, s)
	return rate, nil
}

// removeSQLite removes the database file at path and its log.
func removeSQLite(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
}

// fillGrowth fills a new SQLite store at path with growthDonations gifts
// of shape s, received inline by many goroutines at once (without HTTP),
// so that the Ingester's group commits apply many in each transaction.
func fillGrowth(ctx context.Context, path string, s shape, log *slog.Logger) error {
	st, err := sqlite.Open(ctx, path, &sqlite.Options{Synchronous: "NORMAL", RecordCache: recordCache})
	if err != nil {
		return err
	}
	defer st.Close()
	return fill(ctx, st, s, growthDonations, log)
}

// fill receives n gifts of shape s into st, inline, from 64 goroutines.
func fill(ctx context.Context, st donorsync.Store, s shape, n int, log *slog.Logger) error {
	auth, err := actblue.NewAuthenticator(actblue.Credential{Tenant: s.tenant, Username: creds.ActBlueUser, Password: creds.ActBluePassword})
	if err != nil {
		return err
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		return err
	}
	ing := &donorsync.Ingester{Store: st, Logger: log}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 64 {
		wg.Go(func() {
			donors := rand.New(rand.NewPCG(uint64(w), 0x6a09e667f3bcc908)) // a random source of its own
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				d := &donorsync.Delivery{Tenant: s.tenant, Provider: src.Provider(), Body: s.body(i, donors.IntN(s.donors), "")}
				if err := ing.Receive(ctx, src, d); err != nil || d.Status != donorsync.Processed {
					errs <- fmt.Errorf("fill: gift %d: %s: %w", i, d.Status, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// A storeSize is what a store holds on disk.
type storeSize struct {
	bytes     int64            // the database, after a checkpoint that empties the log
	donations int64            // donations stored
	tables    map[string]int64 // bytes by table and by index
}

// row reports s against the goal, and how long filling the store took.
func (s storeSize) row(took time.Duration) row {
	names := make([]string, 0, len(s.tables))
	for name := range s.tables {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return s.tables[names[i]] > s.tables[names[j]] })
	var parts []string
	for _, name := range names {
		if b := s.tables[name]; b*100 >= s.bytes {
			parts = append(parts, fmt.Sprintf("%s %.0f", name, float64(b)/float64(max(s.donations, 1))))
		}
	}
	per := float64(s.bytes) / float64(max(s.donations, 1))
	return row{fmt.Sprintf("Growth: SQLite holds ≤ 2.5 KB a donation of ActBlue's 2.3 KB fixture, journal included (%d donations from %d donors, received inline; the database file after a checkpoint that empties the log)", s.donations, growthDonors),
		fmt.Sprintf("%.0f bytes a donation (%.0f MiB); by table and index: %s", per, float64(s.bytes)/(1<<20), strings.Join(parts, ", ")),
		filled(took, s.donations), "", verdict(per <= 2500)}
}

// filled tells how long filling a store with n donations took; 0 means an
// earlier run filled it.
func filled(took time.Duration, n int64) string {
	if took == 0 {
		return "filled by an earlier run"
	}
	return fmt.Sprintf("filled in %v (%.0f/s)", took.Round(time.Second), float64(n)/took.Seconds())
}

// sqliteSize measures the closed SQLite database at path.
func sqliteSize(ctx context.Context, path string) (storeSize, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		return storeSize{}, err
	}
	defer db.Close()
	s := storeSize{tables: map[string]int64{}}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM donations`).Scan(&s.donations); err != nil {
		return s, err
	}
	rows, err := db.QueryContext(ctx, `SELECT name, sum(pgsize) FROM dbstat GROUP BY name`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return s, err
		}
		s.tables[name] = n
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return s, err
	}
	s.bytes = fi.Size()
	if wal, err := os.Stat(path + "-wal"); err == nil {
		s.bytes += wal.Size()
	}
	return s, nil
}
