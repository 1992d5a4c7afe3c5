package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
)

// TestReadyFollowsTheDatabase cuts PostgreSQL off through a proxy:
// Ingester.Ready reports it unavailable within its deadline, and ready
// again once it is back.
func TestReadyFollowsTheDatabase(t *testing.T) {
	store, px := proxiedStore(t)
	g := &donorsync.Ingester{Store: store}
	ready := func() (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := g.Ready(ctx)
		return time.Since(start), err
	}
	if _, err := ready(); err != nil {
		t.Fatalf("Ready with the database up: %v", err)
	}
	px.cut()
	took, err := ready()
	if !errors.Is(err, donorsync.ErrUnavailable) || took > 2*time.Second {
		t.Fatalf("Ready with the database cut off: %v after %v; want ErrUnavailable within the deadline", err, took)
	}
	px.restore()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := ready()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ready once the database is back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
