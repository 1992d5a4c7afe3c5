package donorsync_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/memstore"
	"github.com/shopspring/decimal"
)

// slowStore counts transactions and makes each take a while, as a commit
// to disk does.
type slowStore struct {
	*memstore.Store
	updates atomic.Int32
}

func (s *slowStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	s.updates.Add(1)
	time.Sleep(5 * time.Millisecond)
	return s.Store.Update(ctx, fn)
}

func TestEnqueueCommitsInGroups(t *testing.T) {
	t.Parallel()
	store := &slowStore{Store: memstore.New()}
	g := &donorsync.Ingester{Store: store, Logger: quiet}
	const n = 60
	var wg sync.WaitGroup
	ds := make([]*donorsync.Delivery, n)
	for i := range n {
		// Two of every delivery: duplicates inside one batch too.
		ds[i] = &donorsync.Delivery{Tenant: "t1", Body: fmt.Appendf(nil, "body-%d", i/2)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Enqueue(t.Context(), giftSource(), ds[i]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if u := store.updates.Load(); u >= n/2 {
		t.Errorf("%d transactions for %d deliveries: no group commit", u, n)
	}
	count := map[donorsync.DeliveryStatus]int{}
	for _, d := range ds {
		count[d.Status]++
	}
	if count[donorsync.Pending] != n/2 || count[donorsync.Duplicate] != n/2 {
		t.Errorf("statuses %v, want %d pending and %d duplicates", count, n/2, n/2)
	}
	_ = store.View(t.Context(), func(tx donorsync.Tx) error {
		all, err := tx.Deliveries(t.Context(), "t1", donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1000}})
		if len(all) != n || err != nil {
			t.Errorf("%d deliveries journaled (%v), want %d", len(all), err, n)
		}
		return nil
	})
}

// oneBadGift fails donation writes for one external id.
type oneBadGift struct{ *memstore.Store }

func (s oneBadGift) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(badGiftTx{tx}) })
}

type badGiftTx struct{ donorsync.Tx }

func (t badGiftTx) PutDonation(ctx context.Context, d donation.Donation) error {
	if d.ExternalID == "bad" {
		return errors.New("cannot store this one")
	}
	return t.Tx.PutDonation(ctx, d)
}

// perBodySource makes a gift whose id is the body.
type perBodySource struct{ decodingSource }

func (*perBodySource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	c := &contact.Contact{Email: string(d.Body) + "@example.org"}
	c.Normalize()
	return donorsync.Decoded{Key: string(d.Body), Events: []donation.Event{{
		Contact: c, Donation: &donation.Donation{ExternalID: string(d.Body), Amount: decimal.RequireFromString("1"), Currency: "USD"},
	}}}, nil
}

func TestWorkerBatchIsolatesAFailure(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	g := &donorsync.Ingester{Store: oneBadGift{mem}, Logger: quiet}
	src := &perBodySource{}
	var ids []string
	for _, body := range []string{"a", "bad", "c"} {
		d := &donorsync.Delivery{Tenant: "t1", Body: []byte(body)}
		if err := g.Enqueue(t.Context(), src, d); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}}
	w.Drain(t.Context())
	want := []donorsync.DeliveryStatus{donorsync.Processed, donorsync.Failed, donorsync.Processed}
	for i, id := range ids {
		if d := delivery(t, mem, id); d.Status != want[i] {
			t.Errorf("delivery %d: %s (%s), want %s", i, d.Status, d.Error, want[i])
		}
	}
}

// conflictOnce loses the race on its first transaction, as a store shared
// with another replica does when both journal the same delivery.
type conflictOnce struct {
	*memstore.Store
	done atomic.Bool
}

func (s *conflictOnce) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	if s.done.CompareAndSwap(false, true) {
		return fmt.Errorf("replica race: %w", donorsync.ErrConflict)
	}
	return s.Store.Update(ctx, fn)
}

func TestEnqueueRetriesALostRace(t *testing.T) {
	t.Parallel()
	g := &donorsync.Ingester{Store: &conflictOnce{Store: memstore.New()}, Logger: quiet}
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("x")}
	if err := g.Enqueue(t.Context(), giftSource(), d); err != nil || d.Status != donorsync.Pending {
		t.Errorf("Enqueue after a lost race: %v, status %s; want it journaled", err, d.Status)
	}
}

