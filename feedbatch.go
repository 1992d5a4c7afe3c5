package donorsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync/change"
)

// errLeaseLost stops the handling of a batch whose cursor another Feed
// of the same name has claimed.
var errLeaseLost = fmt.Errorf("donorsync: feed: cursor lease lost: %w", ErrConflict)

// errLeaseLapsing stops the handling of a batch whose lease could not be
// renewed and is about to lapse: once it has, another Feed may claim the
// cursor, and must not find this one still handling.
var errLeaseLapsing = errors.New("donorsync: feed: cursor lease not renewed in time")

// attemptsPerClaim is how many times a failing change is tried in a row
// in one claim: after that, the Feed leaves the cursor leased until the
// change's next attempt is due (no replica claims it before), and goes
// on to the other tenants' changes meanwhile (it handles one tenant at a
// time).
const attemptsPerClaim = 3

// A retryLater is what handleOne returns for a change that failed
// attemptsPerClaim times in a row: when to try it again.
type retryLater struct{ at time.Time }

func (r retryLater) Error() string {
	return "donorsync: feed: change failing: tried again at " + r.at.Format(time.RFC3339)
}

// handle hands cs to Handle in order, each until it returns nil, and
// moves cur.Position past each change handled. Meanwhile it renews the
// lease, with the position reached; it stops when ctx is done, when the
// lease is lost or about to lapse, and when a change keeps failing.
func (f *Feed) handle(ctx context.Context, cur *change.Cursor, cs []change.Change) error {
	hctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var pos, fence atomic.Int64
	pos.Store(cur.Position)
	fence.Store(cur.LeasedUntil.Add(-f.lease() / 10).UnixNano())
	var wg sync.WaitGroup
	held := *cur // renew's own copy: cur moves below
	wg.Go(func() { f.renew(hctx, cancel, held, &pos, &fence) })
	defer wg.Wait()
	defer cancel(nil)
	for _, c := range cs {
		// No change once the lease is gone, or about to lapse: reading cs,
		// or a renewal, may have taken the time.
		err := context.Cause(hctx)
		if err == nil && time.Now().UnixNano() >= fence.Load() {
			err = errLeaseLapsing
		}
		if err == nil {
			err = f.handleOne(hctx, c)
		}
		if err != nil {
			cur.Position = pos.Load()
			return err
		}
		pos.Store(c.Position)
	}
	cur.Position = pos.Load()
	return nil
}

// handleOne calls Handle with c until it returns nil, waiting as Backoff
// says between attempts, at most attemptsPerClaim times in a row: then it
// returns a retryLater. It returns the cause when ctx is done.
func (f *Feed) handleOne(ctx context.Context, c change.Change) error {
	for {
		err := f.Handle(ctx, c)
		if err == nil {
			f.failures.clear(c.Tenant)
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		attempts := f.failures.add(c.Tenant, c.ID)
		wait := f.backoff(attempts)
		f.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: feed: change not handled; trying again",
			slog.String("consumer", f.Name), slog.String("tenant", c.Tenant), slog.String("change", c.ID),
			slog.Int64("position", c.Position), slog.String("kind", string(c.Kind)), slog.Int("attempts", attempts),
			slog.Duration("retry_in", wait), slog.String("error", err.Error()))
		if attempts%attemptsPerClaim == 0 {
			return retryLater{time.Now().Add(wait)}
		}
		sleep(ctx, wait)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// renew renews the lease of cur, from its LeasedUntil, when a third of
// the Lease has passed since, with the position pos holds, until ctx is
// done; fenceAt holds when handling must stop unless renewed, a tenth of
// the Lease before the lease lapses, in Unix nanoseconds. It cancels ctx
// when another Feed has taken the cursor, and at the fence: when the
// store fails, or does not answer, until then.
func (f *Feed) renew(ctx context.Context, cancel context.CancelCauseFunc, cur change.Cursor, pos, fenceAt *atomic.Int64) {
	lease := f.lease()
	fence := time.NewTimer(time.Until(time.Unix(0, fenceAt.Load())))
	defer fence.Stop()
	next := time.NewTimer(time.Until(cur.LeasedUntil) - 2*lease/3)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-fence.C:
			cancel(errLeaseLapsing)
			return
		case <-next.C:
		}
		until := time.Now().Add(lease)
		cur.Position, cur.LeasedUntil = pos.Load(), until
		mctx, mcancel := context.WithDeadline(ctx, time.Unix(0, fenceAt.Load()))
		err := f.move(mctx, cur)
		mcancel()
		switch {
		case err == nil:
			fenceAt.Store(until.Add(-lease / 10).UnixNano())
			fence.Reset(time.Until(until) - lease/10)
			next.Reset(lease / 3)
		case errors.Is(err, ErrConflict):
			cancel(errLeaseLost)
			return
		default:
			if ctx.Err() == nil {
				f.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: feed: lease not renewed",
					slog.String("consumer", f.Name), slog.String("tenant", cur.Tenant), slog.String("error", err.Error()))
			}
			next.Reset(lease / 10) // again soon, before the fence
		}
	}
}

// failures counts, by tenant, the failed attempts at the change a Feed
// is stuck on, across claims, so that its backoff grows.
type failures struct {
	mu sync.Mutex
	m  map[string]failure
}

type failure struct {
	change   string // its id
	attempts int
}

// add counts a failed attempt at change id of tenant and returns the
// attempts so far.
func (fs *failures) add(tenant, id string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m == nil {
		fs.m = map[string]failure{}
	}
	f := fs.m[tenant]
	if f.change != id {
		f = failure{change: id}
	}
	f.attempts++
	fs.m[tenant] = f
	return f.attempts
}

// clear forgets the failures of tenant.
func (fs *failures) clear(tenant string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.m, tenant)
}
