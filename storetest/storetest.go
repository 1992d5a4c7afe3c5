// Package storetest is the conformance suite for donorsync.Store
// implementations. Every adapter runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) donorsync.Store { return newTestStore(t) })
//	}
//
// The suite checks the Store contract directly (journal, contacts and key
// ownership, donations, adjustments, commitments, rollback, context
// cancellation, tenant isolation, money and time round trips) and through
// the engine: many goroutines delivering the same new donor create one
// contact, concurrent duplicates apply once, and every order of a mixed
// delivery history ends in the same state.
//
// newStore may return the same store to several tests: every test writes
// under tenants of its own. Stores must keep times to the microsecond.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"
)

// Run runs the conformance suite against the stores newStore returns.
func Run(t *testing.T, newStore func(t *testing.T) donorsync.Store) {
	t.Helper()
	type test struct {
		name string
		fn   func(*testing.T, donorsync.Store)
	}
	// The Store contract, tested directly.
	direct := []test{
		{"Journal", testJournal},
		{"JournalDuplicates", testJournalDuplicates},
		{"RecordDeliveries", testRecordDeliveries},
		{"JournalListing", testJournalListing},
		{"ClaimDeliveries", testClaim},
		{"ClaimDeliveriesByID", testClaimByID},
		{"TryLock", testTryLock},
		{"Preload", testPreload},
		{"Draft", testDraft},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ContactRoundTrip", testContactRoundTrip},
		{"ContactKeyConflict", testContactKeyConflict},
		{"MergeContacts", testMergeContacts},
		{"DonationRoundTrip", testDonationRoundTrip},
		{"Adjustments", testAdjustments},
		{"CommitmentRoundTrip", testCommitmentRoundTrip},
		{"Activities", testActivities},
		{"Listing", testListing},
		{"Rollback", testRollback},
		{"ContextCancelled", testContextCancelled},
		{"TenantIsolation", testTenantIsolation},
	}
	// The contract through the engine.
	engine := []test{
		{"Prefetch", testPrefetch},
		{"IngestProcessesAndDeduplicates", testIngest},
		{"IngestInvalidLeavesNothing", testIngestInvalid},
		{"ConcurrentNewDonor", testConcurrentNewDonor},
		{"ConcurrentDuplicates", testConcurrentDuplicates},
		{"EveryOrderSameState", testEveryOrder},
		{"ShuffledHistories", testShuffled},
		{"LifecycleEveryOrder", testLifecycle},
		{"ActivistEveryOrder", testActivist},
		{"QueuedSameAsInline", testQueued},
	}
	for _, tt := range append(direct, engine...) {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
	// The contract holds in batch mode too: each transaction below starts
	// with an empty Prefetch, so that its writes may be held back.
	for _, tt := range direct {
		t.Run("Batch/"+tt.name, func(t *testing.T) {
			s := newStore(t)
			if !declared(s).Batch {
				t.Skip("the store declares no batch mode")
			}
			tt.fn(t, batchStore{s})
		})
	}
}

// batchStore starts every read-write transaction of a store that declares
// batch mode with an empty Prefetch.
type batchStore struct{ donorsync.Store }

func (s batchStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error {
		if _, err := tx.(batch.Prefetcher).Prefetch(ctx, batch.Wants{}); err != nil {
			return err
		}
		return fn(tx)
	})
}

// tenantSeq makes tenant names unique within a process, so that stores
// shared between tests never mix their records.
var tenantSeq = struct {
	sync.Mutex
	n int
}{}

func newTenant(prefix string) string {
	tenantSeq.Lock()
	defer tenantSeq.Unlock()
	tenantSeq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), tenantSeq.n)
}

func ctx(t *testing.T) context.Context { return t.Context() }

