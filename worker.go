package donorsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/internal/lograte"
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

	pace draftPace // how often it drafts, after drafts refused
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
// (after the batch failed as a whole) is finished first. While claiming
// or applying keeps failing (a store down), Run logs one line when the
// failures start and one when they end, with their count.
func (w *Worker) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	t := time.NewTimer(0)
	defer t.Stop()
	var next *ahead // the next batch, read while this one is applied
	var failing lograte.Streak
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
		w.logRun(ctx, &failing, err)
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

// logRun logs the outcome err of one round of Run: one line at Error
// when rounds start failing, one at Warn when one succeeds again, with the
// number of rounds that failed and for how long, and none in between.
func (w *Worker) logRun(ctx context.Context, failing *lograte.Streak, err error) {
	log := w.Ingester.logger()
	now := time.Now()
	if err != nil {
		if failing.Fail(now) {
			log.LogAttrs(ctx, slog.LevelError, "donorsync: worker cannot claim or apply deliveries",
				slog.String("error", err.Error()))
		}
		return
	}
	if ended, n, lasted := failing.Succeed(now); ended {
		log.LogAttrs(ctx, slog.LevelWarn, "donorsync: worker claims and applies deliveries again",
			slog.Int("failed_rounds", n), slog.Duration("lasted", lasted))
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
// (SQLite), the batch is read and decoded beside the writing transaction
// first, and the writing transaction claims it by id; the Workers of one
// Ingester read different batches. Run also reads the next batch while
// one is applied.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	n, _, err := w.runOnce(ctx, nil, false)
	return n, err
}

// runOnce is RunOnce, starting from the batch a when it is not nil (read
// ahead by the previous call). When more is true and the batch is full,
// it reads the next one while this one is applied, and returns it.
func (w *Worker) runOnce(ctx context.Context, a *ahead, more bool) (n int, next *ahead, err error) {
	p := w.Ingester.pipeline()
	if a, err = p.prepare(ctx, w, a); err != nil {
		return 0, nil, err
	}
	defer a.release()
	if a != nil && len(a.ids) == 0 {
		return 0, nil, nil // nothing due: no writing transaction
	}
	wait := func(bool) *ahead { return nil }
	if more {
		wait = p.prepareAfter(ctx, w, a)
	}
	n, sent, err := w.apply(ctx, p, a)
	next = wait(sent && err == nil)
	switch {
	case err == nil:
		return n, next, nil
	case ctx.Err() != nil:
		return 0, next, nil
	}
	// The batch failed as a whole (a delivery that cannot be applied, one
	// with no source, a lost race, an unavailable store): claim again,
	// and apply one delivery at a time, so that each outcome is its own.
	if n, err = w.oneByOne(ctx); err != nil {
		next.release()
		return 0, nil, err
	}
	return n, next, nil
}

// apply claims the batch a names (what is due, when a is nil) and
// applies it in one writing transaction, one commit for the batch: it
// sends a's draft when it can, and applies the batch itself otherwise;
// then it settles each delivery. It returns how many deliveries it
// claimed, including those it left for a later batch, and whether it
// sent the draft.
func (w *Worker) apply(ctx context.Context, p pipeline, a *ahead) (n int, sent bool, err error) {
	g := w.Ingester
	var settled []Delivery
	start := time.Now()
	err = g.Store.Update(ctx, func(tx Tx) error {
		n, sent, settled = 0, false, nil // a transaction tried again starts afresh
		ds, err := g.claim(ctx, tx, w.claim(), a.claimBy())
		n = len(ds)
		if err != nil || len(ds) == 0 {
			return err
		}
		b, err := a.decode(w.Ingester.logger(), w.source, ds)
		if err != nil {
			return err
		}
		if b, err = w.leaveBusy(ctx, tx, b); err != nil {
			return err
		}
		if sent, err = p.send(ctx, w, tx, a, b); err != nil {
			return err
		}
		if !sent {
			if err := g.applyItems(ctx, tx, b); err != nil {
				return err
			}
		}
		settled, err = g.settle(ctx, tx, b)
		return err
	})
	if err == nil {
		w.applied(ctx, start, settled)
	}
	return n, sent, err
}

// applied reports a batch committed: to the Observer, and in the log,
// one line per delivery at Debug and one for the batch at Info.
func (w *Worker) applied(ctx context.Context, start time.Time, settled []Delivery) {
	if len(settled) == 0 {
		return
	}
	g := w.Ingester
	ds := make([]*Delivery, len(settled))
	counts := map[DeliveryStatus]int{}
	log := g.logger()
	debug := log.Enabled(ctx, slog.LevelDebug)
	for i := range settled {
		d := &settled[i]
		ds[i] = d
		counts[d.Status]++
		if debug {
			log.LogAttrs(ctx, slog.LevelDebug, "donorsync: delivery applied", slog.Any("delivery", d))
		}
	}
	g.observeApplied(ctx, start, true, ds...)
	log.LogAttrs(ctx, slog.LevelInfo, "donorsync: batch applied", slog.Int("deliveries", len(ds)),
		slog.Int("processed", counts[Processed]), slog.Int("quarantined", counts[Quarantined]),
		slog.Duration("took", time.Since(start)))
}

// leaveBusy releases, where the Store declares locks that can be tried,
// the deliveries of b whose locks another transaction holds, for a later
// batch, rather than wait for them; it returns the others.
func (w *Worker) leaveBusy(ctx context.Context, tx Tx, b items) (items, error) {
	tl, ok := tx.(batch.TryLocker)
	if !ok || !w.Ingester.declared().TryLock {
		return b, nil
	}
	keep, left, err := w.Ingester.tryLock(ctx, tl, b)
	if skipped(err) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	for _, it := range left {
		it.d.ClaimedUntil = time.Time{}
		if err := tx.UpdateDelivery(ctx, it.d); err != nil {
			return nil, err
		}
	}
	return keep, nil
}

// oneByOne claims a batch and processes each delivery in a transaction
// of its own. The deliveries claimed are finished even when ctx is
// cancelled meanwhile: stopping waits for them rather than abandon them
// claimed.
func (w *Worker) oneByOne(ctx context.Context) (int, error) {
	g := w.Ingester
	var claimed []*Delivery
	err := g.update(ctx, func(tx Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, w.claim())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("donorsync: claim deliveries: %w", err)
	}
	if ctx.Err() != nil {
		w.release(ctx, claimed)
		return 0, nil
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.lease())
	defer cancel()
	var errs []error
	for _, d := range claimed {
		src := w.source(d.Provider)
		if src == nil {
			w.bury(pctx, d, fmt.Sprintf("no source for provider %q", d.Provider))
			continue
		}
		if err := g.Process(pctx, src, d); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// An outcome could not be stored: those claims lapse and another
		// attempt follows; Run logs the failure once while it lasts.
		return len(claimed), fmt.Errorf("donorsync: store outcomes: %w", err)
	}
	return len(claimed), nil
}

// claim returns the Claim of the Worker's next batch.
func (w *Worker) claim() Claim {
	now := w.Ingester.now()
	return Claim{Tenant: w.Tenant, Now: now, Until: now.Add(w.lease()), Limit: w.batch()}
}

func (w *Worker) lease() time.Duration {
	if w.Lease <= 0 {
		return time.Minute
	}
	return w.Lease
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
	start, hist := time.Now(), history(d)
	err := w.Ingester.update(ctx, func(tx Tx) error {
		d.Status, d.Error, d.UpdatedAt, d.ClaimedUntil, d.History = Dead, reason, w.Ingester.now(), time.Time{}, hist
		return tx.UpdateDelivery(ctx, d)
	})
	if err == nil {
		w.Ingester.observeApplied(ctx, start, true, d)
	}
}
