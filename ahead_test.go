package donorsync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
	"github.com/google/go-cmp/cmp"
)

// watchStore is a memstore that reports what runs while a writing
// transaction is open, and lets a test step in.
type watchStore struct {
	*memstore.Store
	writing           atomic.Int32 // Updates in progress
	viewsWhileWriting atomic.Int32
	// delay, when set, lengthens every Update.
	delay time.Duration
	// hold, when set, keeps the first Update waiting until it is closed;
	// holding is closed once that Update waits.
	hold, holding chan struct{}
	held          atomic.Bool
	// afterView, when set, runs once, after the first View.
	afterView func()
	once      sync.Once
	// tx, when set, wraps the Tx of every Update; viewTx, of every View.
	tx, viewTx func(donorsync.Tx) donorsync.Tx
	views      atomic.Int32
}

func (s *watchStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	if s.hold != nil && s.held.CompareAndSwap(false, true) {
		close(s.holding)
		<-s.hold
	}
	s.writing.Add(1)
	defer s.writing.Add(-1)
	time.Sleep(s.delay)
	return s.Store.Update(ctx, func(tx donorsync.Tx) error {
		if s.tx != nil {
			tx = s.tx(tx)
		}
		return fn(tx)
	})
}

func (s *watchStore) View(ctx context.Context, fn func(donorsync.Tx) error) error {
	s.views.Add(1)
	if s.writing.Load() > 0 {
		s.viewsWhileWriting.Add(1)
	}
	err := s.Store.View(ctx, func(tx donorsync.Tx) error {
		if s.viewTx != nil {
			tx = s.viewTx(tx)
		}
		return fn(tx)
	})
	if s.afterView != nil {
		s.once.Do(s.afterView)
	}
	return err
}

// parallelWatch is a watchStore that writes transactions side by side.
type parallelWatch struct{ *watchStore }

func (parallelWatch) ParallelWrites() int { return 2 }

// watchedSource counts the deliveries it decodes while its store has a
// writing transaction open, and the others.
type watchedSource struct {
	perBodySource
	store           *watchStore
	inside, outside atomic.Int32
}

func (s *watchedSource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	if s.store.writing.Load() > 0 {
		s.inside.Add(1)
	} else {
		s.outside.Add(1)
	}
	return s.perBodySource.Decode(d)
}

