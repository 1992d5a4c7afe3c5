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
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/memstore"
	"github.com/google/go-cmp/cmp"
)

// watchStore is a memstore that reports what runs while a writing
// transaction is open, and lets a test step in.
type watchStore struct {
	*memstore.Store
	batch.Declared
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

// newWatchStore returns a watchStore over a new memstore. It declares,
// beside what memstore does, every capability the wrappers of this file
// give its transactions (TryLock, Preload, Drafts): where no wrapper gives
// one, the engine finds the Tx or Store without it and does without.
// declare, when not nil, changes that declaration.
func newWatchStore(declare func(*batch.Model)) *watchStore {
	mem := memstore.New()
	m := batch.ModelOf(mem)
	m.TryLock, m.Preload, m.Drafts = true, true, true
	if declare != nil {
		declare(&m)
	}
	return &watchStore{Store: mem, Declared: batch.Declare(m, nil)}
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
type parallelWatch struct {
	*watchStore
	batch.Declared
}

func newParallelWatch(ws *watchStore) parallelWatch {
	m := batch.ModelOf(ws)
	m.Writers = 2
	return parallelWatch{ws, batch.Declare(m, nil)}
}

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
	ws := newWatchStore(nil)
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
			ws := newWatchStore(nil)
			var store donorsync.Store = ws
			if tc.parallel {
				store = newParallelWatch(ws)
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

// plainTx is a Tx with none of the batch protocol's methods.
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
	// reading ahead, though the store declares it.
	if n := ws.views.Load(); n != 1 {
		t.Errorf("%d Views during the drain, want 1", n)
	}
	ws.viewTx = nil
	wantStatuses(t, ws, ids, repeat(donorsync.Processed, 10))
}

func TestWorkerReadsAheadOnlyWhenTheStoreDeclaresIt(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws := newWatchStore(func(m *batch.Model) { *m = batch.Model{} })
	g := &donorsync.Ingester{Store: ws, Logger: quiet}
	ids := enqueueGifts(t, g, src, 10)
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	if n, err := w.Drain(t.Context()); n != 10 || err != nil {
		t.Fatalf("Drain = %d, %v; want 10", n, err)
	}
	// A store that declares no read-ahead is not asked for Views.
	if n := ws.views.Load(); n != 0 {
		t.Errorf("%d Views during the drain, want 0", n)
	}
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
	runUntilProcessed(t, ws, w, ids)
	if n := ws.viewsWhileWriting.Load(); n == 0 {
		t.Error("no batch was read while another was applied")
	}
	if n := len(donationIDs(t, ws.Store)); n != 12 {
		t.Errorf("%d donations, want 12", n)
	}
}

// runUntilProcessed runs w until every delivery of ids is processed in
// ws, read without ws's counting.
func runUntilProcessed(t *testing.T, ws *watchStore, w *donorsync.Worker, ids []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	want := repeat(donorsync.Processed, len(ids))
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(statuses(t, ws.Store, ids), want) {
		if time.Now().After(deadline) {
			t.Fatalf("statuses = %v after 10 s, want all processed", statuses(t, ws.Store, ids))
		}
		time.Sleep(time.Millisecond)
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

// idBlindTx claims as if batch.ClaimBy.IDs were empty, leaving bodies
// out as ClaimBy.NoBody allows.
type idBlindTx struct{ donorsync.Tx }

func (t idBlindTx) ClaimBatch(ctx context.Context, c donorsync.Claim, by batch.ClaimBy) ([]*donorsync.Delivery, error) {
	by.IDs = nil
	return t.Tx.(batch.Claimer[donorsync.Claim, *donorsync.Delivery]).ClaimBatch(ctx, c, by)
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
// writes the leases of its claims even when ClaimBy.Settling allows not
// to. Its store must declare TryLock (tryLocking).
type busyTx struct {
	donorsync.Tx
	busy string
}

func (t busyTx) ClaimBatch(ctx context.Context, c donorsync.Claim, by batch.ClaimBy) ([]*donorsync.Delivery, error) {
	by.Settling = false
	return t.Tx.(batch.Claimer[donorsync.Claim, *donorsync.Delivery]).ClaimBatch(ctx, c, by)
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
	ws := newWatchStore(nil)
	ws.hold, ws.holding = make(chan struct{}), make(chan struct{})
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
	got   *[]batch.Wants
	// whileWriting counts the preloads made while a writing transaction
	// was open.
	whileWriting *atomic.Int32
}

func (p preloadingTx) DueDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	return p.Tx.(batch.Lister[donorsync.Claim, *donorsync.Delivery]).DueDeliveries(ctx, c)
}

func (p preloadingTx) Preload(ctx context.Context, want batch.Wants) error {
	if p.store.writing.Load() > 0 {
		p.whileWriting.Add(1)
	}
	p.mu.Lock()
	*p.got = append(*p.got, want)
	p.mu.Unlock()
	return nil
}

// preloads makes the Views of ws preload, and returns what each preload
// named, once fn is done.
func preloads(t *testing.T, ws *watchStore, fn func()) []batch.Wants {
	t.Helper()
	var mu sync.Mutex
	var got []batch.Wants
	var whileWriting atomic.Int32
	ws.viewTx = func(tx donorsync.Tx) donorsync.Tx {
		return preloadingTx{Tx: tx, store: ws, mu: &mu, got: &got, whileWriting: &whileWriting}
	}
	fn()
	ws.viewTx = nil
	if n := whileWriting.Load(); n > 0 {
		t.Errorf("%d preloads while a writing transaction was open", n)
	}
	return got
}

func TestWorkerPreloadsEachBatchBeforeApplyingIt(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws, g, ids := backlog(t, src, 10)
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
	got := preloads(t, ws, func() {
		for range 3 {
			if _, err := w.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	})
	var donations [][]string
	for _, p := range got {
		var ids []string
		for _, r := range p.Donations {
			ids = append(ids, r.ExternalID)
		}
		donations = append(donations, ids)
	}
	want := [][]string{{"g0", "g1", "g2", "g3"}, {"g4", "g5", "g6", "g7"}, {"g8", "g9"}}
	if diff := cmp.Diff(want, donations); diff != "" {
		t.Errorf("donations preloaded, batch by batch (-want +got):\n%s", diff)
	}
	wantStatuses(t, ws, ids, repeat(donorsync.Processed, 10))
}

// nameOnlySource decodes a gift from a donor known by name only, who has
// no contact key: the gift's own key stands in for one.
type nameOnlySource struct{ perBodySource }

func (*nameOnlySource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	dec, err := (&perBodySource{}).Decode(d)
	dec.Events[0].Contact = &contact.Contact{FirstName: "Ada"}
	return dec, err
}

func TestGiftKeyIsReadOnlyForADonorWithoutKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  donorsync.Source
		want []string
	}{
		{"email", &perBodySource{}, []string{"email:g0@example.org"}},
		{"name only", &nameOnlySource{}, []string{"gift:test:g0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws, g, _ := backlog(t, tc.src, 1)
			w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{tc.src}}
			got := preloads(t, ws, func() {
				if n, err := w.RunOnce(t.Context()); n != 1 || err != nil {
					t.Fatalf("RunOnce = %d, %v; want 1", n, err)
				}
			})
			if len(got) != 1 {
				t.Fatalf("%d preloads, want 1", len(got))
			}
			var keys []string
			for _, k := range got[0].Keys {
				keys = append(keys, string(k.Kind)+":"+k.Value)
			}
			if diff := cmp.Diff(tc.want, keys); diff != "" {
				t.Errorf("contact keys preloaded (-want +got):\n%s", diff)
			}
		})
	}
}

// draftStore is a watchStore that drafts. A draft runs in a View, with
// its writes of records held back as functions; a writing transaction
// sends them unless refuse is set. (Reads in a draft do not see its own
// writes: enough for batches whose deliveries share no record.)
type draftStore struct {
	*watchStore
	batch.Declared // the watchStore's, with Draft
	mu             sync.Mutex
	// afters has, for each draft, the index of the draft it follows, or
	// -1; drafts, the drafts made.
	afters                 []int
	drafts                 []batch.Draft
	whileWriting           atomic.Int32 // drafts made while a writing transaction was open
	refuse                 atomic.Bool
	drafted, sent, refused atomic.Int32
	appliedInWriter        atomic.Int32 // donations the writing transactions put themselves
}

type heldWrites []func(context.Context, donorsync.Tx) error

func newDraftStore(ws *watchStore) *draftStore {
	s := &draftStore{watchStore: ws}
	s.Declared = batch.Declare(batch.ModelOf(ws), s.Draft)
	ws.tx = func(tx donorsync.Tx) donorsync.Tx { return sendingTx{tx, s} }
	return s
}

func (s *draftStore) Draft(ctx context.Context, after batch.Draft, fn func(donorsync.Tx) error) (batch.Draft, error) {
	if s.writing.Load() > 0 {
		s.whileWriting.Add(1)
	}
	h := &heldWrites{}
	if err := s.watchStore.Store.View(ctx, func(tx donorsync.Tx) error { return fn(holdingTx{tx, h}) }); err != nil {
		return nil, err
	}
	s.drafted.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afters = append(s.afters, slices.Index(s.drafts, after))
	s.drafts = append(s.drafts, h)
	return h, nil
}

// holdingTx is a draft's Tx.
type holdingTx struct {
	donorsync.Tx
	h *heldWrites
}

func (t holdingTx) hold(fn func(context.Context, donorsync.Tx) error) error {
	*t.h = append(*t.h, fn)
	return nil
}

func (t holdingTx) PutContact(_ context.Context, c contact.Contact, keys []dedup.Key) error {
	return t.hold(func(ctx context.Context, tx donorsync.Tx) error { return tx.PutContact(ctx, c, keys) })
}

func (t holdingTx) PutDonation(_ context.Context, d donation.Donation) error {
	return t.hold(func(ctx context.Context, tx donorsync.Tx) error { return tx.PutDonation(ctx, d) })
}

// sendingTx is a writing transaction's Tx of a draftStore.
type sendingTx struct {
	donorsync.Tx
	s *draftStore
}

func (t sendingTx) SendDraft(ctx context.Context, d batch.Draft) (bool, error) {
	if t.s.refuse.Load() {
		t.s.refused.Add(1)
		return false, nil
	}
	for _, put := range *d.(*heldWrites) {
		if err := put(ctx, t.Tx); err != nil {
			return false, err
		}
	}
	t.s.sent.Add(1)
	return true, nil
}

func (t sendingTx) ClaimBatch(ctx context.Context, c donorsync.Claim, by batch.ClaimBy) ([]*donorsync.Delivery, error) {
	return t.Tx.(batch.Claimer[donorsync.Claim, *donorsync.Delivery]).ClaimBatch(ctx, c, by)
}

func (t sendingTx) PutDonation(ctx context.Context, d donation.Donation) error {
	t.s.appliedInWriter.Add(1)
	return t.Tx.PutDonation(ctx, d)
}

func TestWorkerSendsTheDraftOfItsBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		refuse, claimTwo       bool
		drafted, sent, refused int32
		inWriter, applied      int
	}{
		{name: "sent", drafted: 3, sent: 3, inWriter: 0, applied: 10},
		// Refused: the second batch is not drafted (one refusal), the
		// third is.
		{name: "refused", refuse: true, drafted: 2, refused: 2, inWriter: 10, applied: 10},
		// The first batch is drafted whole, and only partly claimed:
		// its draft is not offered.
		{name: "partly claimed elsewhere", claimTwo: true, drafted: 3, sent: 2, inWriter: 2, applied: 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &perBodySource{}
			ws, g, ids := backlog(t, src, 10)
			s := newDraftStore(ws)
			s.refuse.Store(tc.refuse)
			if tc.claimTwo {
				ws.afterView = claimTwo(t, ws.Store)
			}
			g.Store = s
			w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4}
			for range 3 {
				if _, err := w.RunOnce(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if d := s.drafted.Load(); d != tc.drafted {
				t.Errorf("%d batches drafted, want %d", d, tc.drafted)
			}
			if sent, refused := s.sent.Load(), s.refused.Load(); sent != tc.sent || refused != tc.refused {
				t.Errorf("drafts sent %d, refused %d; want %d and %d", sent, refused, tc.sent, tc.refused)
			}
			if n := int(s.appliedInWriter.Load()); n != tc.inWriter {
				t.Errorf("%d donations applied in the writing transactions, want %d", n, tc.inWriter)
			}
			ws.tx = nil
			if got := donationIDs(t, ws); len(got) != tc.applied {
				t.Errorf("donations stored: %v, want %d", got, tc.applied)
			}
			processed := 0
			for _, st := range statuses(t, ws, ids) {
				if st == donorsync.Processed {
					processed++
				}
			}
			if processed != tc.applied {
				t.Errorf("%d deliveries processed, want %d", processed, tc.applied)
			}
		})
	}
}

