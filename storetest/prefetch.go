package storetest

import (
	"errors"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/google/go-cmp/cmp"
)

// prefetch calls Prefetch when tx is a donorsync.Prefetcher, and checks
// the owners it returns.
func prefetch(t *testing.T, tx donorsync.Tx, p batch.Wants) error {
	pf, ok := tx.(batch.Prefetcher)
	if !ok {
		return nil
	}
	owners, err := pf.Prefetch(ctx(t), p)
	if err != nil {
		return err
	}
	for _, k := range p.Keys {
		want := ""
		if c, err := tx.ContactByKey(ctx(t), k.Tenant, k.Key); err == nil {
			want = c.ID
		}
		if owners[k] != want {
			t.Errorf("Prefetch: owner of key %s = %q, want %q", k.Kind, owners[k], want)
		}
	}
	return nil
}

// testPrefetch checks a Tx that is a donorsync.Prefetcher (and any other
// the same way, without the Prefetch): lookups of
// what it read ahead, present or absent, answer as a store query would,
// every write is read back within the transaction, and the writes it may
// hold back are committed, or rolled back, or fail the commit, as one.
func testPrefetch(t *testing.T, s donorsync.Store) {
	tenant := newTenant("prefetch")
	kA := dedup.Key{Kind: dedup.Email, Value: "a@example.org"}
	kNew := dedup.Key{Kind: dedup.Email, Value: "new@example.org"}
	kAbsent := dedup.Key{Kind: dedup.Phone, Value: "+12025550199"}
	a := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, Email: "a@example.org", FirstName: "A"}
	g1 := donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g1", ContactID: a.ID, Amount: dec("10"), Currency: "USD"}
	r1 := donation.Adjustment{Tenant: tenant, Provider: "p", Key: "r1", DonationID: "g1", Kind: donation.PartialRefund, Amount: dec("1")}
	c1 := donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "p", ExternalID: "c1", ContactID: a.ID, Period: "monthly", Amount: dec("5")}
	dl := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "k1", Body: []byte("{}"), Status: donorsync.Pending}
	update(t, s, func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(ctx(t), dl)
		return errors.Join(err, tx.PutContact(ctx(t), a, []dedup.Key{kA}), tx.PutDonation(ctx(t), g1),
			tx.PutAdjustment(ctx(t), r1), tx.PutCommitment(ctx(t), c1))
	})
	want := batch.Wants{
		Keys:        []batch.Key{{Tenant: tenant, Key: kA}, {Tenant: tenant, Key: kNew}, {Tenant: tenant, Key: kAbsent}},
		Contacts:    []batch.ID{{Tenant: tenant, ID: a.ID}, {Tenant: tenant, ID: "ct_absent"}},
		Donations:   []batch.Ref{{Tenant: tenant, Provider: "p", ExternalID: "g1"}, {Tenant: tenant, Provider: "p", ExternalID: "g2"}},
		Commitments: []batch.Ref{{Tenant: tenant, Provider: "p", ExternalID: "c1"}, {Tenant: tenant, Provider: "p", ExternalID: "c2"}},
	}
	b := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, Email: "new@example.org", FirstName: "B"}
	g2 := donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g2", ContactID: b.ID, Amount: dec("3"), Currency: "USD"}
	r2 := donation.Adjustment{Tenant: tenant, Provider: "p", Key: "r0", DonationID: "g1", Kind: donation.PartialRefund, Amount: dec("2")}
	c2 := donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "p", ExternalID: "c2", ContactID: b.ID}
	update(t, s, func(tx donorsync.Tx) error {
		if err := prefetch(t, tx, want); err != nil {
			return err
		}
		// What was read ahead.
		if got, err := tx.ContactByKey(ctx(t), tenant, kA); err != nil || !cmp.Equal(got, a, cmpOpts) {
			t.Errorf("ContactByKey(a) = %+v, %v; want %+v", got, err, a)
		}
		if got, err := tx.Contact(ctx(t), tenant, a.ID); err != nil || !cmp.Equal(got, a, cmpOpts) {
			t.Errorf("Contact(a) = %+v, %v; want %+v", got, err, a)
		}
		for _, k := range []dedup.Key{kNew, kAbsent} {
			if _, err := tx.ContactByKey(ctx(t), tenant, k); !errors.Is(err, donorsync.ErrNotFound) {
				t.Errorf("ContactByKey(%s) of no contact: error %v, want ErrNotFound", k.Kind, err)
			}
		}
		if _, err := tx.Contact(ctx(t), tenant, "ct_absent"); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("Contact(absent): error %v, want ErrNotFound", err)
		}
		if got, err := tx.Donation(ctx(t), tenant, "p", "g1"); err != nil || !cmp.Equal(got, g1, cmpOpts) {
			t.Errorf("Donation(g1) = %+v, %v; want %+v", got, err, g1)
		}
		if _, err := tx.Donation(ctx(t), tenant, "p", "g2"); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("Donation(absent): error %v, want ErrNotFound", err)
		}
		if got, err := tx.Adjustments(ctx(t), tenant, "p", "g1"); err != nil || !cmp.Equal(got, []donation.Adjustment{r1}, cmpOpts) {
			t.Errorf("Adjustments(g1) = %+v, %v; want [r1]", got, err)
		}
		if got, err := tx.Adjustments(ctx(t), tenant, "p", "g2"); err != nil || len(got) != 0 {
			t.Errorf("Adjustments(g2) = %+v, %v; want none", got, err)
		}
		if got, err := tx.Commitment(ctx(t), tenant, "p", "c1"); err != nil || !cmp.Equal(got, c1, cmpOpts) {
			t.Errorf("Commitment(c1) = %+v, %v; want %+v", got, err, c1)
		}
		if _, err := tx.Commitment(ctx(t), tenant, "p", "c2"); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("Commitment(absent): error %v, want ErrNotFound", err)
		}

		// Writes, read back in the same transaction.
		a2 := a
		a2.LastName = "Changed"
		dl.Status, dl.Attempts = donorsync.Processed, 1
		err := errors.Join(tx.PutContact(ctx(t), b, []dedup.Key{kNew}), tx.PutContact(ctx(t), a2, nil), tx.PutDonation(ctx(t), g2),
			tx.PutAdjustment(ctx(t), r2), tx.PutAdjustment(ctx(t), r1), tx.PutCommitment(ctx(t), c2), tx.UpdateDelivery(ctx(t), dl))
		if err != nil {
			return err
		}
		if got, err := tx.ContactByKey(ctx(t), tenant, kNew); err != nil || got.ID != b.ID {
			t.Errorf("ContactByKey(new key) after PutContact = %q, %v; want %q", got.ID, err, b.ID)
		}
		if got, err := tx.Contact(ctx(t), tenant, a.ID); err != nil || got.LastName != "Changed" {
			t.Errorf("Contact(a) after PutContact: last name %q, %v; want Changed", got.LastName, err)
		}
		if got, err := tx.Donation(ctx(t), tenant, "p", "g2"); err != nil || !cmp.Equal(got, g2, cmpOpts) {
			t.Errorf("Donation(g2) after PutDonation = %+v, %v", got, err)
		}
		if got, err := tx.Adjustments(ctx(t), tenant, "p", "g1"); err != nil || !cmp.Equal(got, []donation.Adjustment{r2, r1}, cmpOpts) {
			t.Errorf("Adjustments(g1) after PutAdjustment = %+v, %v; want [r0 r1] by key", got, err)
		}
		if got, err := tx.Commitment(ctx(t), tenant, "p", "c2"); err != nil || got.ID != c2.ID {
			t.Errorf("Commitment(c2) after PutCommitment = %+v, %v", got, err)
		}
		if got, err := tx.Delivery(ctx(t), tenant, dl.ID); err != nil || got.Status != donorsync.Processed || got.Attempts != 1 {
			t.Errorf("Delivery after UpdateDelivery = %+v, %v; want processed, 1 attempt", got, err)
		}
		if got, err := tx.Contacts(ctx(t), tenant, donorsync.Page{}); err != nil || len(got) != 2 {
			t.Errorf("Contacts after PutContact: %d, %v; want 2", len(got), err)
		}
		return nil
	})
	view(t, s, func(tx donorsync.Tx) error {
		if got, err := tx.ContactByKey(ctx(t), tenant, kNew); err != nil || got.ID != b.ID {
			t.Errorf("after commit: ContactByKey(new key) = %q, %v; want %q", got.ID, err, b.ID)
		}
		if got, err := tx.Donation(ctx(t), tenant, "p", "g2"); err != nil || !cmp.Equal(got, g2, cmpOpts) {
			t.Errorf("after commit: Donation(g2) = %+v, %v", got, err)
		}
		if got, err := tx.Adjustments(ctx(t), tenant, "p", "g1"); err != nil || len(got) != 2 {
			t.Errorf("after commit: %d adjustments of g1, %v; want 2", len(got), err)
		}
		if got, err := tx.Delivery(ctx(t), tenant, dl.ID); err != nil || got.Status != donorsync.Processed {
			t.Errorf("after commit: delivery %+v, %v; want processed", got, err)
		}
		return nil
	})

	// A key of another contact fails the transaction, whenever the store
	// finds out, and nothing of it is kept.
	c := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, FirstName: "C"}
	g3 := donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g3", Amount: dec("1")}
	err := s.Update(ctx(t), func(tx donorsync.Tx) error {
		if err := prefetch(t, tx, batch.Wants{Donations: []batch.Ref{{Tenant: tenant, Provider: "p", ExternalID: "g3"}}}); err != nil {
			return err
		}
		if err := tx.PutDonation(ctx(t), g3); err != nil {
			return err
		}
		return tx.PutContact(ctx(t), c, []dedup.Key{kA})
	})
	var kc *donorsync.KeyConflictError
	if !errors.Is(err, donorsync.ErrConflict) || !errors.As(err, &kc) || kc.Owner != a.ID {
		t.Errorf("batch PutContact with a key of another contact: Update = %v, want a *KeyConflictError naming %s", err, a.ID)
	}
	// A missing delivery fails the transaction too.
	missing := &donorsync.Delivery{ID: "dl_missing", Tenant: tenant, Status: donorsync.Processed}
	err = s.Update(ctx(t), func(tx donorsync.Tx) error {
		if err := prefetch(t, tx, batch.Wants{}); err != nil {
			return err
		}
		return errors.Join(tx.PutDonation(ctx(t), g3), tx.UpdateDelivery(ctx(t), missing))
	})
	if !errors.Is(err, donorsync.ErrNotFound) {
		t.Errorf("batch UpdateDelivery of a missing delivery: Update = %v, want ErrNotFound", err)
	}
	view(t, s, func(tx donorsync.Tx) error {
		if _, err := tx.Contact(ctx(t), tenant, c.ID); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("contact of a failed batch transaction: error %v, want ErrNotFound", err)
		}
		if _, err := tx.Donation(ctx(t), tenant, "p", "g3"); !errors.Is(err, donorsync.ErrNotFound) {
			t.Errorf("donation of a failed batch transaction: error %v, want ErrNotFound", err)
		}
		return nil
	})
}

