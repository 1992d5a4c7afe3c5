package donorsync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

// stalled is a store whose writing transactions wait until released, as
// a database whose write lock another holds.
type stalled struct {
	donorsync.Store
	release chan struct{}
}

func (s stalled) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	<-s.release
	return s.Store.Update(ctx, fn)
}

// unreadable is a store whose reads fail.
type unreadable struct{ donorsync.Store }

func (unreadable) View(context.Context, func(donorsync.Tx) error) error {
	return errors.New("connection refused")
}

func TestReady(t *testing.T) {
	t.Parallel()
	if err := (&donorsync.Ingester{Store: memstore.New()}).Ready(t.Context()); err != nil {
		t.Errorf("Ready of a store that answers: %v", err)
	}
	err := (&donorsync.Ingester{Store: unreadable{memstore.New()}}).Ready(t.Context())
	if !errors.Is(err, donorsync.ErrUnavailable) {
		t.Errorf("Ready of a store that cannot read: %v, want ErrUnavailable", err)
	}
	s := stalled{memstore.New(), make(chan struct{})}
	g := &donorsync.Ingester{Store: s}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = g.Ready(ctx)
	if !errors.Is(err, donorsync.ErrUnavailable) || time.Since(start) > 5*time.Second {
		t.Errorf("Ready of a store that cannot write: %v after %v, want ErrUnavailable at the deadline", err, time.Since(start))
	}
	close(s.release)
	if err := g.Ready(t.Context()); err != nil {
		t.Errorf("Ready once the store writes again: %v", err)
	}
}