// ts returns a time with microsecond precision, as stores must keep.
func ts(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v.UTC().Truncate(time.Microsecond)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

func update(t *testing.T, s donorsync.Store, fn func(donorsync.Tx) error) {
	t.Helper()
	if err := s.Update(ctx(t), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s donorsync.Store, fn func(donorsync.Tx) error) {
	t.Helper()
	if err := s.View(ctx(t), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func testJournal(t *testing.T, s donorsync.Store) {
	tenant := newTenant("journal")
	body := []byte("{\"a\":1}\x00\xff not utf-8 \r\n")
	d := &donorsync.Delivery{
		ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Kind: "refund", Key: "k1", Body: body,
		ReceivedAt: ts("2024-05-01T10:00:00.123456Z"), Status: donorsync.Pending, UpdatedAt: ts("2024-05-01T10:00:00.123456Z"),
	}
	update(t, s, func(tx donorsync.Tx) error {
		dup, err := tx.RecordDelivery(ctx(t), d)
		if dup != "" {
			t.Errorf("first RecordDelivery reported duplicate of %q", dup)
		}
		return err
	})
	d.Status, d.Attempts, d.Error, d.UpdatedAt = donorsync.Failed, 2, "boom", ts("2024-05-01T10:00:01Z")
	d.NextAttemptAt, d.ClaimedUntil = ts("2024-05-01T10:05:00.5Z"), ts("2024-05-01T10:01:00Z")
	update(t, s, func(tx donorsync.Tx) error { return tx.UpdateDelivery(ctx(t), d) })
	view(t, s, func(tx donorsync.Tx) error {
		got, err := tx.Delivery(ctx(t), tenant, d.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(d, got, cmpOpts); diff != "" {
			t.Errorf("stored delivery (-want +got):\n%s", diff)
		}
		_, err = tx.Delivery(ctx(t), tenant, "dl_missing")
		if !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("Delivery(missing) error = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testJournalDuplicates(t *testing.T, s donorsync.Store) {
	tenant := newTenant("dups")
	first := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "same", Body: []byte("1"), ReceivedAt: ts("2024-01-01T00:00:00Z"), Status: donorsync.Processed}
	again := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "same", Body: []byte("2"), ReceivedAt: ts("2024-01-01T00:00:01Z"), Status: donorsync.Processed}
	other := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "q", Key: "same", Body: []byte("3"), ReceivedAt: ts("2024-01-01T00:00:02Z"), Status: donorsync.Processed}
	var dups []string
	for _, d := range []*donorsync.Delivery{first, again, other} {
		update(t, s, func(tx donorsync.Tx) error {
			dup, err := tx.RecordDelivery(ctx(t), d)
			dups = append(dups, dup)
			return err
		})
	}
	if want := []string{"", first.ID, ""}; !slices.Equal(dups, want) {
		t.Errorf("duplicate reports = %q, want %q", dups, want)
	}
	view(t, s, func(tx donorsync.Tx) error {
		got, err := tx.Delivery(ctx(t), tenant, again.ID)
		if err != nil {
			return err
		}
		if got.Status != donorsync.Duplicate || got.DuplicateOf != first.ID || string(got.Body) != "2" {
			t.Errorf("duplicate stored as status %q of %q body %q; want duplicate of %q with its own body", got.Status, got.DuplicateOf, got.Body, first.ID)
		}
		return nil
	})
}

func testJournalListing(t *testing.T, s donorsync.Store) {
	tenant := newTenant("list")
	var ids []string
	for i := range 5 {
		d := &donorsync.Delivery{
			ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: fmt.Sprint(i), Body: []byte("{}"),
			ReceivedAt: ts("2024-01-01T00:00:00Z").Add(time.Duration(i) * time.Hour), Status: donorsync.Processed,
		}
		if i%2 == 1 {
			d.Status, d.Error = donorsync.Quarantined, "bad"
		}
		ids = append(ids, d.ID)
		update(t, s, func(tx donorsync.Tx) error { _, err := tx.RecordDelivery(ctx(t), d); return err })
	}
	slices.Sort(ids)
	view(t, s, func(tx donorsync.Tx) error {
		list := func(f donorsync.DeliveryFilter) []string {
			got, err := tx.Deliveries(ctx(t), tenant, f)
			if err != nil {
				t.Fatalf("Deliveries(%+v): %v", f, err)
			}
			var out []string
			for _, d := range got {
				out = append(out, d.ID)
			}
			return out
		}
		if got := list(donorsync.DeliveryFilter{}); !slices.Equal(got, ids) {
			t.Errorf("all deliveries = %v, want %v", got, ids)
		}
		if got := list(donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 2}}); !slices.Equal(got, ids[:2]) {
			t.Errorf("first page = %v, want %v", got, ids[:2])
		}
		if got := list(donorsync.DeliveryFilter{Page: donorsync.Page{After: ids[1], Limit: 2}}); !slices.Equal(got, ids[2:4]) {
			t.Errorf("second page = %v, want %v", got, ids[2:4])
		}
		if got := list(donorsync.DeliveryFilter{Status: donorsync.Quarantined}); len(got) != 2 {
			t.Errorf("quarantined = %v, want 2", got)
		}
		if got := list(donorsync.DeliveryFilter{Since: ts("2024-01-01T03:00:00Z")}); len(got) != 2 {
			t.Errorf("since 03:00 = %v, want 2", got)
		}
		return nil
	})
}

func pending(t *testing.T, s donorsync.Store, tenant string, n int, at time.Time, mod func(i int, d *donorsync.Delivery)) []string {
	t.Helper()
	var ids []string
	update(t, s, func(tx donorsync.Tx) error {
		for i := range n {
			d := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: fmt.Sprint(tenant, i), Body: []byte("{}"),
				ReceivedAt: at.Add(time.Duration(i) * time.Second), Status: donorsync.Pending}
			if mod != nil {
				mod(i, d)
			}
			if _, err := tx.RecordDelivery(ctx(t), d); err != nil {
				return err
			}
			ids = append(ids, d.ID)
		}
		return nil
	})
	return ids
}

func claim(t *testing.T, s donorsync.Store, c donorsync.Claim) []string {
	t.Helper()
	var ids []string
	update(t, s, func(tx donorsync.Tx) error {
		ds, err := tx.ClaimDeliveries(ctx(t), c)
		for _, d := range ds {
			if !d.ClaimedUntil.Equal(c.Until) || d.Tenant != c.Tenant && c.Tenant != "" {
				t.Errorf("claimed delivery %s: claimed until %v, tenant %s", d.ID, d.ClaimedUntil, d.Tenant)
			}
			ids = append(ids, d.ID)
		}
		return err
	})
	return ids
}

func testClaim(t *testing.T, s donorsync.Store) {
	tenant := newTenant("claim")
	now := ts("2024-06-01T12:00:00Z")
	ids := pending(t, s, tenant, 6, now.Add(-time.Hour), func(i int, d *donorsync.Delivery) {
		switch i {
		case 3:
			d.Status, d.NextAttemptAt = donorsync.Failed, now.Add(time.Minute) // not due yet
		case 4:
			d.Status = donorsync.Processed // done
		case 5:
			d.Status, d.NextAttemptAt = donorsync.Failed, now.Add(-time.Second) // due
		}
	})
	other := pending(t, s, newTenant("claim-other"), 1, now.Add(-2*time.Hour), nil)
	lease := now.Add(time.Minute)
	if got := claim(t, s, donorsync.Claim{Tenant: tenant, Now: now, Until: lease, Limit: 2}); !slices.Equal(got, ids[:2]) {
		t.Errorf("first claim = %v, want the two oldest %v", got, ids[:2])
	}
	if got := claim(t, s, donorsync.Claim{Tenant: tenant, Now: now, Until: lease, Limit: 10}); !slices.Equal(got, []string{ids[2], ids[5]}) {
		t.Errorf("second claim = %v, want the rest that is due %v", got, []string{ids[2], ids[5]})
	}
	if got := claim(t, s, donorsync.Claim{Tenant: tenant, Now: now, Until: lease, Limit: 10}); len(got) != 0 {
		t.Errorf("third claim = %v, want nothing while the claims last", got)
	}
	later := now.Add(2 * time.Minute)
	if got := claim(t, s, donorsync.Claim{Tenant: tenant, Now: later, Until: later.Add(time.Minute), Limit: 10}); len(got) != 5 {
		t.Errorf("claim after the leases lapsed = %v, want the 5 pending and failed deliveries", got)
	}
	// Without a tenant, every tenant's deliveries are claimed.
	all := claim(t, s, donorsync.Claim{Now: later.Add(time.Hour), Until: later.Add(2 * time.Hour), Limit: 1000})
	if !slices.Contains(all, other[0]) || !slices.Contains(all, ids[0]) {
		t.Errorf("claim for every tenant = %d deliveries, missing some", len(all))
	}
}

// testClaimByID checks, for a store that declares batch mode or
// read-ahead, claims narrowed by id and without bodies (batch.ClaimBy)
// and, when it declares read-ahead, DueDeliveries.
func testClaimByID(t *testing.T, s donorsync.Store) {
	m := declared(s)
	if !m.Batch && !m.ReadAhead {
		t.Skip("the store declares neither batch mode nor read-ahead")
	}
	tenant := newTenant("claim-ids")
	now := ts("2024-06-01T12:00:00Z")
	ids := pending(t, s, tenant, 6, now.Add(-time.Hour), func(i int, d *donorsync.Delivery) {
		d.Body = fmt.Appendf(nil, `{"n":%d}`, i)
		if i == 4 {
			d.Status = donorsync.Processed // named below, but not due
		}
	})
	otherTenant := newTenant("claim-ids-other")
	other := pending(t, s, otherTenant, 1, now.Add(-2*time.Hour), nil)
	var listed []*donorsync.Delivery
	lists := m.ReadAhead
	if err := s.View(ctx(t), func(tx donorsync.Tx) error {
		if !lists {
			return nil
		}
		var err error
		listed, err = tx.(lister).DueDeliveries(ctx(t), donorsync.Claim{Tenant: tenant, Now: now, Limit: 3})
		return err
	}); err != nil {
		t.Fatalf("DueDeliveries: %v", err)
	}
	if lists {
		var got []string
		for i, d := range listed {
			got = append(got, d.ID)
			if want := fmt.Sprintf(`{"n":%d}`, i); string(d.Body) != want {
				t.Errorf("DueDeliveries: delivery %s has body %q, want %q", d.ID, d.Body, want)
			}
		}
		if !slices.Equal(got, ids[:3]) {
			t.Errorf("DueDeliveries = %v, want the three oldest %v", got, ids[:3])
		}
	}
	lease := now.Add(time.Minute)
	var claimed []*donorsync.Delivery
	named := []batch.ID{{Tenant: tenant, ID: ids[4]}, {Tenant: tenant, ID: ids[1]}, {Tenant: tenant, ID: ids[3]},
		{Tenant: tenant, ID: ids[5]}, {Tenant: tenant, ID: "dl_absent"}, {Tenant: otherTenant, ID: other[0]}}
	update(t, s, func(tx donorsync.Tx) error {
		var err error
		claimed, err = tx.(claimer).ClaimBatch(ctx(t), donorsync.Claim{Tenant: tenant, Now: now, Until: lease, Limit: 2}, batch.ClaimBy{IDs: named, NoBody: true})
		return err
	})
	var got []string
	for _, d := range claimed {
		got = append(got, d.ID)
		if d.Body != nil && !bytes.HasPrefix(d.Body, []byte(`{"n":`)) {
			t.Errorf("claim by id: delivery %s has body %q, want its own or none", d.ID, d.Body)
		}
		if !d.ClaimedUntil.Equal(lease) || d.Status != donorsync.Pending {
			t.Errorf("claim by id: delivery %s is %s, claimed until %v; want pending, claimed until %v", d.ID, d.Status, d.ClaimedUntil, lease)
		}
	}
	if !slices.Equal(got, []string{ids[1], ids[3]}) {
		t.Errorf("claim by id, at most 2 = %v, want the two oldest due among those named %v", got, []string{ids[1], ids[3]})
	}
	// What a claim by id left is claimed as before, and what it took is not.
	if got := claim(t, s, donorsync.Claim{Tenant: tenant, Now: now, Until: lease, Limit: 10}); !slices.Equal(got, []string{ids[0], ids[2], ids[5]}) {
		t.Errorf("claim after a claim by id = %v, want %v", got, []string{ids[0], ids[2], ids[5]})
	}
	if lists {
		if err := s.View(ctx(t), func(tx donorsync.Tx) error {
			ds, err := tx.(lister).DueDeliveries(ctx(t), donorsync.Claim{Tenant: tenant, Now: now, Limit: 10})
			if len(ds) != 0 {
				t.Errorf("DueDeliveries while every delivery is claimed = %d deliveries, want none", len(ds))
			}
			return err
		}); err != nil {
			t.Fatalf("DueDeliveries: %v", err)
		}
	}
}

// testTryLock checks TryLock, for a store that declares it: a lock
// another transaction holds is refused, without waiting; others are taken,
// and then held until the transaction ends.
func testTryLock(t *testing.T, s donorsync.Store) {
	if !declared(s).TryLock {
		t.Skip("the store declares no TryLock: its transactions wait for locks")
	}
	a, b := newTenant("trylock")+"/a", newTenant("trylock")+"/b"
	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Update(ctx(t), func(tx donorsync.Tx) error {
			if err := tx.Lock(ctx(t), []string{a}); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	try := func(tx donorsync.Tx, names ...string) []bool {
		t.Helper()
		held, err := tx.(batch.TryLocker).TryLock(ctx(t), names)
		if err != nil {
			t.Fatalf("TryLock(%q): %v", names, err)
		}
		return held
	}
	update(t, s, func(tx donorsync.Tx) error {
		if got := try(tx, a, b); !slices.Equal(got, []bool{false, true}) {
			t.Errorf("TryLock(a held elsewhere, b free) = %v, want [false true]", got)
		}
		if got := try(tx, b); !slices.Equal(got, []bool{true}) {
			t.Errorf("TryLock(b, held by this transaction) = %v, want [true]", got)
		}
		return nil
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx donorsync.Tx) error {
		if got := try(tx, a, b); !slices.Equal(got, []bool{true, true}) {
			t.Errorf("TryLock after the holders ended = %v, want [true true]", got)
		}
		return nil
	})
}

func testConcurrentClaims(t *testing.T, s donorsync.Store) {
	// Claims that lease, and claims whose transactions settle what they
	// claim (batch.ClaimBy.Settling), which a store that declares batch
	// mode or read-ahead may leave unwritten.
	for _, settling := range []bool{false, true} {
		t.Run(fmt.Sprintf("settling=%v", settling), func(t *testing.T) {
			if m := declared(s); settling && !m.Batch && !m.ReadAhead {
				t.Skip("the store declares neither batch mode nor read-ahead")
			}
			concurrentClaims(t, s, settling)
		})
	}
}

func concurrentClaims(t *testing.T, s donorsync.Store, settling bool) {
	tenant := newTenant("claims")
	now := ts("2024-06-01T12:00:00Z")
	ids := pending(t, s, tenant, 40, now.Add(-time.Hour), nil)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var got []*donorsync.Delivery
				err := s.Update(ctx(t), func(tx donorsync.Tx) error {
					var err error
					c := donorsync.Claim{Tenant: tenant, Now: now, Until: now.Add(time.Hour), Limit: 3}
					if settling {
						got, err = tx.(claimer).ClaimBatch(ctx(t), c, batch.ClaimBy{Settling: true})
					} else {
						got, err = tx.ClaimDeliveries(ctx(t), c)
					}
					if err != nil || !settling {
						return err
					}
					for _, d := range got {
						d.Status, d.ClaimedUntil = donorsync.Processed, time.Time{}
						if err := tx.UpdateDelivery(ctx(t), d); err != nil {
							return err
						}
					}
					return nil
				})
				if errors.Is(err, donorsync.ErrConflict) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("delivery %s claimed %d times, want once", id, seen[id])
		}
	}
}

func fullContact(tenant string) contact.Contact {
	return contact.Contact{
		ID: donorsync.NewID("ct"), Tenant: tenant,
		FirstName: "Ada", MiddleName: "B", LastName: "Lovelace", Suffix: "Jr",
		Email: "ada@example.org", Emails: []string{"ada@example.org", "ada2@example.org"},
		Phone: "+12024444444", Phones: []contact.Phone{{Number: "+12024444444", Raw: "(202) 444-4444 x1"}},
		Address:  contact.Address{Line1: "1 Main St", Line2: "Apt 2", City: "Springfield", State: "IL", PostalCode: "62701-1234", Country: "US"},
		Employer: "Analytical Engines", Occupation: "Mathematician",
		Custom:  map[string]string{"shirt": "M", "ünïcode": "✓"},
		Tags:    []string{"donor", "volunteer"},
		Sources: []contact.Source{{Provider: "actblue"}, {Provider: "anedot", DonorID: "d1"}},
		Seen: map[string]time.Time{
			contact.FieldFirstName:         ts("2024-02-03T04:05:06.789012Z"),
			contact.CustomPrefix + "shirt": ts("2019-06-07T19:49:32Z"),
		},
		CreatedAt: ts("2024-02-03T04:05:07Z"), UpdatedAt: ts("2024-02-03T04:05:08Z"),
	}
}

func testContactRoundTrip(t *testing.T, s donorsync.Store) {
	tenant := newTenant("contact")
	c := fullContact(tenant)
	keys := dedup.Keys(c)
	update(t, s, func(tx donorsync.Tx) error { return tx.PutContact(ctx(t), c, keys) })
	view(t, s, func(tx donorsync.Tx) error {
		got, err := tx.Contact(ctx(t), tenant, c.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(c, got, cmpOpts); diff != "" {
			t.Errorf("stored contact (-want +got):\n%s", diff)
		}
		for _, k := range keys {
			got, err := tx.ContactByKey(ctx(t), tenant, k)
			if err != nil || got.ID != c.ID {
				t.Errorf("ContactByKey(%v) = %q, %v; want %q", k, got.ID, err, c.ID)
			}
		}
		_, err = tx.ContactByKey(ctx(t), tenant, dedup.Key{Kind: dedup.Email, Value: "nobody@example.org"})
		if !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("ContactByKey(unknown) error = %v, want ErrNotFound", err)
		}
		return nil
	})
	// Updating keeps the keys owned before and adds new ones.
	c.FirstName = "Augusta"
	extra := dedup.Key{Kind: dedup.Email, Value: "augusta@example.org"}
	update(t, s, func(tx donorsync.Tx) error { return tx.PutContact(ctx(t), c, []dedup.Key{extra}) })
	view(t, s, func(tx donorsync.Tx) error {
		for _, k := range append(keys, extra) {
			got, err := tx.ContactByKey(ctx(t), tenant, k)
			if err != nil || got.FirstName != "Augusta" {
				t.Errorf("after update ContactByKey(%v) = %q, %v", k, got.FirstName, err)
			}
		}
		return nil
	})
}

func testContactKeyConflict(t *testing.T, s donorsync.Store) {
	tenant := newTenant("conflict")
	key := dedup.Key{Kind: dedup.Email, Value: "shared@example.org"}
	a := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, Email: "shared@example.org"}
	b := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, FirstName: "Other"}
	update(t, s, func(tx donorsync.Tx) error { return tx.PutContact(ctx(t), a, []dedup.Key{key}) })
	err := s.Update(ctx(t), func(tx donorsync.Tx) error { return tx.PutContact(ctx(t), b, []dedup.Key{key}) })
	if !errors.Is(err, donorsync.ErrConflict) {
		t.Fatalf("PutContact with a key of another contact: error = %v, want ErrConflict", err)
	}
	var kc *donorsync.KeyConflictError
	if !errors.As(err, &kc) || kc.Owner != a.ID || kc.Key != key {
		t.Errorf("error %v: want a *KeyConflictError naming %s and %v", err, a.ID, key)
	}
	view(t, s, func(tx donorsync.Tx) error {
		if _, err := tx.Contact(ctx(t), tenant, b.ID); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("contact of the failed transaction: error = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testMergeContacts(t *testing.T, s donorsync.Store) {
	tenant := newTenant("merge")
	from := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, FirstName: "From"}
	into := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, FirstName: "Into"}
	kFrom := dedup.Key{Kind: dedup.DonorID, Value: "actionnetwork:p1"}
	kInto := dedup.Key{Kind: dedup.Email, Value: "into@example.org"}
	d := donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g1", ContactID: from.ID, Amount: dec("5")}
	c := donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "p", ExternalID: "c1", ContactID: from.ID}
	a := contact.Activity{Tenant: tenant, Provider: "p", Key: "a1", ContactID: from.ID, Type: "osdi:signature"}
	update(t, s, func(tx donorsync.Tx) error {
		return errors.Join(tx.PutContact(ctx(t), from, []dedup.Key{kFrom}), tx.PutContact(ctx(t), into, []dedup.Key{kInto}),
			tx.PutDonation(ctx(t), d), tx.PutCommitment(ctx(t), c), tx.PutActivity(ctx(t), a))
	})
	update(t, s, func(tx donorsync.Tx) error { return tx.MergeContacts(ctx(t), tenant, from.ID, into.ID) })
	view(t, s, func(tx donorsync.Tx) error {
		if _, err := tx.Contact(ctx(t), tenant, from.ID); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("merged contact still there: %v", err)
		}
		if got, err := tx.ContactByKey(ctx(t), tenant, kFrom); err != nil || got.ID != into.ID {
			t.Errorf("key of merged contact owned by %q (%v), want %q", got.ID, err, into.ID)
		}
		if got, err := tx.Donation(ctx(t), tenant, "p", "g1"); err != nil || got.ContactID != into.ID {
			t.Errorf("donation of merged contact points at %q (%v), want %q", got.ContactID, err, into.ID)
		}
		if got, err := tx.Commitment(ctx(t), tenant, "p", "c1"); err != nil || got.ContactID != into.ID {
			t.Errorf("commitment of merged contact points at %q (%v), want %q", got.ContactID, err, into.ID)
		}
		if got, err := tx.Activities(ctx(t), tenant, into.ID); err != nil || len(got) != 1 || got[0].ContactID != into.ID {
			t.Errorf("activities of the merged contact: %+v (%v), want its one activity", got, err)
		}
		return nil
	})
}