func TestWorkerClaimsAndAppliesInOneTransaction(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	g := &donorsync.Ingester{Store: mem, Logger: quiet}
	src := &perBodySource{}
	for i := range 10 {
		if err := g.Enqueue(t.Context(), src, &donorsync.Delivery{Tenant: "t1", Body: fmt.Appendf(nil, "g%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	store := &slowStore{Store: mem}
	w := &donorsync.Worker{Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Sources: []donorsync.Source{src}, Batch: 32}
	n, err := w.Drain(t.Context())
	if err != nil || n != 10 {
		t.Fatalf("Drain = %d, %v; want 10", n, err)
	}
	// One transaction claims and applies the ten; reading ahead then
	// finds none, without a writing transaction.
	if u := store.updates.Load(); u != 1 {
		t.Errorf("%d writing transactions to drain one batch, want 1", u)
	}
	var donations []donation.Donation
	mem.View(t.Context(), func(tx donorsync.Tx) error {
		donations, err = tx.Donations(t.Context(), "t1", donorsync.Page{})
		return err
	})
	if len(donations) != 10 {
		t.Errorf("%d donations after the drain, want 10", len(donations))
	}
}

func TestReceiveAppliesInGroups(t *testing.T) {
	t.Parallel()
	for _, bad := range []bool{false, true} {
		mem := memstore.New()
		store := &slowStore{Store: mem}
		g := &donorsync.Ingester{Store: slowBadStore{store}, Logger: quiet}
		src := &perBodySource{}
		const n = 60
		ds := make([]*donorsync.Delivery, n)
		var wg sync.WaitGroup
		for i := range n {
			// Two of every delivery; with bad, the last cannot be applied.
			body := fmt.Sprintf("g%d", i/2)
			if bad && i == n-1 {
				body = "bad"
			}
			ds[i] = &donorsync.Delivery{Tenant: "t1", Body: []byte(body)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := g.Receive(t.Context(), src, ds[i]); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		// A group holding the bad delivery falls back to one transaction
		// per delivery: count transactions only without it.
		if u := store.updates.Load(); !bad && u >= n/2 {
			t.Errorf("%d transactions for %d deliveries: no group commit", u, n)
		}
		count := map[donorsync.DeliveryStatus]int{}
		for _, d := range ds {
			count[d.Status]++
			if stored := delivery(t, mem, d.ID); stored.Status != d.Status {
				t.Errorf("delivery %s: %s stored, %s returned", d.ID, stored.Status, d.Status)
			}
		}
		want := map[donorsync.DeliveryStatus]int{donorsync.Processed: n / 2, donorsync.Duplicate: n / 2}
		if bad {
			// g29 alone, and the bad one failed.
			want = map[donorsync.DeliveryStatus]int{donorsync.Processed: n / 2, donorsync.Duplicate: n/2 - 1, donorsync.Failed: 1}
		}
		if !maps.Equal(count, want) {
			t.Errorf("bad=%v: statuses %v, want %v", bad, count, want)
		}
		var donations []donation.Donation
		mem.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			donations, err = tx.Donations(t.Context(), "t1", donorsync.Page{})
			return err
		})
		if len(donations) != n/2 {
			t.Errorf("bad=%v: %d donations, want %d", bad, len(donations), n/2)
		}
	}
}

// slowBadStore is a slowStore whose transactions fail donation writes
// for the external id "bad".
type slowBadStore struct{ *slowStore }

func (s slowBadStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.slowStore.Update(ctx, func(tx donorsync.Tx) error { return fn(badGiftTx{tx}) })
}

// parallelStore is a slowStore that records how many transactions run at
// once, and says it runs writes side by side when parallel > 0.
type parallelStore struct {
	*slowStore
	inflight, most atomic.Int32
}

func (s *parallelStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	return s.slowStore.Update(ctx, fn)
}

type parallelWrites struct {
	*parallelStore
	batch.Declared
}

func newParallelWrites(ps *parallelStore, n int) parallelWrites {
	m := batch.ModelOf(ps)
	m.Writers = n
	return parallelWrites{ps, batch.Declare(m, nil)}
}

func TestGroupCommitsRunSideBySideOnAParallelStore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		parallel int // 0: not a ParallelStore
		want     int32
	}{
		{"plain store", 0, 1},
		{"one at a time", 1, 1},
		{"two", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mem := memstore.New()
			ps := &parallelStore{slowStore: &slowStore{Store: mem}}
			var store donorsync.Store = ps
			if tc.parallel > 0 {
				store = newParallelWrites(ps, tc.parallel)
			}
			g := &donorsync.Ingester{Store: store, Logger: quiet}
			const n = 80
			ds := make([]*donorsync.Delivery, n)
			var wg sync.WaitGroup
			for i := range n {
				ds[i] = &donorsync.Delivery{Tenant: "t1", Body: fmt.Appendf(nil, "g%d", i/2)}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := g.Receive(t.Context(), &perBodySource{}, ds[i]); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if got := ps.most.Load(); got != tc.want {
				t.Errorf("at most %d transactions at once, want %d", got, tc.want)
			}
			if u := ps.updates.Load(); u >= n/2 {
				t.Errorf("%d transactions for %d deliveries: no group commit", u, n)
			}
			count := map[donorsync.DeliveryStatus]int{}
			for _, d := range ds {
				count[d.Status]++
			}
			if want := map[donorsync.DeliveryStatus]int{donorsync.Processed: n / 2, donorsync.Duplicate: n / 2}; !maps.Equal(count, want) {
				t.Errorf("statuses %v, want %v", count, want)
			}
		})
	}
}
