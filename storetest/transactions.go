package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

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