func testDonationRoundTrip(t *testing.T, s donorsync.Store) {
	tenant := newTenant("donation")
	amounts := []string{"0.1", "25.9", "50.0", "-23.70", "33.10", "12345678901234.56", "0.000001"}
	for i, a := range amounts {
		d := donation.Donation{
			ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "actblue", ExternalID: fmt.Sprint(1000 + i),
			ContactID: "ct_x", OrderNumber: "AB123", Amount: dec(a), Currency: "USD",
			Net: decimal.NewNullDecimal(dec("23.70")), PaidAt: ts("2019-06-07T19:49:32Z"), CreatedAt: ts("2019-06-07T19:49:31.5Z"),
			RecipientID: "12345", RecipientName: "Committee", FECID: "C00123456", Form: "f", Fund: "General Fund", Origin: "hosted",
			Refcodes: map[string]string{"refcode": "email"}, Custom: map[string]string{"Q?": "A!"},
			Recurrence:   donation.Recurrence{Period: "monthly", Duration: "infinite", Sequence: 3, Valid: true},
			CommitmentID: "AB123", Payment: donation.Payment{Method: "card", Reference: "pay1", PayPal: true, Express: true},
			PlatformStatus: donation.Completed, Status: donation.PartiallyRefunded, Refunded: dec("1.01"), SettledAt: ts("2019-06-09T00:00:00Z"),
			DeliveryID: "dl_1", SourceTime: ts("2019-06-07T19:49:32Z"), UpdatedAt: ts("2024-01-01T00:00:00.000001Z"),
		}
		update(t, s, func(tx donorsync.Tx) error { return tx.PutDonation(ctx(t), d) })
		view(t, s, func(tx donorsync.Tx) error {
			got, err := tx.Donation(ctx(t), tenant, "actblue", d.ExternalID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(d, got, cmpOpts); diff != "" {
				t.Errorf("amount %s: stored donation (-want +got):\n%s", a, diff)
			}
			if got.Amount.String() != d.Amount.String() && !got.Amount.Equal(d.Amount) {
				t.Errorf("amount %s came back as %s", a, got.Amount)
			}
			return nil
		})
	}
	// Putting again replaces by natural key.
	update(t, s, func(tx donorsync.Tx) error {
		d, err := tx.Donation(ctx(t), tenant, "actblue", "1000")
		if err != nil {
			return err
		}
		d.Status = donation.Refunded
		return tx.PutDonation(ctx(t), d)
	})
	view(t, s, func(tx donorsync.Tx) error {
		all, err := tx.Donations(ctx(t), tenant, donorsync.Page{})
		if len(all) != len(amounts) {
			t.Errorf("%d donations after a replace, want %d", len(all), len(amounts))
		}
		d, _ := tx.Donation(ctx(t), tenant, "actblue", "1000")
		if d.Status != donation.Refunded {
			t.Errorf("status after replace = %q", d.Status)
		}
		return err
	})
}

func testAdjustments(t *testing.T, s donorsync.Store) {
	tenant := newTenant("adjust")
	a := donation.Adjustment{Tenant: tenant, Provider: "p", Key: "r1", DonationID: "g1", Kind: donation.PartialRefund, Amount: dec("5.25"), At: ts("2024-01-02T00:00:00Z"), DeliveryID: "dl_1"}
	b := donation.Adjustment{Tenant: tenant, Provider: "p", Key: "r0", DonationID: "g1", Kind: donation.Chargeback, At: ts("2024-01-03T00:00:00Z")}
	other := donation.Adjustment{Tenant: tenant, Provider: "p", Key: "r2", DonationID: "g2", Kind: donation.Void}
	update(t, s, func(tx donorsync.Tx) error {
		return errors.Join(tx.PutAdjustment(ctx(t), a), tx.PutAdjustment(ctx(t), b), tx.PutAdjustment(ctx(t), other))
	})
	update(t, s, func(tx donorsync.Tx) error { return tx.PutAdjustment(ctx(t), a) }) // again: no change
	view(t, s, func(tx donorsync.Tx) error {
		got, err := tx.Adjustments(ctx(t), tenant, "p", "g1")
		if diff := cmp.Diff([]donation.Adjustment{b, a}, got, cmpOpts); diff != "" {
			t.Errorf("adjustments of g1 (-want +got):\n%s", diff)
		}
		return err
	})
}

func testCommitmentRoundTrip(t *testing.T, s donorsync.Store) {
	tenant := newTenant("commit")
	c := donation.Commitment{
		ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "actblue", ExternalID: "AB1", ContactID: "ct_1",
		Period: "monthly", Amount: dec("10.30"), Currency: "USD", StartedAt: ts("2021-01-03T12:55:10Z"),
		CancelledAt: ts("2021-03-17T00:00:00Z"), FailedAt: ts("2021-03-01T00:00:00Z"), LastChargedAt: ts("2021-02-03T00:00:00Z"),
		Completed: 2, Pledged: 12, CancelReason: "failure", CancelledBy: "admin@example.org", FailReason: "Declined",
		Status: donation.Cancelled, SourceTime: ts("2021-03-17T16:52:48Z"), UpdatedAt: ts("2024-01-01T00:00:00Z"),
	}
	update(t, s, func(tx donorsync.Tx) error { return tx.PutCommitment(ctx(t), c) })
	view(t, s, func(tx donorsync.Tx) error {
		got, err := tx.Commitment(ctx(t), tenant, "actblue", "AB1")
		if diff := cmp.Diff(c, got, cmpOpts); diff != "" {
			t.Errorf("stored commitment (-want +got):\n%s", diff)
		}
		if _, err := tx.Commitment(ctx(t), tenant, "actblue", "nope"); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("Commitment(missing) error = %v, want ErrNotFound", err)
		}
		return err
	})
}

