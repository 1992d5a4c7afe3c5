package donorsync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/memstore"
)

// appendChanges appends n changes to the feed of tenant in s.
func appendChanges(t *testing.T, s donorsync.Store, tenant string, n int) {
	t.Helper()
	cs := make([]change.Change, n)
	for i := range cs {
		cs[i] = change.Change{ID: donorsync.NewID("ch"), Tenant: tenant, Kind: change.ContactsMerged,
			Key: fmt.Sprintf("ct_%d", i), From: fmt.Sprintf("ct_x%d", i), At: time.Now()}
	}
	err := s.Update(t.Context(), func(tx donorsync.Tx) error { return tx.AppendChanges(t.Context(), cs) })
	if err != nil {
		t.Fatal(err)
	}
}

// unrenewable is a Store out of reach of one replica once it has claimed
// a cursor: its transactions cannot renew the lease, nor claim again;
// they fail, or, with hang, do not answer until their context is done.
// A release of the lease goes through. Its Views take slow to begin.
type unrenewable struct {
	donorsync.Store
	slow    time.Duration
	hang    bool
	claimed *atomic.Bool
}

var errOutOfReach = errors.New("store out of reach")

func (s unrenewable) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	err := s.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(unrenewableTx{tx, s.claimed}) })
	if s.hang && errors.Is(err, errOutOfReach) {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (s unrenewable) View(ctx context.Context, fn func(donorsync.Tx) error) error {
	time.Sleep(s.slow)
	return s.Store.View(ctx, fn)
}

type unrenewableTx struct {
	donorsync.Tx
	claimed *atomic.Bool
}

func (tx unrenewableTx) ClaimCursor(ctx context.Context, c change.Claim) (change.Cursor, error) {
	if tx.claimed != nil && tx.claimed.Load() {
		return change.Cursor{}, errOutOfReach
	}
	cur, err := tx.Tx.ClaimCursor(ctx, c)
	if err == nil && tx.claimed != nil {
		tx.claimed.Store(true)
	}
	return cur, err
}

func (tx unrenewableTx) MoveCursor(ctx context.Context, cur change.Cursor) error {
	if !cur.LeasedUntil.IsZero() {
		return errOutOfReach
	}
	return tx.Tx.MoveCursor(ctx, cur)
}

// handlers records which replica handles which change, and finds two
// handling one tenant's changes at once.
type handlers struct {
	mu      sync.Mutex
	active  map[string]string // replica handling a change now, by tenant
	handled map[string][]int64
	overlap []string
}

func newHandlers() *handlers {
	return &handlers{active: map[string]string{}, handled: map[string][]int64{}}
}

func (h *handlers) begin(replica string, c change.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if other, ok := h.active[c.Tenant]; ok {
		h.overlap = append(h.overlap, fmt.Sprintf("%s at %d while %s handles one", replica, c.Position, other))
	}
	h.active[c.Tenant] = replica
	h.handled[replica] = append(h.handled[replica], c.Position)
}

func (h *handlers) end(c change.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.active, c.Tenant)
}

// TestFeedStopsBeforeItsLeaseLapses: a Feed that cannot renew its lease
// (the store failing, or not answering) stops handling before the lease
// lapses, so that the replica that claims the cursor next never handles
// a change at the same time; where Handle does not heed its context,
// the Feed hands it no change after that.
func TestFeedStopsBeforeItsLeaseLapses(t *testing.T) {
	for _, tc := range []struct{ heeds, hang bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
		heeds := tc.heeds
		t.Run(fmt.Sprintf("Handle heeds its context %v, renewals hang %v", tc.heeds, tc.hang), func(t *testing.T) {
			s := memstore.New()
			appendChanges(t, s, "acme", 5)
			h := newHandlers()
			const lease = 200 * time.Millisecond
			feed := func(replica string, store donorsync.Store) *donorsync.Feed {
				return &donorsync.Feed{Store: store, Name: "crm", Lease: lease, Poll: 5 * time.Millisecond, Logger: quiet,
					Handle: func(ctx context.Context, c change.Change) error {
						h.begin(replica, c)
						defer h.end(c)
						if heeds {
							select {
							case <-ctx.Done():
								return ctx.Err()
							case <-time.After(3 * lease):
							}
						} else {
							time.Sleep(lease)
						}
						return nil
					}}
			}
			ctx, cancel := context.WithTimeout(t.Context(), 6*lease)
			defer cancel()
			var wg sync.WaitGroup
			wg.Go(func() { feed("A", unrenewable{Store: s, hang: tc.hang, claimed: new(atomic.Bool)}).Run(ctx) })
			time.Sleep(lease / 4) // A holds the cursor
			wg.Go(func() { feed("B", s).Run(ctx) })
			wg.Wait()
			// A Handle that does not heed its context cannot be stopped
			// before its lease lapses; it is handed no change after.
			if heeds && len(h.overlap) > 0 {
				t.Errorf("two replicas handled the tenant's changes at once: %q (handled: %v)", h.overlap, h.handled)
			}
			if !slices.Equal(h.handled["A"], []int64{1}) {
				t.Errorf("A, whose lease could not be renewed, handled %v; want only the change it began with", h.handled["A"])
			}
			if len(h.handled["B"]) == 0 {
				t.Errorf("B never took the cursor up (handled: %v)", h.handled)
			}
		})
	}
}