// enqueueGifts journals n deliveries g0, g1, ... received a millisecond
// apart, oldest first, and returns their ids.
func enqueueGifts(t *testing.T, g *donorsync.Ingester, src donorsync.Source, n int) []string {
	t.Helper()
	var ids []string
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		d := &donorsync.Delivery{Tenant: "t1", Body: fmt.Appendf(nil, "g%d", i), ReceivedAt: at.Add(time.Duration(i) * time.Millisecond)}
		if err := g.Enqueue(t.Context(), src, d); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

// backlog journals n deliveries of src, g0 to g(n-1), as pending in a new
// watchStore, and returns the store, its Ingester and the deliveries' ids.
func backlog(t *testing.T, src donorsync.Source, n int) (*watchStore, *donorsync.Ingester, []string) {
	t.Helper()
	ws := &watchStore{Store: memstore.New()}
	g := &donorsync.Ingester{Store: ws, Logger: quiet}
	return ws, g, enqueueGifts(t, g, src, n)
}

// wantStatuses checks the status of each delivery of ids.
func wantStatuses(t *testing.T, s donorsync.Store, ids []string, want []donorsync.DeliveryStatus) {
	t.Helper()
	if got := statuses(t, s, ids); !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

// donationIDs returns the external ids of tenant t1's donations, sorted.
func donationIDs(t *testing.T, s donorsync.Store) []string {
	t.Helper()
	var ids []string
	if err := s.View(t.Context(), func(tx donorsync.Tx) error {
		ds, err := tx.Donations(t.Context(), "t1", donorsync.Page{})
		for _, d := range ds {
			ids = append(ids, d.ExternalID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// statuses returns the status of each delivery of ids.
func statuses(t *testing.T, s donorsync.Store, ids []string) []donorsync.DeliveryStatus {
	t.Helper()
	out := make([]donorsync.DeliveryStatus, len(ids))
	for i, id := range ids {
		out[i] = delivery(t, s, id).Status
	}
	return out
}

func repeat(s donorsync.DeliveryStatus, n int) []donorsync.DeliveryStatus {
	return slices.Repeat([]donorsync.DeliveryStatus{s}, n)
}

func TestWorkerDecodesBeforeItsWritingTransaction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		parallel        bool
		inside, outside int32
	}{
		{"one writer", false, 0, 10},
		// A ParallelStore is not read ahead: its writing transactions
		// do not wait for one another.
		{"parallel store", true, 10, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := &watchStore{Store: memstore.New()}
			var store donorsync.Store = ws
			if tc.parallel {
				store = parallelWatch{ws}
			}
			g := &donorsync.Ingester{Store: store, Logger: quiet}
			src := &watchedSource{store: ws}
			ids := enqueueGifts(t, g, src, 10)
			src.inside.Store(0)
			src.outside.Store(0)
			w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 32}
			if n, err := w.Drain(t.Context()); n != 10 || err != nil {
				t.Fatalf("Drain = %d, %v; want 10", n, err)
			}
			if in, out := src.inside.Load(), src.outside.Load(); in != tc.inside || out != tc.outside {
				t.Errorf("decoded %d deliveries inside the writing transaction and %d before it; want %d and %d", in, out, tc.inside, tc.outside)
			}
			wantStatuses(t, ws, ids, repeat(donorsync.Processed, 10))
		})
	}
}

// plainTx is a Tx with none of the optional interfaces.
type plainTx struct{ donorsync.Tx }

func TestWorkerStopsLookingForAReadAheadTheStoreLacks(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws, g, ids := backlog(t, src, 10)
	ws.viewTx = func(tx donorsync.Tx) donorsync.Tx { return plainTx{tx} }
	ws.views.Store(0)
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	if n, err := w.Drain(t.Context()); n != 10 || err != nil {
		t.Fatalf("Drain = %d, %v; want 10", n, err)
	}
	// Four batches (the last finds none); one View showed there is no
	// reading ahead.
	if n := ws.views.Load(); n != 1 {
		t.Errorf("%d Views during the drain, want 1", n)
	}
	ws.viewTx = nil
	wantStatuses(t, ws, ids, repeat(donorsync.Processed, 10))
}

func TestWorkersOfOneIngesterReadDifferentBatches(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws, g, ids := backlog(t, src, 8)
	ws.hold, ws.holding = make(chan struct{}), make(chan struct{})
	a := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	b := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	var na int
	var erra error
	done := make(chan struct{})
	go func() {
		defer close(done)
		na, erra = a.RunOnce(t.Context())
	}()
	<-ws.holding // a has read the four oldest ahead, and waits to claim them
	if nb, err := b.RunOnce(t.Context()); nb != 4 || err != nil {
		t.Errorf("second Worker's RunOnce = %d, %v; want the four others", nb, err)
	}
	wantStatuses(t, ws, ids[4:], repeat(donorsync.Processed, 4)) // by the second Worker
	close(ws.hold)
	<-done
	if na != 4 || erra != nil {
		t.Errorf("first Worker's RunOnce = %d, %v; want the four it read", na, erra)
	}
	wantStatuses(t, ws, ids, repeat(donorsync.Processed, 8))
}

func TestWorkerRunReadsTheNextBatchWhileApplying(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws, g, ids := backlog(t, src, 12)
	ws.delay = 10 * time.Millisecond
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4, Poll: time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(statuses(t, ws.Store, ids), repeat(donorsync.Processed, 12)) { // not counted as the Worker's
		if time.Now().After(deadline) {
			t.Fatalf("statuses = %v after 10 s, want all processed", statuses(t, ws.Store, ids))
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if n := ws.viewsWhileWriting.Load(); n == 0 {
		t.Error("no batch was read while another was applied")
	}
	if n := len(donationIDs(t, ws.Store)); n != 12 {
		t.Errorf("%d donations, want 12", n)
	}
}

// claimTwo claims the two oldest deliveries of mem for an hour, as a
// Worker of another process would.
func claimTwo(t *testing.T, mem *memstore.Store) func() {
	return func() {
		err := mem.Update(t.Context(), func(tx donorsync.Tx) error {
			now := time.Now()
			_, err := tx.ClaimDeliveries(t.Context(), donorsync.Claim{Now: now, Until: now.Add(time.Hour), Limit: 2})
			return err
		})
		if err != nil {
			t.Error(err)
		}
	}
}

func TestWorkerAppliesWhatIsLeftOfABatchReadAhead(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws, g, ids := backlog(t, src, 4)
	ws.afterView = claimTwo(t, ws.Store) // between reading ahead and claiming
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	if n, err := w.RunOnce(t.Context()); n != 2 || err != nil {
		t.Errorf("RunOnce = %d, %v; want the 2 not claimed meanwhile", n, err)
	}
	wantStatuses(t, ws, ids, append(repeat(donorsync.Pending, 2), repeat(donorsync.Processed, 2)...))
}

// idBlindTx claims as if Claim.IDs were empty, leaving bodies out as
// Claim.NoBody allows.
type idBlindTx struct{ donorsync.Tx }

func (t idBlindTx) ClaimDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	c.IDs = nil
	return t.Tx.ClaimDeliveries(ctx, c)
}

// bodySource is a perBodySource that, as a JSON decoder would, fails
// on an empty body.
type bodySource struct{ perBodySource }

func (s *bodySource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	if len(d.Body) == 0 {
		return donorsync.Decoded{}, errors.New("empty body")
	}
	return s.perBodySource.Decode(d)
}

func TestWorkerRecoversFromAClaimWithoutBodiesItDidNotRead(t *testing.T) {
	t.Parallel()
	src := &bodySource{}
	ws, g, ids := backlog(t, src, 6)
	// The Worker reads the four oldest ahead; two of them are claimed
	// meanwhile; the claim then takes two it did not read, without bodies.
	ws.afterView = claimTwo(t, ws.Store)
	ws.tx = func(tx donorsync.Tx) donorsync.Tx { return idBlindTx{tx} }
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	if n, err := w.RunOnce(t.Context()); n != 4 || err != nil {
		t.Errorf("RunOnce = %d, %v; want 4", n, err)
	}
	wantStatuses(t, ws, ids, append(repeat(donorsync.Pending, 2), repeat(donorsync.Processed, 4)...))
	if got, want := donationIDs(t, ws), []string{"g2", "g3", "g4", "g5"}; !slices.Equal(got, want) {
		t.Errorf("donations %q, want %q: each from its own body", got, want)
	}
}

// busyTx refuses, in TryLock, the locks whose names contain busy, and
// writes the leases of its claims even when Claim.Settling allows not to.
type busyTx struct {
	donorsync.Tx
	busy string
}

func (t busyTx) ClaimDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	c.Settling = false
	return t.Tx.ClaimDeliveries(ctx, c)
}

func (t busyTx) TryLock(ctx context.Context, names []string) ([]bool, error) {
	held := make([]bool, len(names))
	for i, n := range names {
		held[i] = t.busy == "" || !strings.Contains(n, t.busy)
	}
	return held, nil
}

func TestWorkerLeavesWhatItCannotLockForALaterBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, busy string
		want       []donorsync.DeliveryStatus
	}{
		{"one donor busy", "g1@", []donorsync.DeliveryStatus{donorsync.Processed, donorsync.Pending, donorsync.Processed, donorsync.Processed}},
		// When every delivery's locks are taken, the batch waits for them.
		{"every donor busy", "@example.org", repeat(donorsync.Processed, 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &perBodySource{}
			ws, g, ids := backlog(t, src, 4)
			ws.tx = func(tx donorsync.Tx) donorsync.Tx { return busyTx{tx, tc.busy} }
			w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
			if n, err := w.RunOnce(t.Context()); n != 4 || err != nil {
				t.Errorf("RunOnce = %d, %v; want the 4 claimed", n, err)
			}
			wantStatuses(t, ws, ids, tc.want)
			for _, id := range ids {
				if d := delivery(t, ws, id); !d.ClaimedUntil.IsZero() {
					t.Errorf("delivery %s claimed until %v, want no claim left", id, d.ClaimedUntil)
				}
			}
			// Once its donor is free, what was left is applied.
			ws.tx = nil
			if _, err := w.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			wantStatuses(t, ws, ids, repeat(donorsync.Processed, 4)) // after a drain
		})
	}
}

// journalLog records which deliveries each transaction journaled, by
// body.
type journalLog struct {
	mu  sync.Mutex
	txs [][]string
}

// loggedTx is a busyTx that adds what it journals to a journalLog.
type loggedTx struct {
	busyTx
	log *journalLog
	at  int // this transaction's entry in log.txs
}

func (t loggedTx) RecordDelivery(ctx context.Context, d *donorsync.Delivery) (string, error) {
	t.log.mu.Lock()
	t.log.txs[t.at] = append(t.log.txs[t.at], string(d.Body))
	t.log.mu.Unlock()
	return t.Tx.RecordDelivery(ctx, d)
}

func TestInlineGroupLeavesWhatItCannotLockForTheNextGroup(t *testing.T) {
	t.Parallel()
	log := &journalLog{}
	ws := &watchStore{Store: memstore.New(), hold: make(chan struct{}), holding: make(chan struct{})}
	ws.tx = func(tx donorsync.Tx) donorsync.Tx {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.txs = append(log.txs, nil)
		return loggedTx{busyTx{tx, "g1@"}, log, len(log.txs) - 1}
	}
	g := &donorsync.Ingester{Store: ws, Logger: quiet}
	src := &perBodySource{}
	var wg sync.WaitGroup
	receive := func(body string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Receive(t.Context(), src, &donorsync.Delivery{Tenant: "t1", Body: []byte(body)}); err != nil {
				t.Errorf("Receive(%s): %v", body, err)
			}
		}()
	}
	receive("g0")
	<-ws.holding // g0's group waits to commit; the next three queue up meanwhile
	for _, body := range []string{"g1", "g2", "g3"} {
		receive(body)
	}
	time.Sleep(50 * time.Millisecond)
	close(ws.hold)
	wg.Wait()
	// g1's donor is busy: its group goes ahead without it, and g1 follows
	// in a group of its own, waiting for its locks.
	want := [][]string{{"g0"}, {"g2", "g3"}, {"g1"}}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, tx := range log.txs {
		slices.Sort(tx)
	}
	if !slices.EqualFunc(log.txs, want, slices.Equal) {
		t.Errorf("journaled by transaction: %q, want %q", log.txs, want)
	}
	if got, want := donationIDs(t, ws.Store), []string{"g0", "g1", "g2", "g3"}; !slices.Equal(got, want) {
		t.Errorf("donations %q, want %q", got, want)
	}
}

