package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/donorsync/donorsync"
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
	s, err := postgres.New(context.Background(), pool)
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
			s, err := postgres.New(context.Background(), pool())
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
