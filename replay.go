package donorsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Process decodes a journaled delivery afresh with src and applies it, in
// one transaction with its new status: Processed; Quarantined when it
// cannot be decoded or is invalid; Failed, to be tried again after
// Backoff, when applying failed otherwise; Dead after MaxAttempts
// failures. Its claim, if any, is released. Effects are idempotent, so
// processing a delivery again changes nothing.
//
// Process returns an error only when the outcome could not be stored;
// the delivery then stays as it was, and its claim lapses.
func (g *Ingester) Process(ctx context.Context, src Source, d *Delivery) error {
	start := time.Now()
	dec, derr := decode(g.logger(), src, d)
	attempts, hist := d.Attempts+1, history(d)
	var applyErr error
	err := g.update(ctx, func(tx Tx) error {
		d.Attempts, d.UpdatedAt, d.ClaimedUntil, d.NextAttemptAt = attempts, g.now(), time.Time{}, time.Time{}
		d.History = hist
		if derr != nil {
			d.Status, d.Error = Quarantined, text(derr.Error())
			return tx.UpdateDelivery(ctx, d)
		}
		if err := g.Apply(ctx, tx, d, dec.Events); err != nil {
			applyErr = err
			return err
		}
		d.Status, d.Error = Processed, ""
		return tx.UpdateDelivery(ctx, d)
	})
	if err == nil {
		g.observeApplied(ctx, start, true, d)
	}
	if err == nil || ctx.Err() != nil {
		return err
	}
	if applyErr == nil {
		if derr != nil || !errors.Is(err, ErrInvalid) {
			return err
		}
		// The store refused what applying wrote, as it will every time.
		applyErr = err
	}
	if err := g.fail(ctx, d, attempts, hist, applyErr); err != nil {
		return err
	}
	g.observeApplied(ctx, start, true, d)
	return nil
}

// fail stores the outcome of a delivery whose application failed after
// attempts tries: Quarantined when it is invalid, Dead after MaxAttempts,
// Failed and due again after Backoff otherwise.
func (g *Ingester) fail(ctx context.Context, d *Delivery, attempts int, hist []Attempt, cause error) error {
	status := Failed
	switch {
	case errors.Is(cause, ErrInvalid):
		status = Quarantined
	case attempts >= g.maxAttempts():
		status = Dead
	}
	g.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: delivery not applied",
		slog.Any("delivery", d), slog.String("outcome", string(status)), slog.Int("attempts", attempts), logError(cause))
	return g.update(ctx, func(tx Tx) error {
		d.Status, d.Error, d.Attempts, d.UpdatedAt, d.History = status, text(cause.Error()), attempts, g.now(), hist
		d.ClaimedUntil, d.NextAttemptAt = time.Time{}, time.Time{}
		if status == Failed {
			d.NextAttemptAt = d.UpdatedAt.Add(g.backoff(attempts))
		}
		return tx.UpdateDelivery(ctx, d)
	})
}

// Replay applies a journaled delivery again, decoding it afresh with src:
// after a fix to a decoder, or to retry a failed delivery. Effects are
// idempotent, so replaying a processed delivery changes nothing. A
// duplicate is not applied. On return the stored delivery's status tells
// the outcome.
func (g *Ingester) Replay(ctx context.Context, src Source, tenant, id string) (*Delivery, error) {
	var d *Delivery
	err := g.Store.View(ctx, func(tx Tx) error {
		var err error
		d, err = tx.Delivery(ctx, tenant, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if d.Status == Duplicate {
		return d, nil
	}
	if d.Provider != src.Provider() {
		return nil, fmt.Errorf("%w: delivery %s is from %s, not %s", ErrInvalid, id, d.Provider, src.Provider())
	}
	if err := g.Process(ctx, src, d); err != nil {
		return d, err
	}
	return d, nil
}

// ReplayAll replays the deliveries of a tenant from src's provider that
// have the given status (all but duplicates when empty) and were received
// at or after since, and returns how many it replayed.
func (g *Ingester) ReplayAll(ctx context.Context, src Source, tenant string, status DeliveryStatus, since time.Time) (int, error) {
	n := 0
	after := ""
	for {
		var page []*Delivery
		err := g.Store.View(ctx, func(tx Tx) error {
			var err error
			page, err = tx.Deliveries(ctx, tenant, DeliveryFilter{Page: Page{After: after, Limit: 100}, Status: status,
				Since: since, Provider: src.Provider()})
			return err
		})
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		for _, d := range page {
			after = d.ID
			if d.Status == Duplicate {
				continue
			}
			if err := g.Process(ctx, src, d); err != nil {
				return n, err
			}
			n++
		}
	}
}
