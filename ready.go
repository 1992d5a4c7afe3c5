package donorsync

import (
	"context"
	"errors"
	"fmt"

	"github.com/donorsync/donorsync/internal/batch"
)

// readinessLock is the name Ready locks in its writing transaction, and
// the id of the delivery it looks up (in no tenant: there is none).
const readinessLock = "donorsync readiness"

// Ready reports whether the store answers a read and a write before ctx
// is done: a read-only transaction that looks up a delivery, and a
// read-write transaction that takes a lock (and, in the SQL stores of this
// module, rewrites a row of their own, so that a store that cannot write
// to its disk fails it). It
// returns when ctx is done even if the store does not honour
// cancellation, with an error wrapping ErrUnavailable. Serve it as a
// readiness probe, with a deadline shorter than the probe's.
func (g *Ingester) Ready(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- g.ready(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: the store did not answer: %w", ErrUnavailable, ctx.Err())
	}
}

func (g *Ingester) ready(ctx context.Context) error {
	err := g.Store.View(ctx, func(tx Tx) error {
		_, err := tx.Delivery(ctx, "", readinessLock)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	err = g.Store.Update(ctx, func(tx Tx) error {
		if p, ok := tx.(batch.Prober); ok {
			return p.Probe(ctx)
		}
		return tx.Lock(ctx, []string{readinessLock})
	})
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