func testActivities(t *testing.T, s donorsync.Store) {
	tenant, other := newTenant("activity"), newTenant("activity-other")
	a := contact.Activity{Tenant: tenant, Provider: "actionnetwork", Key: "sig-1", ContactID: "ct_1", Type: "osdi:signature",
		Action: "https://actionnetwork.org/api/v2/petitions/9f83", At: ts("2018-11-12T17:07:31Z"), DeliveryID: "dl_1"}
	b := a
	b.Key, b.Type, b.At = "att-1", "osdi:attendance", ts("2018-11-13T00:00:00.5Z")
	changed := a
	changed.Type = "osdi:submission"
	update(t, s, func(tx donorsync.Tx) error {
		return errors.Join(tx.PutActivity(ctx(t), a), tx.PutActivity(ctx(t), b),
			tx.PutActivity(ctx(t), contact.Activity{Tenant: other, Provider: "actionnetwork", Key: "sig-1", ContactID: "ct_1"}))
	})
	update(t, s, func(tx donorsync.Tx) error { return tx.PutActivity(ctx(t), changed) }) // again: no change
	view(t, s, func(tx donorsync.Tx) error {
		got, err := tx.Activities(ctx(t), tenant, "ct_1")
		if diff := cmp.Diff([]contact.Activity{b, a}, got, cmpOpts); diff != "" {
			t.Errorf("activities (-want +got):\n%s", diff)
		}
		if none, _ := tx.Activities(ctx(t), tenant, "ct_2"); len(none) != 0 {
			t.Errorf("activities of another contact: %+v", none)
		}
		return err
	})
}

