package donorsync

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/internal/lograte"
)

// A Feed hands the changes an Ingester records (RecordChanges) to the
// application's Handle function: at least once each, in order within a
// tenant, retrying a change that fails with backoff before it goes on.
// Its cursor, one per tenant, is kept in the Store under its Name and
// moves only past changes Handle returned nil for: a Feed stopped or
// killed repeats at most the batch it was handling.
//
// Replicas running Feeds of the same Name share the work: each leases a
// tenant's cursor while it handles that tenant's changes, so that no two
// handle the same change at the same time, and renews the lease as it
// goes. Feeds of different names are independent consumers, each with
// its own cursors.
//
// Set Store, Name and Handle; other fields are optional.
type Feed struct {
	Store Store

	// Name names the consumer: its cursors are kept under it.
	Name string

	// Handle is called with each change. It should be idempotent, by
	// change.Change.ID: a change may be handled again after a failure or
	// a restart. It is called with a context that is done when the Feed
	// stops, or loses its lease or cannot renew it in time: it should
	// return promptly then, as another replica may take the tenant's
	// changes up a tenth of the Lease later.
	Handle func(ctx context.Context, c change.Change) error

	// Tenant limits the Feed to one tenant's changes; "" handles all.
	Tenant string

	// Batch is how many changes are read at a time; 0 means 100.
	Batch int

	// Poll is how long to wait when there is nothing to handle; 0 means
	// one second.
	Poll time.Duration

	// Lease is how long a cursor stays leased without renewal; the Feed
	// renews it every third of it, and stops handling the tenant's
	// changes a tenth of it before it lapses unrenewed. Each replica
	// reckons leases by its own clock: the clocks of the replicas must
	// agree to better than that tenth. 0 means 30 seconds.
	Lease time.Duration

	// Backoff returns how long to wait before trying a change again after
	// the given number of failures. Nil means DefaultBackoff, at most
	// five minutes.
	Backoff func(attempts int) time.Duration

	// Retention is how long changes are kept once every consumer of their
	// tenant's feed has handled them (a Feed of every tenant counts for
	// the feeds begun while it was away): a Feed prunes older ones every
	// hour. The shortest Retention of the Feeds on a Store is the one that
	// holds. 0 means seven days; a negative value keeps them. A consumer
	// no longer run holds pruning back: delete its cursors (with the SQL
	// stores, DELETE FROM change_cursors WHERE consumer = its Name, the
	// table named with the store's TablePrefix or in its Schema).
	Retention time.Duration

	// Logger receives a line per failed attempt to handle a change (the
	// attempts Backoff apart), per lease not renewed, per handling stopped
	// at a lease's fence or taken over by another replica, per failed
	// pruning, and one when the store starts failing and one when it
	// answers again. Nil means slog.Default().
	Logger *slog.Logger

	failures failures // of the changes failing, by tenant
}

// Run handles changes until ctx is done, and returns nil then; it returns
// an error at once only when the Feed is not set up.
func (f *Feed) Run(ctx context.Context) error {
	if f.Store == nil || f.Name == "" || f.Handle == nil {
		return errors.New("donorsync: Feed needs a Store, a Name and a Handle")
	}
	var failing lograte.Streak
	nextPrune := time.Now()
	for ctx.Err() == nil {
		if f.Retention >= 0 && !time.Now().Before(nextPrune) {
			f.prune(ctx)
			nextPrune = time.Now().Add(time.Hour)
		}
		handled, err := f.step(ctx)
		f.noteStore(ctx, &failing, err)
		if !handled || err != nil {
			sleep(ctx, f.poll())
		}
	}
	return nil
}

