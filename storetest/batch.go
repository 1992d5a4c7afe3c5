package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/google/go-cmp/cmp"
)

// The stores of this module also serve the engine's batch protocol
// (internal/batch), and declare which parts of it in their execution
// model. The suite checks what a store declares; a store outside this
// module declares nothing, and only the Store contract is checked.
type (
	recorder  = batch.Recorder[*donorsync.Delivery]
	claimer   = batch.Claimer[donorsync.Claim, *donorsync.Delivery]
	lister    = batch.Lister[donorsync.Claim, *donorsync.Delivery]
	draftFunc = func(context.Context, batch.Draft, func(donorsync.Tx) error) (batch.Draft, error)
)

// declared returns the execution model s declares.
func declared(s donorsync.Store) batch.Model { return batch.ModelOf(s) }

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

// prefetch calls Prefetch when the store declares batch mode, and checks
// the owners it returns.
func (f *prefetched) prefetch(t *testing.T, tx donorsync.Tx, p batch.Wants) error {
	if !f.batch {
		return nil
	}
	pf, ok := tx.(batch.Prefetcher)
	if !ok {
		t.Fatal("the store declares batch mode, but its Tx cannot Prefetch")
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

// testPrefetch checks, for a store that declares batch mode, a Tx read
// ahead with Prefetch (and any other the same way, without it): lookups of
// what it read ahead, present or absent, answer as a store query would,
// every write is read back within the transaction, and the writes it may
// hold back are committed, or rolled back, or fail the commit, as one.
func testPrefetch(t *testing.T, s donorsync.Store) {
	f := newPrefetched(newTenant("prefetch"))
	f.batch = declared(s).Batch
	update(t, s, func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(ctx(t), f.dl)
		return errors.Join(err, tx.PutContact(ctx(t), f.a, []dedup.Key{f.kA}), tx.PutDonation(ctx(t), f.g1),
			tx.PutAdjustment(ctx(t), f.r1), tx.PutCommitment(ctx(t), f.c1))
	})
	update(t, s, func(tx donorsync.Tx) error {
		if err := f.prefetch(t, tx, f.want); err != nil {
			return err
		}
		f.checkReadAhead(t, tx)
		return f.writeAndReadBack(t, tx)
	})
	f.checkCommitted(t, s)
	f.checkFailures(t, s)
}

// prefetched holds the records of testPrefetch: those stored before its
// batch transaction (a, g1, r1, c1, dl), what that transaction reads
// ahead (want), and what it writes (b, g2, r2, c2).
type prefetched struct {
	tenant            string
	kA, kNew, kAbsent dedup.Key
	a, b              contact.Contact
	g1, g2            donation.Donation
	r1, r2            donation.Adjustment
	c1, c2            donation.Commitment
	dl                *donorsync.Delivery
	want              batch.Wants
	batch             bool // the store declares batch mode: Prefetch first
}

func newPrefetched(tenant string) *prefetched {
	kA := dedup.Key{Kind: dedup.Email, Value: "a@example.org"}
	kNew := dedup.Key{Kind: dedup.Email, Value: "new@example.org"}
	kAbsent := dedup.Key{Kind: dedup.Phone, Value: "+12025550199"}
	a := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, Email: "a@example.org", FirstName: "A"}
	g1 := donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g1", ContactID: a.ID, Amount: dec("10"), Currency: "USD"}
	r1 := donation.Adjustment{Tenant: tenant, Provider: "p", Key: "r1", DonationID: "g1", Kind: donation.PartialRefund, Amount: dec("1")}
	c1 := donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "p", ExternalID: "c1", ContactID: a.ID, Period: "monthly", Amount: dec("5")}
	dl := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: "k1", Body: []byte("{}"), Status: donorsync.Pending}
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
	return &prefetched{tenant: tenant, kA: kA, kNew: kNew, kAbsent: kAbsent, a: a, b: b, g1: g1, g2: g2,
		r1: r1, r2: r2, c1: c1, c2: c2, dl: dl, want: want}
}