func TestWorkerRunDraftsTheNextBatchAfterThisOne(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		refuse bool
		afters []int
	}{
		{"sent", false, []int{-1, 0, 1}},
		// A draft after one refused is never sent, and the next batch
		// is applied without a draft, the one after it drafted anew.
		{"refused", true, []int{-1, 0, -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &perBodySource{}
			ws, g, ids := backlog(t, src, 12)
			ws.delay = 50 * time.Millisecond // room for the next batch's draft, under -race on a loaded machine too
			s := newDraftStore(ws)
			s.refuse.Store(tc.refuse)
			g.Store = s
			w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 4, Poll: time.Millisecond}
			runUntilProcessed(t, ws, w, ids)
			s.mu.Lock()
			defer s.mu.Unlock()
			if diff := cmp.Diff(tc.afters, s.afters); diff != "" {
				t.Errorf("the draft each draft follows, by index, -1 for none (-want +got):\n%s", diff)
			}
			if n := s.whileWriting.Load(); n == 0 {
				t.Error("no batch was drafted while another was written")
			}
			if n := len(donationIDs(t, ws.Store)); n != 12 {
				t.Errorf("%d donations, want 12", n)
			}
		})
	}
}

func TestWorkerDraftsLessWhileItsDraftsAreRefused(t *testing.T) {
	t.Parallel()
	src := &perBodySource{}
	ws, g, _ := backlog(t, src, 80)
	s := newDraftStore(ws)
	g.Store = s
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 1}
	run := func(n int) {
		for range n {
			if k, err := w.RunOnce(t.Context()); k != 1 || err != nil {
				t.Fatalf("RunOnce = %d, %v; want 1", k, err)
			}
		}
	}
	s.refuse.Store(true)
	run(40)
	// Drafts at batches 1, 3, 6, 11, 20 and 37: after each refusal, 1,
	// 2, 4, 8, then 16 batches without.
	if d := s.drafted.Load(); d != 6 {
		t.Errorf("%d of 40 batches drafted while every draft was refused, want 6", d)
	}
	s.refuse.Store(false)
	run(40)
	if sent := s.sent.Load(); sent < 20 {
		t.Errorf("%d of the next 40 batches sent as drafts once drafts were taken again, want most", sent)
	}
}
