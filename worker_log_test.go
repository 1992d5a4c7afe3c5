package donorsync_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

// downStore refuses every transaction, reading or writing, while down is
// set, and counts them.
type downStore struct {
	*memstore.Store
	down    *atomic.Bool
	refused *atomic.Int32
}

func (s downStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	if s.down.Load() {
		s.refused.Add(1)
		return errors.New("connection refused")
	}
	return s.Store.Update(ctx, fn)
}

func (s downStore) View(ctx context.Context, fn func(donorsync.Tx) error) error {
	if s.down.Load() {
		s.refused.Add(1)
		return errors.New("connection refused")
	}
	return s.Store.View(ctx, fn)
}

func TestWorkerLogsAnOutageOnce(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	store := downStore{memstore.New(), new(atomic.Bool), new(atomic.Int32)}
	store.down.Store(true)
	w := &donorsync.Worker{Ingester: &donorsync.Ingester{Store: store, Logger: slog.New(rec)},
		Sources: []donorsync.Source{giftSource()}, Poll: time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	const rounds = 20
	for store.refused.Load() < rounds {
		time.Sleep(time.Millisecond)
	}
	store.down.Store(false)
	const again = "donorsync: worker claims and applies deliveries again"
	rec.waitFor(t, "the end of the outage", func() bool { return len(rec.lines(again)) > 0 })
	cancel()
	<-done
	start := rec.lines("donorsync: worker cannot claim or apply deliveries")
	end := rec.lines(again)
	if len(start) != 1 || start[0].Level != slog.LevelError || len(end) != 1 || attr(end[0], "failed_rounds").Int64() < rounds {
		t.Errorf("an outage of %d rounds or more: %d start lines, %d end lines %v; want one of each, the end counting the rounds",
			rounds, len(start), len(end), end)
	}
	if n := len(rec.records); n != 2 {
		t.Errorf("%d lines logged in all, want 2", n)
	}
}

// outcomeStore claims deliveries but cannot store what became of them.
type outcomeStore struct{ *memstore.Store }

func (s outcomeStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(outcomeTx{tx}) })
}

type outcomeTx struct{ donorsync.Tx }

func (outcomeTx) UpdateDelivery(context.Context, *donorsync.Delivery) error {
	return errors.New("disk full")
}

// A Worker that cannot store outcomes says so: RunOnce returns the error,
// and Run logs it once while it lasts, not once a round.
func TestWorkerReportsOutcomesNotStored(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	store := outcomeStore{memstore.New()}
	g := &donorsync.Ingester{Store: store, Logger: slog.New(rec)}
	if err := g.Enqueue(t.Context(), giftSource(), &donorsync.Delivery{Tenant: "t1", Body: []byte("g1")}); err != nil {
		t.Fatal(err)
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{giftSource()}, Poll: time.Millisecond, Lease: time.Millisecond}
	if _, err := w.RunOnce(t.Context()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("RunOnce: %v; want the outcome's error", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_ = w.Run(ctx)
	errorLines := 0
	for _, r := range rec.records {
		if r.Level >= slog.LevelError {
			errorLines++
		}
	}
	if errorLines != 1 {
		t.Errorf("%d lines at Error over many rounds; want 1", errorLines)
	}
}