func testListing(t *testing.T, s donorsync.Store) {
	tenant := newTenant("listing")
	var ids []string
	update(t, s, func(tx donorsync.Tx) error {
		for i := range 7 {
			c := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, FirstName: fmt.Sprint(i)}
			ids = append(ids, c.ID)
			if err := tx.PutContact(ctx(t), c, nil); err != nil {
				return err
			}
			if err := tx.PutDonation(ctx(t), donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: fmt.Sprint(i), Amount: dec("1")}); err != nil {
				return err
			}
			if err := tx.PutCommitment(ctx(t), donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "p", ExternalID: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	slices.Sort(ids)
	view(t, s, func(tx donorsync.Tx) error {
		var got []string
		after := ""
		for {
			page, err := tx.Contacts(ctx(t), tenant, donorsync.Page{After: after, Limit: 3})
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				got = append(got, c.ID)
			}
			after = page[len(page)-1].ID
		}
		if !slices.Equal(got, ids) {
			t.Errorf("paged contacts = %v, want %v", got, ids)
		}
		ds, err := tx.Donations(ctx(t), tenant, donorsync.Page{Limit: 5})
		if len(ds) != 5 || err != nil {
			t.Errorf("Donations(limit 5) = %d, %v", len(ds), err)
		}
		cs, err := tx.Commitments(ctx(t), tenant, donorsync.Page{})
		if len(cs) != 7 || err != nil {
			t.Errorf("Commitments = %d, %v", len(cs), err)
		}
		return nil
	})
}

var errRollback = errors.New("storetest: roll back")

func testRollback(t *testing.T, s donorsync.Store) {
	tenant := newTenant("rollback")
	c := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, Email: "r@example.org"}
	key := dedup.Key{Kind: dedup.Email, Value: "r@example.org"}
	d := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "k", Body: []byte("x"), Status: donorsync.Processed}
	err := s.Update(ctx(t), func(tx donorsync.Tx) error {
		if _, err := tx.RecordDelivery(ctx(t), d); err != nil {
			return err
		}
		if err := tx.PutContact(ctx(t), c, []dedup.Key{key}); err != nil {
			return err
		}
		if err := tx.PutDonation(ctx(t), donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g", Amount: dec("1")}); err != nil {
			return err
		}
		if err := tx.PutAdjustment(ctx(t), donation.Adjustment{Tenant: tenant, Provider: "p", Key: "a", DonationID: "g", Kind: donation.Void}); err != nil {
			return err
		}
		if err := tx.PutCommitment(ctx(t), donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "p", ExternalID: "c"}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	assertEmpty(t, s, tenant)
	// The key is free again: another contact can take it.
	update(t, s, func(tx donorsync.Tx) error {
		return tx.PutContact(ctx(t), contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant}, []dedup.Key{key})
	})
}

