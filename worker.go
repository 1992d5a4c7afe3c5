package donorsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// A Worker applies journaled deliveries in queued mode: those a Handler
// with Queued set has journaled as Pending, and those whose application
// failed and are due for another attempt. Several Workers, in one process
// or on many replicas sharing a store, share the work: each claims a batch
// of deliveries for a lease, and no two hold the same delivery.
//
// Set Ingester and Sources; other fields are optional.
type Worker struct {
	// Ingester applies the deliveries, with its Store, retry policy and
	// logger.
	Ingester *Ingester

	// Sources decode the deliveries, one per provider.
	Sources []Source

	// Tenant limits the Worker to one tenant; "" serves all.
	Tenant string

	// Batch is how many deliveries are claimed at a time; 0 means 32.
	Batch int

	// Poll is how long to wait when nothing is due; 0 means 250 ms.
	Poll time.Duration

	// Linger is how long to wait after a batch that was not full before
	// claiming the next, so that under load batches fill up and commits
	// are fewer. 0 means 5 ms; a negative value means no wait.
	Linger time.Duration

	// Lease is how long a claim lasts: a delivery claimed by a Worker that
	// died is taken up by another after it. 0 means one minute.
	Lease time.Duration

	// After a draft refused (Drafter), the batches left to apply without
	// drafting, and the refusals in a row.
	undrafted, refusals atomic.Int32
}

// maxUndrafted bounds the batches a Worker applies without drafting
// after its drafts are refused: it tries again after 1, 2, 4, ... of
// them, so that Workers whose drafts another's commits keep refusing
// (several on one SQLite store) waste one draft in this many batches.
const maxUndrafted = 16

// drafting reports whether the Worker drafts its next batch.
func (w *Worker) drafting() bool {
	for {
		n := w.undrafted.Load()
		if n <= 0 {
			return true
		}
		if w.undrafted.CompareAndSwap(n, n-1) {
			return false
		}
	}
}

// drafted notes whether a draft was sent or refused.
func (w *Worker) drafted(sent bool) {
	if sent {
		w.refusals.Store(0)
		return
	}
	n := min(w.refusals.Add(1), 5)
	w.undrafted.Store(min(int32(1)<<(n-1), maxUndrafted))
}

// errNoSource fails a batch holding a delivery that no Source decodes.
var errNoSource = errors.New("donorsync: no source for a claimed delivery")

// errNoBody fails a batch holding a delivery claimed without its body that
// was not read ahead; the deliveries are then claimed again, with bodies.
var errNoBody = errors.New("donorsync: a delivery claimed without its body was not read ahead")

// Run processes deliveries until ctx is done, and returns nil: stopping a
// Worker loses nothing and leaves nothing claimed. A batch being applied
// in one transaction when ctx is done is rolled back, its deliveries left
// pending for the next Worker; one being applied a delivery at a time
// (after the batch failed as a whole) is finished first.
func (w *Worker) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	t := time.NewTimer(0)
	defer t.Stop()
	var next *ahead // the next batch, read while this one is applied
	defer func() { next.release() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var n int
		var err error
		n, next, err = w.runOnce(ctx, next, true)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.Ingester.logger().LogAttrs(ctx, slog.LevelError, "donorsync: worker", slog.String("error", err.Error()))
		}
		switch {
		case err != nil || n == 0:
			t.Reset(poll)
		case n < w.batch():
			t.Reset(max(w.linger(), 0))
		default:
			t.Reset(0)
		}
	}
}

// Drain processes deliveries until none is due, and returns how many it
// processed. It suits tests, and a backfill run to completion.
func (w *Worker) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := w.RunOnce(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// RunOnce claims one batch of due deliveries and processes it, in one
// transaction where it can, and returns how many it claimed. When ctx is
// done before processing starts, the claims are released.
//
// With a Store that writes one transaction at a time and reads beside it
// (its read-only Tx is a DueLister, and it is not a ParallelStore), the
// batch is read and decoded in a View first, and the writing transaction
// claims it by id; the Workers of one Ingester read different batches.
// Run also reads the next batch while one is applied.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	n, _, err := w.runOnce(ctx, nil, false)
	return n, err
}

