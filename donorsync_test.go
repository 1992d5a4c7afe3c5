package donorsync_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
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

// jsonSource authenticates by a header; broken makes every decode fail,
// standing in for a decoder bug fixed later.
type jsonSource struct{ broken atomic.Bool }

func (*jsonSource) Provider() string { return "test" }

func (*jsonSource) Authenticate(r *http.Request) (string, io.Reader, error) {
	if r.Header.Get("X-Token") != "secret" {
		return "", nil, donorsync.ErrUnauthorized
	}
	return "t1", r.Body, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{donorsync.ErrUnauthorized, 401},
		{fmt.Errorf("wrapped: %w", donorsync.ErrUnauthorized), 401},
		{donorsync.ErrBodyTooLarge, 413},
		{donorsync.ErrUnavailable, 503},
		{errors.New("anything else"), 503},
	}
	for _, tt := range tests {
		if got := donorsync.HTTPStatus(tt.err); got != tt.want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// decodingSource returns fixed events, keyed by the body.
type decodingSource struct {
	jsonSource
	events []donation.Event
}

func (s *decodingSource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	if s.broken.Load() {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: "test", Err: errors.New("decoder bug")}
	}
	return donorsync.Decoded{Key: string(d.Body), Events: s.events}, nil
}

func TestReplayAfterDecoderFix(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	g := &donorsync.Ingester{Store: store, Logger: quiet}
	c := &contact.Contact{Email: "r@example.org"}
	c.Normalize()
	src := &decodingSource{events: []donation.Event{{
		At: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Contact: c,
		Donation: &donation.Donation{ExternalID: "g1", Amount: decimal.RequireFromString("5"), Currency: "USD"},
	}}}
	src.broken.Store(true)
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("delivery-1")}
	if err := g.Receive(t.Context(), src, d); err != nil || d.Status != donorsync.Quarantined {
		t.Fatalf("Receive = %v, status %s; want quarantined", err, d.Status)
	}
	src.broken.Store(false)
	got, err := g.Replay(t.Context(), src, "t1", d.ID)
	if err != nil || got.Status != donorsync.Processed || got.Error != "" {
		t.Fatalf("Replay = %+v, %v; want processed", got, err)
	}
	err = store.View(t.Context(), func(tx donorsync.Tx) error {
		dn, err := tx.Donation(t.Context(), "t1", "test", "g1")
		if err == nil && dn.DeliveryID != d.ID {
			t.Errorf("donation links delivery %q, want %q", dn.DeliveryID, d.ID)
		}
		stored, err2 := tx.Delivery(t.Context(), "t1", d.ID)
		if err2 == nil && (stored.Status != donorsync.Processed || stored.Attempts != 1) {
			t.Errorf("stored delivery: %s after %d attempts", stored.Status, stored.Attempts)
		}
		return errors.Join(err, err2)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// flakyStore fails every donation write, after the journal write worked.
type flakyStore struct{ *memstore.Store }

func (s flakyStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(flakyTx{tx}) })
}

type flakyTx struct{ donorsync.Tx }

func (flakyTx) PutDonation(context.Context, donation.Donation) error { return errors.New("disk full") }