func assertEmpty(t *testing.T, s donorsync.Store, tenant string) {
	t.Helper()
	view(t, s, func(tx donorsync.Tx) error {
		ds, err1 := tx.Deliveries(ctx(t), tenant, donorsync.DeliveryFilter{})
		cs, err2 := tx.Contacts(ctx(t), tenant, donorsync.Page{})
		dn, err3 := tx.Donations(ctx(t), tenant, donorsync.Page{})
		cm, err4 := tx.Commitments(ctx(t), tenant, donorsync.Page{})
		adj, err5 := tx.Adjustments(ctx(t), tenant, "p", "g")
		if len(ds)+len(cs)+len(dn)+len(cm)+len(adj) != 0 {
			t.Errorf("tenant %s not empty: %d deliveries, %d contacts, %d donations, %d commitments, %d adjustments",
				tenant, len(ds), len(cs), len(dn), len(cm), len(adj))
		}
		return errors.Join(err1, err2, err3, err4, err5)
	})
}

func testContextCancelled(t *testing.T, s donorsync.Store) {
	tenant := newTenant("cancel")
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	err := s.Update(c, func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(c, &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "k", Body: []byte("x")})
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: error = %v, want context.Canceled", err)
	}
	// Cancelled in the middle of a transaction.
	c2, cancel2 := context.WithCancel(ctx(t))
	err = s.Update(c2, func(tx donorsync.Tx) error {
		if _, err := tx.RecordDelivery(c2, &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "k2", Body: []byte("x")}); err != nil {
			return err
		}
		cancel2()
		return tx.PutDonation(c2, donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g", Amount: dec("1")})
	})
	if err == nil {
		t.Errorf("Update cancelled midway succeeded")
	}
	assertEmpty(t, s, tenant)
}

