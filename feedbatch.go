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

// handle hands cs to Handle in order, each until it returns nil, and
// moves cur.Position past each change handled. Meanwhile it renews the
// lease, with the position reached; it stops when ctx is done or the
// lease is lost.
func (f *Feed) handle(ctx context.Context, cur *change.Cursor, cs []change.Change) error {
	hctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var pos atomic.Int64
	pos.Store(cur.Position)
	var wg sync.WaitGroup
	held := *cur // renew's own copy: cur moves below
	wg.Go(func() { f.renew(hctx, cancel, held, &pos) })
	defer wg.Wait()
	defer cancel(nil)
	for _, c := range cs {
		if err := f.handleOne(hctx, c); err != nil {
			cur.Position = pos.Load()
			return err
		}
		pos.Store(c.Position)
	}
	cur.Position = pos.Load()
	return nil
}

// handleOne calls Handle with c until it returns nil, waiting as Backoff
// says between attempts. It returns an error only when ctx is done.
func (f *Feed) handleOne(ctx context.Context, c change.Change) error {
	for attempts := 1; ; attempts++ {
		err := f.Handle(ctx, c)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		wait := f.backoff(attempts)
		f.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: feed: change not handled; trying again",
			slog.String("consumer", f.Name), slog.String("tenant", c.Tenant), slog.String("change", c.ID),
			slog.Int64("position", c.Position), slog.String("kind", string(c.Kind)), slog.Int("attempts", attempts),
			slog.Duration("retry_in", wait), slog.String("error", err.Error()))
		sleep(ctx, wait)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// renew renews the lease of cur every third of the Lease, with the
// position pos holds, until ctx is done; it cancels ctx when another
// Feed has taken the cursor.
func (f *Feed) renew(ctx context.Context, cancel context.CancelCauseFunc, cur change.Cursor, pos *atomic.Int64) {
	t := time.NewTicker(f.lease() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur.Position, cur.LeasedUntil = pos.Load(), time.Now().Add(f.lease())
		err := f.move(ctx, cur)
		switch {
		case errors.Is(err, ErrConflict):
			cancel(errLeaseLost)
			return
		case err != nil && ctx.Err() == nil:
			f.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: feed: lease not renewed",
				slog.String("consumer", f.Name), slog.String("tenant", cur.Tenant), slog.String("error", err.Error()))
		}
	}
}