// TestFeedSlowReadLeavesLeaseAlone: a Feed whose read of the changes
// took most of its lease hands none of them to Handle: another replica
// may claim the cursor any moment.
func TestFeedSlowReadLeavesLeaseAlone(t *testing.T) {
	s := memstore.New()
	appendChanges(t, s, "acme", 3)
	const lease = 100 * time.Millisecond
	var calls atomic.Int32
	f := &donorsync.Feed{Store: unrenewable{Store: s, slow: lease}, Name: "crm", Lease: lease, Poll: 5 * time.Millisecond, Logger: quiet,
		Handle: func(ctx context.Context, c change.Change) error {
			calls.Add(1)
			return nil
		}}
	ctx, cancel := context.WithTimeout(t.Context(), 5*lease)
	defer cancel()
	f.Run(ctx)
	if n := calls.Load(); n != 0 {
		t.Errorf("Handle called %d times by a Feed whose every read outlasts its lease", n)
	}
}

// TestFeedFailingTenantLetsOthersGoOn: a change that keeps failing holds
// back the changes of its tenant only: the Feed leaves its cursor leased
// until the change's next attempt, and handles the other tenants'
// changes meanwhile; the failing change is tried again, with a growing
// backoff, and handled once it succeeds.
func TestFeedFailingTenantLetsOthersGoOn(t *testing.T) {
	s := memstore.New()
	appendChanges(t, s, "a", 2)
	appendChanges(t, s, "b", 2)
	var mu sync.Mutex
	var attempts []int
	var handled []string
	fail := true
	f := &donorsync.Feed{Store: s, Name: "crm", Poll: 5 * time.Millisecond, Logger: quiet,
		Backoff: func(n int) time.Duration {
			mu.Lock()
			attempts = append(attempts, n)
			mu.Unlock()
			return time.Duration(n) * 10 * time.Millisecond
		},
		Handle: func(ctx context.Context, c change.Change) error {
			mu.Lock()
			defer mu.Unlock()
			if c.Tenant == "a" && fail {
				return errors.New("the CRM refuses it")
			}
			handled = append(handled, fmt.Sprintf("%s%d", c.Tenant, c.Position))
			return nil
		}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(handled) == 2 && len(attempts) >= 7 })
	mu.Lock()
	if !slices.Equal(handled, []string{"b1", "b2"}) {
		t.Errorf("handled %v while a's first change fails; want b's", handled)
	}
	if !slices.Equal(attempts[:7], []int{1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("attempts %v: want one count across claims, growing", attempts)
	}
	fail = false
	mu.Unlock()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(handled) == 4 })
	cancel()
	<-done
	if !slices.Equal(handled, []string{"b1", "b2", "a1", "a2"}) {
		t.Errorf("handled %v; want a's changes too, in order, once they succeed", handled)
	}
}

// waitFor waits up to 5 seconds for ok.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFeedTenantsTakeTurns: a tenant with a long backlog does not hold
// back another's change until the backlog is handled.
func TestFeedTenantsTakeTurns(t *testing.T) {
	s := memstore.New()
	appendChanges(t, s, "a", 500)
	appendChanges(t, s, "b", 1)
	var mu sync.Mutex
	var order []string
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := &donorsync.Feed{Store: s, Name: "crm", Batch: 10, Poll: 5 * time.Millisecond, Logger: quiet,
		Handle: func(ctx context.Context, c change.Change) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, c.Tenant)
			if len(order) == 501 {
				cancel()
			}
			return nil
		}}
	f.Run(ctx)
	if i := slices.Index(order, "b"); i < 0 || i > 20 {
		t.Errorf("b's change handled after %d of a's; want it within a's first two batches", i)
	}
}