func testTenantIsolation(t *testing.T, s donorsync.Store) {
	a, b := newTenant("iso-a"), newTenant("iso-b")
	key := dedup.Key{Kind: dedup.Email, Value: "same@example.org"}
	for _, tenant := range []string{a, b} {
		tenant := tenant
		update(t, s, func(tx donorsync.Tx) error {
			if _, err := tx.RecordDelivery(ctx(t), &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "k", Body: []byte(tenant), Status: donorsync.Processed}); err != nil {
				return err
			}
			c := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, FirstName: tenant}
			return errors.Join(
				tx.PutContact(ctx(t), c, []dedup.Key{key}),
				tx.PutDonation(ctx(t), donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g", Amount: dec("1"), Form: tenant}),
				tx.PutCommitment(ctx(t), donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "p", ExternalID: "c", Period: tenant}),
				tx.PutAdjustment(ctx(t), donation.Adjustment{Tenant: tenant, Provider: "p", Key: "adj", DonationID: "g", Kind: donation.Void, DeliveryID: tenant}),
			)
		})
	}
	view(t, s, func(tx donorsync.Tx) error {
		for _, tenant := range []string{a, b} {
			c, err := tx.ContactByKey(ctx(t), tenant, key)
			if err != nil || c.FirstName != tenant || c.Tenant != tenant {
				t.Errorf("tenant %s: contact by shared key = %q, %v", tenant, c.FirstName, err)
			}
			if _, err := tx.Contact(ctx(t), otherOf(tenant, a, b), c.ID); !errors.Is(err, donorsync.ErrNotFound) {
				t.Errorf("contact of %s readable from the other tenant: %v", tenant, err)
			}
			d, err := tx.Donation(ctx(t), tenant, "p", "g")
			if err != nil || d.Form != tenant {
				t.Errorf("tenant %s: donation = %q, %v", tenant, d.Form, err)
			}
			cm, err := tx.Commitment(ctx(t), tenant, "p", "c")
			if err != nil || cm.Period != tenant {
				t.Errorf("tenant %s: commitment = %q, %v", tenant, cm.Period, err)
			}
			adj, err := tx.Adjustments(ctx(t), tenant, "p", "g")
			if err != nil || len(adj) != 1 || adj[0].DeliveryID != tenant {
				t.Errorf("tenant %s: adjustments = %+v, %v", tenant, adj, err)
			}
			ds, err := tx.Deliveries(ctx(t), tenant, donorsync.DeliveryFilter{})
			if err != nil || len(ds) != 1 || string(ds[0].Body) != tenant || ds[0].Status != donorsync.Processed {
				t.Errorf("tenant %s: deliveries = %d (%v); the same key in another tenant is no duplicate", tenant, len(ds), err)
			}
		}
		return nil
	})
}

func otherOf(x, a, b string) string {
	if x == a {
		return b
	}
	return a
}
