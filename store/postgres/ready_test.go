package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestReadyFollowsTheDatabase cuts PostgreSQL off through a proxy:
// Ingester.Ready reports it unavailable within its deadline, and ready
// again once it is back.
func TestReadyFollowsTheDatabase(t *testing.T) {
	schema, _ := freshSchema(t)
	u, err := url.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if target == "" {
		target = "127.0.0.1:5432"
	}
	px := newProxy(t, target)
	u.Host = px.ln.Addr().String()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.ConnectTimeout = 200 * time.Millisecond
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store, err := postgres.New(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	g := &donorsync.Ingester{Store: store}
	ready := func() (error, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := g.Ready(ctx)
		return err, time.Since(start)
	}
	if err, _ := ready(); err != nil {
		t.Fatalf("Ready with the database up: %v", err)
	}
	px.cut()
	err, took := ready()
	if !errors.Is(err, donorsync.ErrUnavailable) || took > 2*time.Second {
		t.Fatalf("Ready with the database cut off: %v after %v; want ErrUnavailable within the deadline", err, took)
	}
	px.restore()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err, _ := ready()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ready once the database is back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
