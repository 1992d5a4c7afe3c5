package donorsync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// stalledStore's transactions wait until released, or until the batch's
// own timeout: a database that stopped answering.
type stalledStore struct{ release chan struct{} }

func (s stalledStore) Update(ctx context.Context, fn func(Tx) error) error {
	select {
	case <-s.release:
		return errors.New("stalled store: released")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s stalledStore) View(ctx context.Context, fn func(Tx) error) error { return s.Update(ctx, fn) }

// keySource gives every delivery its body as its key.
type keySource struct{}

func (keySource) Provider() string { return "test" }
func (keySource) Authenticate(r *http.Request) (string, io.Reader, error) {
	return "t1", r.Body, nil
}
func (keySource) Decode(d *Delivery) (Decoded, error) { return Decoded{Key: string(d.Body[:8])}, nil }

// While a store stalls, the deliveries whose senders were answered 503
// leave the queue at once, with their bodies: what the committer holds is
// the batch in its transaction, not every retry.
func TestDeliveriesAnsweredLeaveTheQueue(t *testing.T) {
	t.Parallel()
	s := stalledStore{make(chan struct{})}
	defer close(s.release)
	g := &Ingester{Store: s, Logger: slog.New(slog.DiscardHandler)}
	for i := range 20 {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		body := append([]byte{byte('a' + i), 0, 0, 0, 0, 0, 0, 0}, bytes.Repeat([]byte("x"), 1<<20)...)
		err := g.Enqueue(ctx, keySource{}, &Delivery{Tenant: "t1", Body: body})
		cancel()
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("delivery %d: %v; want ErrUnavailable", i, err)
		}
	}
	g.group.mu.Lock()
	queued := len(g.group.queue)
	g.group.mu.Unlock()
	if queued != 0 {
		t.Errorf("%d deliveries answered 503 still queued, with their bodies; want none", queued)
	}
}

// A batch holds at most maxGroupBytes of bodies, and at least one
// delivery however large.
func TestBatchWithinBytes(t *testing.T) {
	t.Parallel()
	job := func(size int) *journalJob { return &journalJob{d: &Delivery{Body: make([]byte, size)}} }
	c := &committer{leaders: 1}
	c.queue = []*journalJob{job(3 << 20), job(3 << 20), job(3 << 20), job(20 << 20), job(1)}
	for _, want := range []int{2, 1, 1, 1, 0} {
		if got := len(c.take()); got != want {
			t.Fatalf("batch of %d deliveries; want %d", got, want)
		}
	}
}