// runOnce is RunOnce, starting from the batch a when it is not nil (read
// ahead by the previous call). When more is true and the batch is full,
// it reads the next one while this one is applied, and returns it.
func (w *Worker) runOnce(ctx context.Context, a *ahead, more bool) (n int, next *ahead, err error) {
	g := w.Ingester
	batch := w.batch()
	lease := w.Lease
	if lease <= 0 {
		lease = time.Minute
	}
	claim := func() Claim {
		now := g.now()
		return Claim{Tenant: w.Tenant, Now: now, Until: now.Add(lease), Limit: batch}
	}
	if a == nil {
		if a, err = w.readAhead(ctx, batch); err != nil {
			return 0, nil, err
		}
	}
	sent := false // the draft of a, by a transaction that committed
	if a != nil {
		defer a.release()
		if len(a.ids) == 0 {
			return 0, nil, nil
		}
		if a.draft == nil && w.drafting() {
			a.draft = w.draft(ctx, nil, a)
		}
		if more && len(a.ids) == batch {
			var read *ahead
			done := make(chan struct{})
			go func() {
				defer close(done)
				read, _ = w.readAhead(ctx, batch) // an error shows again when the batch is read anew
				if read != nil && len(read.ids) == batch && a.draft != nil {
					read.draft = w.draft(ctx, a.draft, read)
				}
			}()
			defer func() {
				<-done
				if read != nil && len(read.ids) == batch && err == nil {
					if !sent { // it could never be sent: drafted anew
						read.draft = nil
					}
					next = read
				} else { // read again after a pause, when more may be due
					read.release()
				}
			}()
		}
	}
	// Claim and apply in one transaction: one commit for the batch.
	var claimed []*Delivery
	var states []Delivery
	took := 0 // claimed, including those left for a later batch
	err = g.Store.Update(ctx, func(tx Tx) error {
		var err error
		c := claim()
		c.Settling = true
		if a != nil {
			c.IDs, c.NoBody = a.ids, true
		}
		claimed, err = tx.ClaimDeliveries(ctx, c)
		took = len(claimed)
		if err != nil || len(claimed) == 0 {
			return err
		}
		decoded, derrs, err := a.decode(w.source, claimed)
		if err != nil {
			return err
		}
		if tl, ok := tx.(TryLocker); ok {
			// Leave for a later batch the deliveries whose locks another
			// transaction holds, rather than wait for it.
			keep, err := g.tryLockBatch(ctx, tl, claimed, decoded, derrs)
			if err != nil {
				return err
			}
			var left []*Delivery
			claimed, decoded, derrs, left = kept(keep, claimed, decoded, derrs)
			for _, d := range left {
				d.ClaimedUntil = time.Time{}
				if err := tx.UpdateDelivery(ctx, d); err != nil {
					return err
				}
			}
		}
		sent = false // a transaction tried again
		if ds, ok := tx.(DraftSender); ok && a != nil && a.draft != nil && a.all(claimed) {
			if sent, err = ds.SendDraft(ctx, a.draft); err != nil {
				return err
			}
			w.drafted(sent)
		}
		if !sent {
			if err := g.applyBatch(ctx, tx, claimed, decoded, derrs); err != nil {
				return err
			}
		}
		states, err = g.settleBatch(ctx, tx, claimed, derrs)
		return err
	})
	if err == nil {
		for i, d := range claimed {
			*d = states[i]
		}
		return took, nil, nil
	}
	sent = false
	if ctx.Err() != nil {
		return 0, nil, nil
	}
	// The batch failed as a whole (a delivery that cannot be applied, one
	// with no source, a lost race, an unavailable store): claim again,
	// and apply one delivery at a time, so that each outcome is its own.
	claimed = nil
	err = g.update(ctx, func(tx Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, claim())
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("donorsync: claim deliveries: %w", err)
	}
	if ctx.Err() != nil {
		w.release(ctx, claimed)
		return 0, nil, nil
	}
	known := claimed[:0:0]
	for _, d := range claimed {
		if w.source(d.Provider) == nil {
			w.bury(ctx, d, fmt.Sprintf("no source for provider %q", d.Provider))
			continue
		}
		known = append(known, d)
	}
	// The deliveries claimed are finished even when ctx is cancelled
	// meanwhile: stopping waits for them rather than abandon them claimed.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lease)
	err = g.processEach(pctx, w.source, known)
	cancel()
	if err != nil {
		// An outcome could not be stored: those claims lapse and another
		// attempt follows.
		g.logger().LogAttrs(ctx, slog.LevelError, "donorsync: worker", slog.String("error", err.Error()))
	}
	return len(claimed), nil, nil
}

// kept returns the deliveries of ds, with their decoded events and
// errors, that keep marks, and the others.
func kept(keep []bool, ds []*Delivery, decoded []Decoded, derrs []error) ([]*Delivery, []Decoded, []error, []*Delivery) {
	var left []*Delivery
	n := 0
	for i := range ds {
		if !keep[i] {
			left = append(left, ds[i])
			continue
		}
		ds[n], decoded[n], derrs[n] = ds[i], decoded[i], derrs[i]
		n++
	}
	return ds[:n], decoded[:n], derrs[:n], left
}

func (w *Worker) batch() int {
	if w.Batch <= 0 {
		return 32
	}
	return w.Batch
}

func (w *Worker) linger() time.Duration {
	if w.Linger == 0 {
		return 5 * time.Millisecond
	}
	return w.Linger
}

func (w *Worker) source(provider string) Source {
	for _, s := range w.Sources {
		if s.Provider() == provider {
			return s
		}
	}
	return nil
}

// release gives up the claims on ds, so that they are taken up at once.
func (w *Worker) release(ctx context.Context, ds []*Delivery) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = w.Ingester.update(ctx, func(tx Tx) error {
		for _, d := range ds {
			d.ClaimedUntil = time.Time{}
			if err := tx.UpdateDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// bury moves a delivery that no source can decode to Dead.
func (w *Worker) bury(ctx context.Context, d *Delivery, reason string) {
	_ = w.Ingester.update(ctx, func(tx Tx) error {
		d.Status, d.Error, d.UpdatedAt, d.ClaimedUntil = Dead, reason, w.Ingester.now(), time.Time{}
		return tx.UpdateDelivery(ctx, d)
	})
}
