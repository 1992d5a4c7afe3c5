package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/donorsync/donorsync/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// envURL names the variable that points the tests at a PostgreSQL server.
const envURL = "DONORSYNC_POSTGRES_URL"

func serverURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv(envURL)
	if url == "" && os.Getenv("DONORSYNC_REQUIRE_POSTGRES") != "" {
		t.Fatal(envURL + " is not set, and DONORSYNC_REQUIRE_POSTGRES says the PostgreSQL tests must run")
	}
	if url == "" {
		t.Skip("PostgreSQL tests skipped: set " + envURL + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	return url
}

// freshSchema creates a schema of its own for one test and returns a pool
// whose connections use it; both are removed when the test ends.
func freshSchema(t *testing.T) (string, func() *pgxpool.Pool) {
	t.Helper()
	url := serverURL(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "donorsync_test_" + hex.EncodeToString(b[:])
	admin, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	newPool := func() *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
		cfg.MaxConns = 8
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	return schema, newPool
}

func newStore(t *testing.T, pool *pgxpool.Pool) *postgres.Store {
	t.Helper()
	s, err := postgres.New(context.Background(), pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) donorsync.Store {
		_, pool := freshSchema(t)
		return newStore(t, pool())
	})
}

func TestOpenMigratesOnce(t *testing.T) {
	_, pool := freshSchema(t)
	// Two replicas starting together migrate one schema once.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := postgres.New(context.Background(), pool(), nil)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Two group commits journaling one key at once: the second waits for the
// first and journals a duplicate of it, rather than failing.
func TestConcurrentJournalsOfOneKey(t *testing.T) {
	_, pool := freshSchema(t)
	s := newStore(t, pool())
	ctx := t.Context()
	delivery := func() *donorsync.Delivery {
		return &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: "t1", Provider: "p", Kind: "k", Key: "one",
			Body: []byte(`{}`), Status: donorsync.Pending}
	}
	journal := func(tx donorsync.Tx, d *donorsync.Delivery) error {
		return tx.(batch.Recorder[*donorsync.Delivery]).RecordDeliveries(ctx, []*donorsync.Delivery{d})
	}
	first, second := delivery(), delivery()
	inserted, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.Update(ctx, func(tx donorsync.Tx) error {
			if err := journal(tx, first); err != nil {
				return err
			}
			close(inserted)
			<-release // holds the key, uncommitted
			return nil
		})
	}()
	<-inserted
	secondDone := make(chan error, 1)
	go func() { secondDone <- s.Update(ctx, func(tx donorsync.Tx) error { return journal(tx, second) }) }()
	time.Sleep(200 * time.Millisecond) // the second reaches the key and waits
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatalf("second journal of the key: %v; want a duplicate journaled", err)
	}
	if second.Status != donorsync.Duplicate || second.DuplicateOf != first.ID {
		t.Errorf("second delivery %s of %q; want duplicate of %q", second.Status, second.DuplicateOf, first.ID)
	}
}

// TestDeliveriesLeaveRoomForClaims: the deliveries table is filled to
// 80% a page, so that a claim's new row version (its lease, in no index)
// can stay in its page as a HOT update, writing no index entry.
func TestDeliveriesLeaveRoomForClaims(t *testing.T) {
	schema, pool := freshSchema(t)
	p := pool()
	newStore(t, p)
	var opts []string
	err := p.QueryRow(t.Context(), `SELECT coalesce(c.reloptions, '{}') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = 'deliveries'`, schema).Scan(&opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(opts, "fillfactor=80") {
		t.Errorf("deliveries options %q; want fillfactor=80", opts)
	}
}
