package donorsync_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/memstore"
	"github.com/shopspring/decimal"
)

// failingDonations fails every donation write while fail is set.
type failingDonations struct {
	*memstore.Store
	fail *atomic.Bool
}

func (s failingDonations) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(failingTx{tx, s.fail}) })
}

type failingTx struct {
	donorsync.Tx
	fail *atomic.Bool
}

func (t failingTx) PutDonation(ctx context.Context, d donation.Donation) error {
	if t.fail.Load() {
		return errors.New("disk full")
	}
	return t.Tx.PutDonation(ctx, d)
}

func giftSource() *decodingSource {
	c := &contact.Contact{Email: "w@example.org"}
	c.Normalize()
	return &decodingSource{events: []donation.Event{{
		At: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Contact: c,
		Donation: &donation.Donation{ExternalID: "g1", Amount: decimal.RequireFromString("5"), Currency: "USD"},
	}}}
}

// clock is a settable clock for the engine.
type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

func newClock() *clock {
	c := &clock{}
	c.now.Store(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func delivery(t *testing.T, store donorsync.Store, id string) *donorsync.Delivery {
	t.Helper()
	var d *donorsync.Delivery
	if err := store.View(t.Context(), func(tx donorsync.Tx) error {
		var err error
		d, err = tx.Delivery(t.Context(), "t1", id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestWorkerRetriesWithBackoffThenSucceeds(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	fail := &atomic.Bool{}
	fail.Store(true)
	clk := newClock()
	g := &donorsync.Ingester{Store: failingDonations{mem, fail}, Logger: quiet, Now: clk.Now}
	src := giftSource()
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("queued-1")}
	if err := g.Enqueue(t.Context(), src, d); err != nil || d.Status != donorsync.Pending {
		t.Fatalf("Enqueue: %v, %s", err, d.Status)
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}}

	if n, _ := w.Drain(t.Context()); n != 1 {
		t.Fatalf("first pass processed %d, want 1", n)
	}
	got := delivery(t, mem, d.ID)
	if got.Status != donorsync.Failed || got.Attempts != 1 || !got.NextAttemptAt.Equal(clk.Now().Add(time.Second)) || !strings.Contains(got.Error, "disk full") {
		t.Fatalf("after a failure: %s, %d attempts, next %v, error %q", got.Status, got.Attempts, got.NextAttemptAt, got.Error)
	}
	if n, _ := w.Drain(t.Context()); n != 0 {
		t.Errorf("a failed delivery was retried before its backoff: %d", n)
	}
	clk.Advance(time.Second)
	w.Drain(t.Context()) // fails again: backoff doubles
	got = delivery(t, mem, d.ID)
	if got.Attempts != 2 || !got.NextAttemptAt.Equal(clk.Now().Add(2*time.Second)) {
		t.Fatalf("after a second failure: %d attempts, next %v", got.Attempts, got.NextAttemptAt)
	}
	clk.Advance(2 * time.Second)
	fail.Store(false)
	w.Drain(t.Context())
	got = delivery(t, mem, d.ID)
	if got.Status != donorsync.Processed || got.Attempts != 3 || got.Error != "" || !got.ClaimedUntil.IsZero() {
		t.Errorf("after the third attempt: %s, %d attempts, error %q, claimed until %v", got.Status, got.Attempts, got.Error, got.ClaimedUntil)
	}
}

func TestWorkerMovesToDeadAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	fail := &atomic.Bool{}
	fail.Store(true)
	clk := newClock()
	g := &donorsync.Ingester{Store: failingDonations{mem, fail}, Logger: quiet, Now: clk.Now, MaxAttempts: 3}
	src := giftSource()
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("doomed")}
	_ = g.Enqueue(t.Context(), src, d)
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}}
	for range 5 {
		w.Drain(t.Context())
		clk.Advance(time.Hour)
	}
	got := delivery(t, mem, d.ID)
	if got.Status != donorsync.Dead || got.Attempts != 3 || !strings.Contains(got.Error, "disk full") {
		t.Errorf("after failing: %s after %d attempts, error %q; want dead after 3 with the error kept", got.Status, got.Attempts, got.Error)
	}
	// A dead delivery is kept: a replay after the fix applies it.
	fail.Store(false)
	n, err := g.ReplayAll(t.Context(), src, "t1", donorsync.Dead, time.Time{})
	if err != nil || n != 1 || delivery(t, mem, d.ID).Status != donorsync.Processed {
		t.Errorf("ReplayAll = %d, %v, status %s", n, err, delivery(t, mem, d.ID).Status)
	}
}

func TestWorkerWithoutSourceBuriesDelivery(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	g := &donorsync.Ingester{Store: mem, Logger: quiet}
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("x")}
	_ = g.Enqueue(t.Context(), giftSource(), d)
	w := &donorsync.Worker{Ingester: g}
	w.Drain(t.Context())
	if got := delivery(t, mem, d.ID); got.Status != donorsync.Dead || !strings.Contains(got.Error, `"test"`) {
		t.Errorf("status %s, error %q", got.Status, got.Error)
	}
}

// blockingSource blocks the first decode until released, so that a
// Worker can be stopped in the middle of a batch.
type blockingSource struct {
	*decodingSource
	started chan struct{}
	release chan struct{}
	once    atomic.Bool
}

func (s *blockingSource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	if d.Status == donorsync.Pending && s.once.CompareAndSwap(false, true) {
		close(s.started)
		<-s.release
	}
	return s.decodingSource.Decode(d)
}

func TestWorkerStopsGracefully(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	g := &donorsync.Ingester{Store: mem, Logger: quiet}
	src := &blockingSource{decodingSource: giftSource(), started: make(chan struct{}), release: make(chan struct{})}
	var ids []string
	for _, body := range []string{"a", "b", "c"} {
		d := &donorsync.Delivery{Tenant: "t1", Body: []byte(body)}
		if err := g.Enqueue(t.Context(), giftSource(), d); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	ctx, cancel := context.WithCancel(t.Context())
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Lease: time.Hour}
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	<-src.started
	cancel()
	close(src.release)
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	for _, id := range ids {
		d := delivery(t, mem, id)
		if !d.ClaimedUntil.IsZero() || (d.Status != donorsync.Processed && d.Status != donorsync.Pending) {
			t.Errorf("after stopping: delivery %s is %s, claimed until %v; want it processed or pending and unclaimed", id, d.Status, d.ClaimedUntil)
		}
	}
	// Another worker takes them up at once.
	w2 := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{giftSource()}}
	w2.Drain(t.Context())
	for _, id := range ids {
		if d := delivery(t, mem, id); d.Status != donorsync.Processed {
			t.Errorf("delivery %s: %s after the second worker", id, d.Status)
		}
	}
}

func TestQueuedHandlerAnswersPending(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	h := &donorsync.Handler{Source: giftSource(), Ingester: &donorsync.Ingester{Store: mem, Logger: quiet}, Logger: quiet, Queued: true}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	r.Header.Set("X-Token", "secret")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"pending"`) {
		t.Errorf("answer %d %s, want 200 pending", w.Code, w.Body)
	}
	_ = mem.View(t.Context(), func(tx donorsync.Tx) error {
		ds, _ := tx.Donations(t.Context(), "t1", donorsync.Page{})
		if len(ds) != 0 {
			t.Errorf("queued mode applied the delivery before answering")
		}
		return nil
	})
}