// step leases a cursor with changes past it and handles a batch of them.
// It reports whether it found one.
func (f *Feed) step(ctx context.Context) (bool, error) {
	cur, err := f.claim(ctx)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var cs []change.Change
	err = f.Store.View(ctx, func(tx Tx) error {
		cs, err = tx.Changes(ctx, cur.Tenant, cur.Position, f.batch())
		return err
	})
	if err == nil {
		err = f.handle(ctx, &cur, cs)
	}
	handled := len(cs) > 0 // none when the changes past the cursor were pruned meanwhile
	// Free the cursor for the next claim, at the last change handled; a
	// change failing again and again, only once its next attempt is due,
	// so that the Feed handles other tenants meanwhile.
	var later retryLater
	if errors.As(err, &later) {
		cur.LeasedUntil, err = later.at, nil
	} else {
		cur.LeasedUntil = time.Time{}
	}
	if errors.Is(err, errLeaseLost) {
		// Another Feed of this name holds the cursor now: it goes on.
		f.logger().LogAttrs(ctx, slog.LevelInfo, "donorsync: feed: cursor taken over by another replica",
			slog.String("consumer", f.Name), slog.String("tenant", cur.Tenant), slog.Int64("position", cur.Position))
		return handled, nil
	}
	if errors.Is(err, errLeaseLapsing) {
		// Stopped in time; the cursor is freed below if the store answers,
		// or taken up by a claim once its lease lapses. The Feed waits a
		// Poll before it claims again.
		f.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: feed: lease about to lapse unrenewed; handling stopped",
			slog.String("consumer", f.Name), slog.String("tenant", cur.Tenant), slog.Int64("position", cur.Position))
		handled, err = false, nil
	}
	// With a context of its own, so that a Feed stopping frees it too.
	release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err2 := f.move(release, cur); err == nil && !errors.Is(err2, ErrConflict) {
		err = err2
	}
	return handled, err
}

// claim leases a cursor of the Feed's with changes past it.
func (f *Feed) claim(ctx context.Context) (change.Cursor, error) {
	now := time.Now()
	c := change.Claim{Consumer: f.Name, Tenant: f.Tenant, Token: NewID("lease"), Now: now, Until: now.Add(f.lease())}
	var cur change.Cursor
	err := f.Store.Update(ctx, func(tx Tx) error {
		var err error
		cur, err = tx.ClaimCursor(ctx, c)
		return err
	})
	cur.LeasedUntil = c.Until // the lease's end as this Feed's clock has it
	return cur, err
}

// move stores cur.
func (f *Feed) move(ctx context.Context, cur change.Cursor) error {
	return f.Store.Update(ctx, func(tx Tx) error { return tx.MoveCursor(ctx, cur) })
}

// prune deletes the changes past their retention, a thousand at a time.
func (f *Feed) prune(ctx context.Context) {
	retention := f.Retention
	if retention == 0 {
		retention = 7 * 24 * time.Hour
	}
	before := time.Now().Add(-retention)
	for ctx.Err() == nil {
		var n int
		err := f.Store.Update(ctx, func(tx Tx) error {
			var err error
			n, err = tx.PruneChanges(ctx, before, 1000)
			return err
		})
		if err != nil {
			f.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: feed: pruning changes failed",
				slog.String("consumer", f.Name), slog.String("error", err.Error()))
			return
		}
		if n < 1000 {
			return
		}
	}
}

// noteStore logs the start and the end of a streak of store failures.
func (f *Feed) noteStore(ctx context.Context, failing *lograte.Streak, err error) {
	if err != nil && ctx.Err() == nil {
		if failing.Fail(time.Now()) {
			f.logger().LogAttrs(ctx, slog.LevelError, "donorsync: feed: store failing",
				slog.String("consumer", f.Name), slog.String("error", err.Error()))
		}
		return
	}
	if ended, n, lasted := failing.Succeed(time.Now()); ended {
		f.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: feed: store answers again",
			slog.String("consumer", f.Name), slog.Int("failures", n), slog.Duration("lasted", lasted))
	}
}

func (f *Feed) batch() int {
	if f.Batch <= 0 {
		return 100
	}
	return f.Batch
}

func (f *Feed) poll() time.Duration {
	if f.Poll <= 0 {
		return time.Second
	}
	return f.Poll
}

func (f *Feed) lease() time.Duration {
	if f.Lease <= 0 {
		return 30 * time.Second
	}
	return f.Lease
}

func (f *Feed) backoff(attempts int) time.Duration {
	if f.Backoff != nil {
		return f.Backoff(attempts)
	}
	return min(DefaultBackoff(attempts), 5*time.Minute)
}

func (f *Feed) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.Default()
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