func TestApplyFailureIsKeptAsFailed(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	src := &decodingSource{events: []donation.Event{{
		Contact:  &contact.Contact{Email: "f@example.org", Emails: []string{"f@example.org"}},
		Donation: &donation.Donation{ExternalID: "g1", Amount: decimal.RequireFromString("5"), Currency: "USD"},
	}}}
	h := &donorsync.Handler{Source: src, Ingester: &donorsync.Ingester{Store: flakyStore{store}, Logger: quiet}, Logger: quiet}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	r.Header.Set("X-Token", "secret")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"failed"`) {
		t.Errorf("answer %d %s; want 200 failed", w.Code, w.Body)
	}
	_ = store.View(t.Context(), func(tx donorsync.Tx) error {
		ds, _ := tx.Deliveries(t.Context(), "t1", donorsync.DeliveryFilter{})
		cs, _ := tx.Contacts(t.Context(), "t1", donorsync.Page{})
		if len(ds) != 1 || ds[0].Status != donorsync.Failed || !strings.Contains(ds[0].Error, "disk full") || string(ds[0].Body) != "body" {
			t.Errorf("journal = %+v; want the delivery kept as failed with its error", ds)
		}
		if len(cs) != 0 {
			t.Errorf("a failed delivery left %d contacts", len(cs))
		}
		return nil
	})
}

func TestStrongKeysMergeContacts(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	g := &donorsync.Ingester{Store: store, Logger: quiet, RecordChanges: true}
	person := func(email, donorID string) *contact.Contact {
		c := &contact.Contact{Email: email}
		if donorID != "" {
			c.Sources = []contact.Source{{Provider: "test", DonorID: donorID}}
		}
		c.Normalize()
		return c
	}
	steps := []struct {
		body    string
		contact *contact.Contact
	}{
		{"by-donor-id", person("", "p1")},
		{"by-email", person("m@example.org", "")},
		{"both", person("m@example.org", "p1")},
	}
	for i, s := range steps {
		src := &decodingSource{events: []donation.Event{{
			At: time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC), Contact: s.contact,
			Donation: &donation.Donation{ExternalID: s.body, Amount: decimal.RequireFromString("1"), Currency: "USD"},
		}}}
		d := &donorsync.Delivery{Tenant: "t1", Body: []byte(s.body)}
		if err := g.Receive(t.Context(), src, d); err != nil || d.Status != donorsync.Processed {
			t.Fatalf("%s: %v %s %s", s.body, err, d.Status, d.Error)
		}
	}
	_ = store.View(t.Context(), func(tx donorsync.Tx) error {
		cs, _ := tx.Contacts(t.Context(), "t1", donorsync.Page{})
		ds, _ := tx.Donations(t.Context(), "t1", donorsync.Page{})
		if len(cs) != 1 {
			t.Fatalf("%d contacts, want the two merged into one", len(cs))
		}
		for _, d := range ds {
			if d.ContactID != cs[0].ID {
				t.Errorf("donation %s points at %s, want %s", d.ExternalID, d.ContactID, cs[0].ID)
			}
		}
		if len(cs[0].Sources) != 1 || cs[0].Email != "m@example.org" {
			t.Errorf("merged contact = %v %q", cs[0].Sources, cs[0].Email)
		}
		// The last delivery's changes: the merge, then what it changed in
		// the contact merged into, then the donation.
		feed, _ := tx.Changes(t.Context(), "t1", 0, 100)
		var last []string
		for _, c := range feed {
			if c.DeliveryID == feed[len(feed)-1].DeliveryID {
				last = append(last, string(c.Kind)+" "+c.Key)
			}
		}
		want := []string{"contact.merged " + cs[0].ID, "contact.updated " + cs[0].ID, "donation.recorded test:both"}
		if !slices.Equal(last, want) {
			t.Errorf("the merging delivery's changes: %q, want %q", last, want)
		}
		return nil
	})
}

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := donorsync.NewID("dl")
		if seen[id] || !strings.HasPrefix(id, "dl_") || len(id) != len("dl_")+32 {
			t.Fatalf("bad or repeated id %q", id)
		}
		if id[:15] < prev[:min(15, len(prev))] {
			t.Fatalf("ids not ordered by time: %q after %q", id, prev)
		}
		seen[id], prev = true, id
	}
}

// stallingStore blocks every transaction until release is closed, ignoring
// cancellation: the worst case of a store that cannot keep up.
type stallingStore struct {
	*memstore.Store
	release chan struct{}
}

func (s stallingStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	<-s.release
	return s.Store.Update(ctx, fn)
}

func TestDeadlineWithStalledStore(t *testing.T) {
	t.Parallel()
	store := stallingStore{memstore.New(), make(chan struct{})}
	defer close(store.release)
	src := &decodingSource{}
	h := &donorsync.Handler{Source: src, Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Logger: quiet,
		Deadline: 50 * time.Millisecond, RetryAfter: 7 * time.Second}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	r.Header.Set("X-Token", "secret")
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(w, r); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not answer while the store stalled")
	}
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "7" {
		t.Errorf("answer %d Retry-After %q, want 503 with Retry-After 7", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestDeadlineLeavesTimeToJournal(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	h := &donorsync.Handler{Source: &decodingSource{}, Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Logger: quiet}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	r.Header.Set("X-Token", "secret")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("answer %d %s with the default deadline and a prompt store", w.Code, w.Body)
	}
}

// panickingSource decodes by panicking: a decoder bug met by one body.
type panickingSource struct{ jsonSource }

func (*panickingSource) Decode(*donorsync.Delivery) (donorsync.Decoded, error) {
	panic("decoder bug")
}

func TestHandlerSurvivesASourceThatPanics(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	h := &donorsync.Handler{Source: &panickingSource{}, Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Logger: quiet}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	r.Header.Set("X-Token", "secret")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r) // a panic on the handler's own goroutine would end the test binary
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"quarantined"`) {
		t.Errorf("answer %d %s, want 200 quarantined: a decoder's panic fails the same way on every retry", w.Code, w.Body)
	}
	_ = store.View(t.Context(), func(tx donorsync.Tx) error {
		ds, _ := tx.Deliveries(t.Context(), "t1", donorsync.DeliveryFilter{})
		if len(ds) != 1 || ds[0].Status != donorsync.Quarantined || ds[0].Error != "test: decoder panicked: decoder bug" {
			t.Errorf("journal = %+v; want the delivery quarantined with the panic", ds)
		}
		return nil
	})
}

// lockCounter counts the calls of Tx.Lock.
type lockCounter struct {
	*memstore.Store
	locks *atomic.Int32
}

type countingTx struct {
	donorsync.Tx
	locks *atomic.Int32
}

func (s lockCounter) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(countingTx{tx, s.locks}) })
}

func (t countingTx) Lock(ctx context.Context, names []string) error {
	t.locks.Add(1)
	return t.Tx.Lock(ctx, names)
}

func TestEnqueueTakesNoLocks(t *testing.T) {
	t.Parallel()
	store := lockCounter{memstore.New(), new(atomic.Int32)}
	g := &donorsync.Ingester{Store: store, Logger: quiet}
	if err := g.Enqueue(t.Context(), &decodingSource{}, &donorsync.Delivery{Tenant: "t1", Body: []byte("g1")}); err != nil {
		t.Fatal(err)
	}
	if n := store.locks.Load(); n != 0 {
		t.Errorf("Enqueue's group commit called Lock %d times; it applies nothing", n)
	}
}

func TestDeadlineWithStalledStoreAndAnUndecodableBody(t *testing.T) {
	t.Parallel()
	store := stallingStore{memstore.New(), make(chan struct{})}
	defer close(store.release)
	src := &decodingSource{}
	src.broken.Store(true) // quarantined at receipt: journaled as such, or not at all
	h := &donorsync.Handler{Source: src, Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Logger: quiet,
		Deadline: 50 * time.Millisecond}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	r.Header.Set("X-Token", "secret")
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(w, r); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not answer while the store stalled")
	}
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("answer %d, want 503", w.Code)
	}
}