// preloadingTx is a View's Tx that can read ahead, and records what it is
// asked to preload.
type preloadingTx struct {
	donorsync.Tx
	store *watchStore
	mu    *sync.Mutex
	got   *[][]string // the donations of each Preload
}

func (p preloadingTx) DueDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	return p.Tx.(donorsync.DueLister).DueDeliveries(ctx, c)
}

func (p preloadingTx) Preload(ctx context.Context, want donorsync.Prefetch) error {
	var ids []string
	if p.store.writing.Load() > 0 {
		ids = append(ids, "(while writing)")
	}
	for _, r := range want.Donations {
		ids = append(ids, r.ExternalID)
	}
	p.mu.Lock()
	*p.got = append(*p.got, ids)
	p.mu.Unlock()
	return nil
}

func TestWorkerPreloadsEachBatchBeforeApplyingIt(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws, g, ids := backlog(t, src, 10)
	var mu sync.Mutex
	var got [][]string
	ws.viewTx = func(tx donorsync.Tx) donorsync.Tx {
		return preloadingTx{Tx: tx, store: ws, mu: &mu, got: &got}
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	for range 3 {
		if _, err := w.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]string{{"g0", "g1", "g2", "g3"}, {"g4", "g5", "g6", "g7"}, {"g8", "g9"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("donations preloaded, batch by batch (-want +got):\n%s", diff)
	}
	ws.viewTx = nil
	wantStatuses(t, ws, ids, repeat(donorsync.Processed, 10))
}
