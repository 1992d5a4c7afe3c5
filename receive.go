package donorsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// Receive journals d and applies it, in one transaction when it can
// (inline mode): deliveries received at the same time share one
// transaction (group commit), and it falls back to one transaction per
// delivery when the group fails. On return d.Status tells the outcome:
// Processed, Duplicate, Quarantined (undecodable or invalid) or Failed
// (applying failed for another reason; the delivery is kept for a retry).
//
// Receive returns an error, wrapping ErrUnavailable, only when it cannot
// report the delivery journaled: the store failed to commit it, or ctx
// was done first (Receive then returns at once, even if the store does
// not honour cancellation). The sender must be told to retry (a Handler
// answers 503). Either nothing was committed, or the transaction holding
// d still commits after Receive returned, and the retry is then journaled
// as a Duplicate of it and changes nothing: the delivery is applied once.
func (g *Ingester) Receive(ctx context.Context, src Source, d *Delivery) error {
	return g.receive(ctx, src, d, true)
}

// Enqueue journals d as Pending, for a Worker to apply (queued mode): the
// sender can be answered as soon as it returns. The body is decoded only
// for its idempotency key; a body that cannot be decoded is quarantined at
// once. On return d.Status is Pending, Duplicate or Quarantined.
//
// Enqueue returns an error, wrapping ErrUnavailable, only when it cannot
// report the delivery journaled, as Receive does, and with the same
// meaning: either nothing was committed, or the retry is journaled as a
// Duplicate and changes nothing.
func (g *Ingester) Enqueue(ctx context.Context, src Source, d *Delivery) error {
	return g.receive(ctx, src, d, false)
}

// receive journals a new delivery in a group commit: as Processed, and
// applied in the same transaction, when inline; as Pending otherwise; as
// Quarantined, with its error, when it cannot be decoded. It returns when
// the transaction that holds it has committed, or when ctx is done,
// whichever comes first.
func (g *Ingester) receive(ctx context.Context, src Source, d *Delivery, inline bool) error {
	dec, derr := g.prepare(src, d)
	d.Status, d.DuplicateOf, d.Error, d.Attempts, d.UpdatedAt = Pending, "", "", 0, g.now()
	d.NextAttemptAt, d.ClaimedUntil = time.Time{}, time.Time{}
	switch {
	case derr != nil:
		g.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: delivery not applied",
			slog.Any("delivery", d), slog.String("outcome", string(Quarantined)), logError(derr))
		d.Status, d.Error = Quarantined, text(derr.Error())
		inline = false // nothing to apply
	case inline:
		d.Status, d.Attempts = Processed, 1
	}
	err := g.journalGrouped(ctx, d, dec.Events, inline)
	if err != nil && errors.Is(err, ErrInvalid) && ctx.Err() == nil {
		err = g.journalRefused(ctx, d, err)
	}
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: journal delivery: %w", ErrUnavailable, err)
}

// journalRefused journals d, which the store refused to journal as it is
// (an error wrapping ErrInvalid: a value it cannot encode or index), as
// Quarantined with that error, under the SHA-256 of its body, in a
// transaction of its own. The sender's retry is journaled as its
// duplicate.
func (g *Ingester) journalRefused(ctx context.Context, d *Delivery, cause error) error {
	d.Key = dedup.BodyKey(d.Body)
	return g.journal(ctx, d, Quarantined, cause)
}

// prepare completes a new delivery (id, receipt time, provider) and
// decodes it, setting its idempotency key (see key): the source's, or its
// digest when it is too long or odd to journal, or the SHA-256 of the body
// when the source gives none or cannot decode it.
func (g *Ingester) prepare(src Source, d *Delivery) (Decoded, error) {
	if d.ID == "" {
		d.ID = NewID("dl")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = g.now()
	}
	if d.Provider == "" {
		d.Provider = src.Provider()
	}
	dec, err := decode(g.logger(), src, d)
	d.Key = key(d, dec, err)
	return dec, err
}

// receiveOne journals d and applies events in one transaction of its own
// (Receive, when its group failed). When applying fails, a second
// transaction journals d as Failed or Quarantined.
func (g *Ingester) receiveOne(ctx context.Context, d *Delivery, events []donation.Event) error {
	var applyErr error
	err := g.update(ctx, func(tx Tx) error {
		d.Status, d.DuplicateOf, d.Error, d.Attempts, d.UpdatedAt = Processed, "", "", 1, g.now()
		dupOf, err := tx.RecordDelivery(ctx, d)
		if err != nil || dupOf != "" {
			return err
		}
		if err := g.Apply(ctx, tx, d, events); err != nil {
			applyErr = err
			return err
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case applyErr != nil && !errors.Is(applyErr, context.Canceled) && !errors.Is(applyErr, context.DeadlineExceeded):
		status := Failed
		if errors.Is(applyErr, ErrInvalid) {
			status = Quarantined
		}
		return g.journal(ctx, d, status, applyErr)
	}
	return fmt.Errorf("%w: journal delivery: %w", ErrUnavailable, err)
}

// journal records d with the given status and error and nothing else, in
// a transaction of its own (after its group failed, on the goroutine that
// committed the group).
func (g *Ingester) journal(ctx context.Context, d *Delivery, status DeliveryStatus, cause error) error {
	g.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: delivery not applied",
		slog.Any("delivery", d), slog.String("outcome", string(status)), logError(cause))
	err := g.update(ctx, func(tx Tx) error {
		d.Status, d.DuplicateOf, d.Error, d.UpdatedAt = status, "", text(cause.Error()), g.now()
		d.Attempts, d.NextAttemptAt, d.ClaimedUntil = 0, time.Time{}, time.Time{}
		if status == Failed {
			d.Attempts = 1
			d.NextAttemptAt = d.UpdatedAt.Add(g.backoff(1))
		}
		_, err := tx.RecordDelivery(ctx, d)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: journal delivery: %w", ErrUnavailable, err)
	}
	return nil
}
