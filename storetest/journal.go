package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/google/go-cmp/cmp"
)

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
	d.History = []donorsync.Attempt{
		{At: ts("2024-05-01T10:00:00.5Z"), Status: donorsync.Failed, Error: "first \"error\"\n\u00e9"},
		{At: ts("2024-05-01T10:00:00.75Z"), Status: donorsync.Quarantined},
	}
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
	lists := m.ReadAhead
	checkDueDeliveries(t, s, tenant, now, ids, lists)
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

// checkDueDeliveries checks, when lists (the store declares read-ahead),
// that DueDeliveries at now lists the three oldest of ids, due and
// unclaimed, bodies included.
func checkDueDeliveries(t *testing.T, s donorsync.Store, tenant string, now time.Time, ids []string, lists bool) {
	var listed []*donorsync.Delivery
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
