package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/internal/sqlstore"
	"github.com/donorsync/donorsync/store/sqlite"
)

// journal records a group of n new deliveries with the given body in one
// transaction, as group commit does, bounded by a deadline: a transaction
// that waits for a connection it holds itself fails instead of hanging.
// next numbers the deliveries.
func journal(tb testing.TB, s donorsync.Store, body []byte, n int, next *int) {
	tb.Helper()
	ds := make([]*donorsync.Delivery, n)
	for i := range ds {
		*next++
		ds[i] = &donorsync.Delivery{ID: fmt.Sprintf("dl_%07d", *next), Tenant: "t1", Provider: "actblue", Kind: "contribution",
			Key: fmt.Sprint("li-", *next), Body: body, Status: donorsync.Pending}
	}
	ctx, cancel := context.WithTimeout(tb.Context(), 5*time.Second)
	defer cancel()
	err := s.Update(ctx, func(tx donorsync.Tx) error {
		return tx.(batch.Recorder[*donorsync.Delivery]).RecordDeliveries(ctx, ds)
	})
	if err != nil {
		tb.Fatalf("journal %d deliveries: %v", n, err)
	}
}

func countDeliveries(t *testing.T, s donorsync.Store) int {
	t.Helper()
	var n int
	err := s.View(t.Context(), func(tx donorsync.Tx) error {
		ds, err := tx.Deliveries(t.Context(), "t1", donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1 << 20}})
		n = len(ds)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStatementsArePreparedOnce(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{Synchronous: "NORMAL"})
	next := 0
	// Groups of every size up to 40: a remainder is sent in chunks of
	// powers of two, so a few statements serve them all.
	for n := 1; n <= 40; n++ {
		journal(t, s, []byte(`{}`), n, &next)
	}
	if got := countDeliveries(t, s); got != next {
		t.Fatalf("%d deliveries stored, want %d", got, next)
	}
	// Statements are prepared in the background, after the transaction
	// that first ran them: soon a group runs on prepared statements only.
	deadline := time.Now().Add(10 * time.Second)
	for {
		before := s.StmtStats()
		journal(t, s, []byte(`{}`), 37, &next)
		after := s.StmtStats()
		if after.Misses == before.Misses && after.Hits > before.Hits {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a transaction still runs statements unprepared: before %+v, after %+v", before, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.StmtStats(); st.Kept == 0 || st.Kept > 16 {
		t.Errorf("%d statements kept after groups of 1 to 40 deliveries, want 1 to 16", st.Kept)
	}
	if got := countDeliveries(t, s); got != next {
		t.Errorf("%d deliveries stored, want %d", got, next)
	}
}

func TestClaimsRunPrepared(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{Synchronous: "NORMAL"})
	next := 0
	for range 50 {
		journal(t, s, []byte(`{}`), 16, &next)
	}
	now := time.Now()
	deadline := now.Add(10 * time.Second)
	for i := 1; ; i++ {
		// Each claim holds its deliveries until a time of its own.
		before := s.StmtStats()
		err := s.Update(t.Context(), func(tx donorsync.Tx) error {
			ds, err := tx.ClaimDeliveries(t.Context(), donorsync.Claim{Tenant: "t1", Now: now, Until: now.Add(time.Hour + time.Duration(i)*time.Second), Limit: 16})
			if err == nil && len(ds) != 16 {
				err = fmt.Errorf("claimed %d deliveries, want 16", len(ds))
			}
			return err
		})
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		after := s.StmtStats()
		if after.Misses == before.Misses && after.Hits > before.Hits {
			break
		}
		if time.Now().After(deadline) || i == 50 {
			t.Fatalf("claim %d still runs statements unprepared: before %+v, after %+v", i, before, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStatementCacheIsBounded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "donorsync.db")
	open(t, path, nil) // creates the schema
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // a transaction holds the only connection
	defer db.Close()
	stmts := sqlstore.NewStmts(db, 2)
	defer func() {
		if err := stmts.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	next := 0
	store := runStore{db, stmts}
	for round := range 20 {
		journal(t, store, []byte(`{}`), round%9+1, &next) // several statements each time
		if k := stmts.Stats().Kept; k > 2 {
			t.Fatalf("%d statements kept, want at most 2", k)
		}
	}
	if got := countDeliveries(t, store); got != next {
		t.Errorf("%d deliveries stored, want %d", got, next)
	}
	if st := stmts.Stats(); st.Hits == 0 {
		t.Errorf("no statement ran prepared: %+v", st)
	}
}

// runStore runs transactions on db through stmts.
type runStore struct {
	db    *sql.DB
	stmts *sqlstore.Stmts
}

func (r runStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return sqlstore.Run(ctx, r.db, sqlstore.Writer{Stmts: r.stmts}, nil, sqlite.Dialect, fn)
}

func (r runStore) View(ctx context.Context, fn func(donorsync.Tx) error) error {
	return sqlstore.Run(ctx, r.db, sqlstore.Writer{}, nil, sqlite.Dialect, fn)
}