// checkReadAhead checks, in the batch transaction, what was read ahead.
func (f *prefetched) checkReadAhead(t *testing.T, tx donorsync.Tx) {
	tenant, a, g1, r1, c1 := f.tenant, f.a, f.g1, f.r1, f.c1
	if got, err := tx.ContactByKey(ctx(t), tenant, f.kA); err != nil || !cmp.Equal(got, a, cmpOpts) {
		t.Errorf("ContactByKey(a) = %+v, %v; want %+v", got, err, a)
	}
	if got, err := tx.Contact(ctx(t), tenant, a.ID); err != nil || !cmp.Equal(got, a, cmpOpts) {
		t.Errorf("Contact(a) = %+v, %v; want %+v", got, err, a)
	}
	for _, k := range []dedup.Key{f.kNew, f.kAbsent} {
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
}

// writeAndReadBack writes, in the batch transaction, and reads the writes
// back in the same transaction.
func (f *prefetched) writeAndReadBack(t *testing.T, tx donorsync.Tx) error {
	tenant, a, b, g2, r1, r2, c2, dl := f.tenant, f.a, f.b, f.g2, f.r1, f.r2, f.c2, f.dl
	a2 := a
	a2.LastName = "Changed"
	dl.Status, dl.Attempts = donorsync.Processed, 1
	err := errors.Join(tx.PutContact(ctx(t), b, []dedup.Key{f.kNew}), tx.PutContact(ctx(t), a2, nil), tx.PutDonation(ctx(t), g2),
		tx.PutAdjustment(ctx(t), r2), tx.PutAdjustment(ctx(t), r1), tx.PutCommitment(ctx(t), c2), tx.UpdateDelivery(ctx(t), dl))
	if err != nil {
		return err
	}
	if got, err := tx.ContactByKey(ctx(t), tenant, f.kNew); err != nil || got.ID != b.ID {
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
}

// checkCommitted checks, in a View, that the batch transaction's writes
// were committed.
func (f *prefetched) checkCommitted(t *testing.T, s donorsync.Store) {
	tenant, b, g2, dl := f.tenant, f.b, f.g2, f.dl
	view(t, s, func(tx donorsync.Tx) error {
		if got, err := tx.ContactByKey(ctx(t), tenant, f.kNew); err != nil || got.ID != b.ID {
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
}

// checkFailures checks the batch transactions that must fail, and that
// they leave nothing.
func (f *prefetched) checkFailures(t *testing.T, s donorsync.Store) {
	tenant, kA, a := f.tenant, f.kA, f.a
	// A key of another contact fails the transaction, whenever the store
	// finds out, and nothing of it is kept.
	c := contact.Contact{ID: donorsync.NewID("ct"), Tenant: tenant, FirstName: "C"}
	g3 := donation.Donation{ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "p", ExternalID: "g3", Amount: dec("1")}
	err := s.Update(ctx(t), func(tx donorsync.Tx) error {
		if err := f.prefetch(t, tx, batch.Wants{Donations: []batch.Ref{{Tenant: tenant, Provider: "p", ExternalID: "g3"}}}); err != nil {
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
		if err := f.prefetch(t, tx, batch.Wants{}); err != nil {
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

// person is a contact of one tenant known by its email, to be put and
// read back in batch mode, as the engine does.
type person struct {
	tenant string
	key    dedup.Key
}

func newPerson(prefix string) person {
	return person{newTenant(prefix), dedup.Key{Kind: dedup.Email, Value: "ada@example.org"}}
}

func (p person) prefetch() batch.Wants {
	return batch.Wants{Keys: []batch.Key{{Tenant: p.tenant, Key: p.key}}}
}

// edit reads the person in tx in batch mode, as the engine does (the
// stores that preload and draft declare batch mode), and puts it back as
// change leaves it (created when missing).
func (p person) edit(t *testing.T, tx donorsync.Tx, change func(*contact.Contact)) error {
	pf, ok := tx.(batch.Prefetcher)
	if !ok {
		t.Fatal("a store that preloads or drafts, whose Tx cannot Prefetch")
	}
	if _, err := pf.Prefetch(ctx(t), p.prefetch()); err != nil {
		return err
	}
	c, err := tx.ContactByKey(ctx(t), p.tenant, p.key)
	if err != nil {
		c = contact.Contact{ID: "ct_" + p.tenant, Tenant: p.tenant, Email: p.key.Value}
	}
	change(&c)
	return tx.PutContact(ctx(t), c, []dedup.Key{p.key})
}

// name returns the person's first and last names, read in a View.
func (p person) name(t *testing.T, s donorsync.Store) string {
	t.Helper()
	var c contact.Contact
	view(t, s, func(tx donorsync.Tx) error {
		var err error
		c, err = tx.ContactByKey(ctx(t), p.tenant, p.key)
		return err
	})
	return c.FirstName + " " + c.LastName
}

func (p person) put(t *testing.T, s donorsync.Store, first, last string) {
	t.Helper()
	update(t, s, func(tx donorsync.Tx) error {
		return p.edit(t, tx, func(c *contact.Contact) { c.FirstName, c.LastName = first, last })
	})
}

// testPreload checks, for a store that declares preloads, that records
// preloaded in a View never hide a write committed meanwhile.
func testPreload(t *testing.T, s donorsync.Store) {
	if !declared(s).Preload {
		t.Skip("the store declares no preloads")
	}
	p := newPerson("preload")
	p.put(t, s, "Ada", "Lovelace")
	view(t, s, func(tx donorsync.Tx) error {
		if err := tx.(batch.Preloader).Preload(ctx(t), p.prefetch()); err != nil {
			return err
		}
		p.put(t, s, "Augusta", "Lovelace") // while the View reads
		return nil
	})
	var got string
	update(t, s, func(tx donorsync.Tx) error {
		return p.edit(t, tx, func(c *contact.Contact) { got = c.FirstName })
	})
	if got != "Augusta" {
		t.Errorf("a writing transaction read first name %q after a preload across a rename; want Augusta", got)
	}
}

// testDraft checks, for a store that declares drafts, its drafts: sent when nothing changed, refused
// otherwise, once only, and after another draft only once that one
// committed.
func testDraft(t *testing.T, s donorsync.Store) {
	if !declared(s).Drafts {
		t.Skip("the store declares no drafts")
	}
	draftOf, ok := batch.DraftOf(s).(draftFunc)
	if !ok {
		t.Fatal("the store declares drafts, but cannot draft")
	}
	draft := func(p person, after batch.Draft, change func(*contact.Contact)) batch.Draft {
		t.Helper()
		d, err := draftOf(ctx(t), after, func(tx donorsync.Tx) error { return p.edit(t, tx, change) })
		if err != nil {
			t.Fatalf("Draft: %v", err)
		}
		return d
	}
	send := func(d batch.Draft) bool {
		t.Helper()
		var sent bool
		update(t, s, func(tx donorsync.Tx) error {
			ds, ok := tx.(batch.DraftSender)
			if !ok {
				t.Fatal("a Drafter's writing Tx is not a DraftSender")
			}
			var err error
			sent, err = ds.SendDraft(ctx(t), d)
			return err
		})
		return sent
	}
	rename := func(first string) func(*contact.Contact) { return func(c *contact.Contact) { c.FirstName = first } }

	p := newPerson("draft")
	p.put(t, s, "Ada", "Lovelace")
	d := draft(p, nil, rename("Augusta"))
	if got := p.name(t, s); got != "Ada Lovelace" {
		t.Fatalf("after a draft, before it is sent: %q; want Ada Lovelace", got)
	}
	if !send(d) {
		t.Fatal("a draft over unchanged records was refused")
	}
	if got := p.name(t, s); got != "Augusta Lovelace" {
		t.Errorf("after the draft was sent: %q; want Augusta Lovelace", got)
	}
	if send(d) {
		t.Error("a draft was sent twice")
	}

	d = draft(p, nil, rename("Grace"))
	p.put(t, s, "Ada", "Byron") // committed after the draft began
	if send(d) {
		t.Error("a draft was sent over a record written since it began")
	}
	if got := p.name(t, s); got != "Ada Byron" {
		t.Errorf("after a refused draft: %q; want Ada Byron", got)
	}

	// A draft after another reads what that one wrote, and is sent only
	// after it.
	first := draft(p, nil, rename("Augusta"))
	var seen string
	second := draft(p, first, func(c *contact.Contact) { seen, c.LastName = c.FirstName, "King" })
	if seen != "Augusta" {
		t.Errorf("a draft after another read first name %q; want Augusta, which the other wrote", seen)
	}
	if send(second) {
		t.Error("a draft was sent before the draft it follows")
	}
	if !send(first) || !send(second) {
		t.Fatal("drafts one after the other were refused")
	}
	if got := p.name(t, s); got != "Augusta King" {
		t.Errorf("after both drafts: %q; want Augusta King", got)
	}
}
