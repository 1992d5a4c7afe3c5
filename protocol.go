package donorsync

import (
	"context"
	"errors"

	"github.com/donorsync/donorsync/internal/batch"
)

// The batch protocol (package internal/batch) in the engine's types. It
// is how the engine speeds up the stores of this module; a Store outside
// it implements Store and Tx only, and gets the same results.
type (
	recorder = batch.Recorder[*Delivery]
	claimer  = batch.Claimer[Claim, *Delivery]
	lister   = batch.Lister[Claim, *Delivery]
)

// draftFunc is the Draft function a store declares (batch.DraftOf).
type draftFunc = func(ctx context.Context, after batch.Draft, fn func(Tx) error) (batch.Draft, error)

// declared returns the execution model the Store declares.
func (g *Ingester) declared() batch.Model {
	m, _ := g.execution()
	return m
}

// skipped reports whether err declines a batch call (batch.ErrSkip): the
// engine then does the work through the Tx contract.
func skipped(err error) bool { return errors.Is(err, batch.ErrSkip) }

// recordAll journals ds in tx, all at once where the Store declares it
// can.
func (g *Ingester) recordAll(ctx context.Context, tx Tx, ds []*Delivery) error {
	if r, ok := tx.(recorder); ok && g.declared().Batch {
		if err := r.RecordDeliveries(ctx, ds); !skipped(err) {
			return err
		}
	}
	for _, d := range ds {
		if _, err := tx.RecordDelivery(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// claim claims deliveries for a Worker in tx, narrowed and lightened by
// by where the Store declares it can; by is a hint a plain Tx ignores, and
// the caller copes with a claim that ignored it.
func (g *Ingester) claim(ctx context.Context, tx Tx, c Claim, by batch.ClaimBy) ([]*Delivery, error) {
	if cl, ok := tx.(claimer); ok && (g.declared().Batch || g.declared().ReadAhead) {
		ds, err := cl.ClaimBatch(ctx, c, by)
		if !skipped(err) {
			return ds, err
		}
	}
	return tx.ClaimDeliveries(ctx, c)
}

// ignoreSkip returns err, or nil when it declines a batch call.
func ignoreSkip(err error) error {
	if skipped(err) {
		return nil
	}
	return err
}