// testRecordDeliveries journals deliveries together, with a Tx's
// RecordDeliveries when the store declares batch mode (one by one
// otherwise): repeats of a delivery journaled before, and of one earlier
// in the same call, are kept as duplicates of the first.
func testRecordDeliveries(t *testing.T, s donorsync.Store) {
	tenant := newTenant("record")
	now := ts("2024-05-01T10:00:00.123456Z")
	newDelivery := func(key string) *donorsync.Delivery {
		return &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Kind: "k", Key: key,
			Body: []byte(`{"key":"` + key + `"}`), ReceivedAt: now, UpdatedAt: now, Status: donorsync.Pending}
	}
	d0 := newDelivery("k1")
	update(t, s, func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(ctx(t), d0)
		return err
	})
	ds := []*donorsync.Delivery{newDelivery("k1"), newDelivery("k2"), newDelivery("k2"), newDelivery("k3"), newDelivery("k1"), newDelivery("k2")}
	update(t, s, func(tx donorsync.Tx) error {
		if r, ok := tx.(recorder); ok && declared(s).Batch {
			return r.RecordDeliveries(ctx(t), ds)
		}
		for _, d := range ds {
			if _, err := tx.RecordDelivery(ctx(t), d); err != nil {
				return err
			}
		}
		return nil
	})
	want := []struct {
		status donorsync.DeliveryStatus
		dupOf  string
	}{{donorsync.Duplicate, d0.ID}, {donorsync.Pending, ""}, {donorsync.Duplicate, ds[1].ID}, {donorsync.Pending, ""},
		{donorsync.Duplicate, d0.ID}, {donorsync.Duplicate, ds[1].ID}}
	view(t, s, func(tx donorsync.Tx) error {
		for i, d := range ds {
			if d.Status != want[i].status || d.DuplicateOf != want[i].dupOf {
				t.Errorf("delivery %d: %s of %q, want %s of %q", i, d.Status, d.DuplicateOf, want[i].status, want[i].dupOf)
			}
			got, err := tx.Delivery(ctx(t), tenant, d.ID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(d, got, cmpOpts); diff != "" {
				t.Errorf("stored delivery %d (-want +got):\n%s", i, diff)
			}
		}
		return nil
	})
}
