package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/shopspring/decimal"
)

const cacheTenant = "t1"

var cacheKey = dedup.Key{Kind: dedup.Email, Value: "ada@example.org"}

// batch runs fn in a transaction of s in batch mode (after a Prefetch of
// p), as the engine applies a batch.
func inBatch(t *testing.T, s donorsync.Store, p batch.Wants, fn func(ctx context.Context, tx donorsync.Tx) error) error {
	t.Helper()
	return s.Update(t.Context(), func(tx donorsync.Tx) error {
		if _, err := tx.(batch.Prefetcher).Prefetch(t.Context(), p); err != nil {
			return err
		}
		return fn(t.Context(), tx)
	})
}

// putContact stores c under cacheKey in batch mode.
func putContact(t *testing.T, s donorsync.Store, c contact.Contact) {
	t.Helper()
	err := inBatch(t, s, batch.Wants{Keys: []batch.Key{{Tenant: cacheTenant, Key: cacheKey}}}, func(ctx context.Context, tx donorsync.Tx) error {
		return tx.PutContact(ctx, c, []dedup.Key{cacheKey})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// byKey reads the contact of cacheKey in batch mode, as the engine does.
func byKey(t *testing.T, s donorsync.Store) contact.Contact {
	t.Helper()
	var c contact.Contact
	err := inBatch(t, s, batch.Wants{Keys: []batch.Key{{Tenant: cacheTenant, Key: cacheKey}}}, func(ctx context.Context, tx donorsync.Tx) error {
		var err error
		c, err = tx.ContactByKey(ctx, cacheTenant, cacheKey)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ada(name string) contact.Contact {
	return contact.Contact{ID: "ct_ada", Tenant: cacheTenant, Email: cacheKey.Value, FirstName: name}
}

func TestRecordsKeptBetweenTransactions(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), nil)
	putContact(t, s, ada("Ada"))
	before := s.RecordCacheStats()
	if got := byKey(t, s); got.FirstName != "Ada" {
		t.Fatalf("first name %q, want Ada", got.FirstName)
	}
	after := s.RecordCacheStats()
	// The key's owner and the contact, both written by the transaction
	// before.
	if hits := after.Hits - before.Hits; hits != 2 || after.Misses != before.Misses {
		t.Errorf("reading back what the last transaction wrote: %d records from memory, %d from the database; want 2 and 0",
			hits, after.Misses-before.Misses)
	}

	off := open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{RecordCache: -1})
	putContact(t, off, ada("Ada"))
	if got := byKey(t, off); got.FirstName != "Ada" || off.RecordCacheStats() != (sqlite.RecordCacheStats{}) {
		t.Errorf("RecordCache -1: first name %q, %+v; want Ada, nothing kept", got.FirstName, off.RecordCacheStats())
	}
}

func TestRecordsWrittenByAnotherConnection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "donorsync.db")
	a := open(t, path, nil)
	b := open(t, path, nil) // another Store, as another process would be
	putContact(t, a, ada("Ada"))
	byKey(t, a)
	putContact(t, b, ada("Augusta"))
	if got := byKey(t, a); got.FirstName != "Augusta" {
		t.Errorf("after another connection renamed the contact, first name %q; want Augusta", got.FirstName)
	}
	if a.RecordCacheStats().Resets == 0 {
		t.Error("the records kept were not dropped after another connection committed")
	}
}

func TestRecordsOfRolledBackTransaction(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), nil)
	putContact(t, s, ada("Ada"))
	errAbort := errors.New("abort")
	err := inBatch(t, s, batch.Wants{Keys: []batch.Key{{Tenant: cacheTenant, Key: cacheKey}}}, func(ctx context.Context, tx donorsync.Tx) error {
		if err := tx.PutContact(ctx, ada("Augusta"), []dedup.Key{cacheKey}); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want the abort", err)
	}
	if got := byKey(t, s); got.FirstName != "Ada" {
		t.Errorf("after a transaction renamed the contact and rolled back, first name %q; want Ada", got.FirstName)
	}
}

func TestRecordsAfterUnfollowedWrites(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), nil)
	ctx := t.Context()

	// A write outside batch mode.
	putContact(t, s, ada("Ada"))
	byKey(t, s)
	if err := s.Update(ctx, func(tx donorsync.Tx) error { return tx.PutContact(ctx, ada("Augusta"), nil) }); err != nil {
		t.Fatal(err)
	}
	if got := byKey(t, s); got.FirstName != "Augusta" {
		t.Errorf("after a write outside batch mode, first name %q; want Augusta", got.FirstName)
	}

	// A merge, in batch mode: the key moves to the other contact.
	other := contact.Contact{ID: "ct_other", Tenant: cacheTenant, FirstName: "Other"}
	err := inBatch(t, s, batch.Wants{Keys: []batch.Key{{Tenant: cacheTenant, Key: cacheKey}}}, func(ctx context.Context, tx donorsync.Tx) error {
		return errors.Join(tx.PutContact(ctx, other, nil), tx.MergeContacts(ctx, cacheTenant, "ct_ada", "ct_other"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := byKey(t, s); got.ID != "ct_other" {
		t.Errorf("after a merge, the key's contact is %q; want ct_other", got.ID)
	}

	// An adjustment to a donation whose list the transaction did not
	// read, while the list read before is kept.
	g := donation.Donation{ID: "dn_1", Tenant: cacheTenant, Provider: "p", ExternalID: "g1", ContactID: "ct_other", Amount: decimal.RequireFromString("10"), Currency: "USD"}
	ref := batch.Ref{Tenant: cacheTenant, Provider: "p", ExternalID: "g1"}
	adjustments := func() []donation.Adjustment {
		var list []donation.Adjustment
		err := inBatch(t, s, batch.Wants{Donations: []batch.Ref{ref}}, func(ctx context.Context, tx donorsync.Tx) error {
			var err error
			list, err = tx.Adjustments(ctx, cacheTenant, "p", "g1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if err := inBatch(t, s, batch.Wants{Donations: []batch.Ref{ref}}, func(ctx context.Context, tx donorsync.Tx) error {
		return tx.PutDonation(ctx, g)
	}); err != nil {
		t.Fatal(err)
	}
	if got := adjustments(); len(got) != 0 {
		t.Fatalf("adjustments of a new donation: %+v", got)
	}
	refund := donation.Adjustment{Tenant: cacheTenant, Provider: "p", Key: "r1", DonationID: "g1", Kind: donation.PartialRefund, Amount: decimal.RequireFromString("1")}
	if err := inBatch(t, s, batch.Wants{}, func(ctx context.Context, tx donorsync.Tx) error { return tx.PutAdjustment(ctx, refund) }); err != nil {
		t.Fatal(err)
	}
	if got := adjustments(); len(got) != 1 || got[0].Key != "r1" {
		t.Errorf("adjustments after a refund written without reading the list: %+v; want r1", got)
	}
}

// keyOf is a Prefetch of the contact key k.
func keyOf(k dedup.Key) batch.Wants {
	return batch.Wants{Keys: []batch.Key{{Tenant: cacheTenant, Key: k}}}
}

// preload reads the records p names in a View of s, as a Worker does for
// the batch it reads ahead, running during before the View ends.
func preload(t *testing.T, s donorsync.Store, p batch.Wants, during func()) {
	t.Helper()
	err := s.View(t.Context(), func(tx donorsync.Tx) error {
		err := tx.(batch.Preloader).Preload(t.Context(), p)
		during()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

var otherKey = dedup.Key{Kind: dedup.Email, Value: "other@example.org"}

// reopened writes ada("Ada") into a new file and returns another Store on
// it, which keeps none of its records yet and has written once, and the
// file's path.
func reopened(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "donorsync.db")
	putContact(t, open(t, path, nil), ada("Ada"))
	s := open(t, path, nil)
	if err := inBatch(t, s, keyOf(otherKey), func(context.Context, donorsync.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return s, path
}

func TestPreloadedRecordsServeTheWriter(t *testing.T) {
	t.Parallel()
	s, _ := reopened(t)
	preload(t, s, keyOf(cacheKey), func() {})
	before := s.RecordCacheStats()
	if before.Preloaded != 2 || before.Stale != 0 {
		t.Fatalf("after a preload, %+v; want the key's owner and the contact kept", before)
	}
	if got := byKey(t, s); got.FirstName != "Ada" {
		t.Fatalf("first name %q, want Ada", got.FirstName)
	}
	if after := s.RecordCacheStats(); after.Misses != before.Misses {
		t.Errorf("the writer read %d records from the database after they were preloaded; want 0", after.Misses-before.Misses)
	}
}

func TestPreloadDroppedWhenRecordsChangeMeanwhile(t *testing.T) {
	t.Parallel()
	s, _ := reopened(t)
	ctx := t.Context()
	// A write the record cache does not follow empties it; a batch that reads
	// something else makes it current again before the View ends.
	preload(t, s, keyOf(cacheKey), func() {
		if err := s.Update(ctx, func(tx donorsync.Tx) error { return tx.PutContact(ctx, ada("Augusta"), nil) }); err != nil {
			t.Fatal(err)
		}
		if err := inBatch(t, s, keyOf(otherKey), func(context.Context, donorsync.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	if got := byKey(t, s); got.FirstName != "Augusta" {
		t.Errorf("after a preload across a rename, first name %q; want Augusta", got.FirstName)
	}

	// A refund written, in batch mode, to a donation whose adjustments a
	// View is reading.
	g := donation.Donation{ID: "dn_1", Tenant: cacheTenant, Provider: "p", ExternalID: "g1", ContactID: "ct_ada", Amount: decimal.RequireFromString("10"), Currency: "USD"}
	ref := batch.Ref{Tenant: cacheTenant, Provider: "p", ExternalID: "g1"}
	if err := s.Update(ctx, func(tx donorsync.Tx) error { return tx.PutDonation(ctx, g) }); err != nil {
		t.Fatal(err)
	}
	refund := donation.Adjustment{Tenant: cacheTenant, Provider: "p", Key: "r1", DonationID: "g1", Kind: donation.PartialRefund, Amount: decimal.RequireFromString("1")}
	preload(t, s, batch.Wants{Donations: []batch.Ref{ref}}, func() {
		if err := inBatch(t, s, batch.Wants{}, func(ctx context.Context, tx donorsync.Tx) error { return tx.PutAdjustment(ctx, refund) }); err != nil {
			t.Fatal(err)
		}
	})
	var list []donation.Adjustment
	if err := inBatch(t, s, batch.Wants{Donations: []batch.Ref{ref}}, func(ctx context.Context, tx donorsync.Tx) error {
		var err error
		list, err = tx.Adjustments(ctx, cacheTenant, "p", "g1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Key != "r1" {
		t.Errorf("adjustments after a preload across a refund: %+v; want r1", list)
	}
	if st := s.RecordCacheStats(); st.Stale != 2 {
		t.Errorf("%d preloads dropped, want 2", st.Stale)
	}
}

func TestPreloadBesideAnotherConnection(t *testing.T) {
	t.Parallel()
	s, path := reopened(t)
	other := open(t, path, nil)
	preload(t, s, keyOf(cacheKey), func() { putContact(t, other, ada("Augusta")) })
	if got := byKey(t, s); got.FirstName != "Augusta" {
		t.Errorf("after another connection renamed the contact during a preload, first name %q; want Augusta", got.FirstName)
	}
}

func TestRecordsKeptAreBounded(t *testing.T) {
	t.Parallel()
	const limit = 10
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{RecordCache: limit})
	for i := range 100 {
		c := contact.Contact{ID: donorsync.NewID("ct"), Tenant: cacheTenant, FirstName: "Ada"}
		k := dedup.Key{Kind: dedup.Email, Value: c.ID + "@example.org"}
		err := inBatch(t, s, batch.Wants{Keys: []batch.Key{{Tenant: cacheTenant, Key: k}}}, func(ctx context.Context, tx donorsync.Tx) error {
			return tx.PutContact(ctx, c, []dedup.Key{k})
		})
		if err != nil {
			t.Fatalf("contact %d: %v", i, err)
		}
	}
	// Two generations of contacts and of their keys (four a contact).
	if n, most := s.RecordCacheLen(), 2*(limit+4*limit); n > most || n == 0 {
		t.Errorf("after 100 contacts, %d records kept; want 1 to %d", n, most)
	}
}

func TestWriteLockHeldElsewhere(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "donorsync.db")
	a := open(t, path, &sqlite.Options{BusyTimeout: 50 * time.Millisecond})
	b := open(t, path, nil) // another Store, as another process would be
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.Update(t.Context(), func(tx donorsync.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	errc := make(chan error, 1)
	go func() { errc <- a.Update(t.Context(), func(tx donorsync.Tx) error { return nil }) }()
	var err error
	select {
	case err = <-errc:
		close(release)
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Update while another connection held the write lock did not return")
	}
	if err == nil {
		t.Error("Update while another connection held the write lock past the busy timeout: no error")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	putContact(t, a, ada("Ada")) // and writes go on once it is released
}

// draftRename drafts, on s, after the draft after (nil: none), renaming
// the contact of cacheKey.
func draftRename(t *testing.T, s *sqlite.Store, after batch.Draft, name string) batch.Draft {
	t.Helper()
	return draftEdit(t, s, after, func(c *contact.Contact) { c.FirstName = name })
}

// draftEdit drafts, on s, after the draft after (nil: none), putting the
// contact of cacheKey as edit changes it.
func draftEdit(t *testing.T, s *sqlite.Store, after batch.Draft, edit func(*contact.Contact)) batch.Draft {
	t.Helper()
	d, err := s.Draft(t.Context(), after, func(tx donorsync.Tx) error {
		if _, err := tx.(batch.Prefetcher).Prefetch(t.Context(), keyOf(cacheKey)); err != nil {
			return err
		}
		c, err := tx.ContactByKey(t.Context(), cacheTenant, cacheKey)
		if err != nil {
			return err
		}
		edit(&c)
		return tx.PutContact(t.Context(), c, []dedup.Key{cacheKey})
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// send sends d in a writing transaction of s, and reports whether it did.
func send(t *testing.T, s *sqlite.Store, d batch.Draft) bool {
	t.Helper()
	var sent bool
	if err := s.Update(t.Context(), func(tx donorsync.Tx) error {
		var err error
		sent, err = tx.(batch.DraftSender).SendDraft(t.Context(), d)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return sent
}

// firstName reads the first name of cacheKey's contact in a View.
func firstName(t *testing.T, s donorsync.Store) string {
	t.Helper()
	return viewContact(t, s).FirstName
}

// viewContact reads cacheKey's contact in a View.
func viewContact(t *testing.T, s donorsync.Store) contact.Contact {
	t.Helper()
	var c contact.Contact
	if err := s.View(t.Context(), func(tx donorsync.Tx) error {
		var err error
		c, err = tx.ContactByKey(t.Context(), cacheTenant, cacheKey)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDraftSentWhenNothingChanged(t *testing.T) {
	t.Parallel()
	s, _ := reopened(t)
	d := draftRename(t, s, nil, "Augusta")
	if got := firstName(t, s); got != "Ada" {
		t.Fatalf("after a draft, before it is sent, first name %q; want Ada", got)
	}
	if !send(t, s, d) {
		t.Fatal("a draft over unchanged records was refused")
	}
	if got := firstName(t, s); got != "Augusta" {
		t.Errorf("after the draft was sent, first name %q; want Augusta", got)
	}
	if got := byKey(t, s); got.FirstName != "Augusta" {
		t.Errorf("the records kept after the draft was sent say %q; want Augusta", got.FirstName)
	}
	if send(t, s, d) {
		t.Error("a draft was sent twice")
	}
}

func TestDraftRefusedWhenRecordsChangeMeanwhile(t *testing.T) {
	t.Parallel()
	s, path := reopened(t)
	for _, tc := range []struct {
		name  string
		write func()
		want  string
	}{
		{"a batch of the same store", func() { putContact(t, s, ada("Augusta")) }, "Augusta"},
		{"a batch on another record", func() {
			if err := inBatch(t, s, keyOf(otherKey), func(ctx context.Context, tx donorsync.Tx) error {
				return tx.PutContact(ctx, contact.Contact{ID: "ct_other", Tenant: cacheTenant, Email: otherKey.Value}, []dedup.Key{otherKey})
			}); err != nil {
				t.Fatal(err)
			}
		}, "Augusta"},
		{"another connection", func() { putContact(t, open(t, path, nil), ada("Grace")) }, "Grace"},
	} {
		d := draftRename(t, s, nil, "Lovelace")
		tc.write()
		if send(t, s, d) {
			t.Errorf("%s: a draft was sent after records changed", tc.name)
		}
		if got := firstName(t, s); got != tc.want {
			t.Errorf("%s: first name %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDraftCannotWriteOrReadPastItsCache(t *testing.T) {
	t.Parallel()
	s, _ := reopened(t)
	ctx := t.Context()
	_, err := s.Draft(ctx, nil, func(tx donorsync.Tx) error { return tx.PutContact(ctx, ada("Augusta"), []dedup.Key{cacheKey}) })
	if err == nil {
		t.Error("a draft wrote outside batch mode")
	}
	_, err = s.Draft(ctx, nil, func(tx donorsync.Tx) error {
		if _, err := tx.(batch.Prefetcher).Prefetch(ctx, keyOf(cacheKey)); err != nil {
			return err
		}
		if err := tx.PutContact(ctx, ada("Augusta"), []dedup.Key{cacheKey}); err != nil {
			return err
		}
		_, err := tx.ContactByKey(ctx, cacheTenant, otherKey) // not read ahead
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "writes held back") {
		t.Errorf("a draft read past its cache with writes held back: %v; want an error saying so", err)
	}
	if got := firstName(t, s); got != "Ada" {
		t.Errorf("after drafts that failed, first name %q; want Ada", got)
	}
	off := open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{RecordCache: -1})
	if _, err := off.Draft(ctx, nil, func(donorsync.Tx) error { return nil }); err == nil {
		t.Error("a Store that keeps no records drafted")
	}
}

func TestDraftAfterADraft(t *testing.T) {
	t.Parallel()
	s, _ := reopened(t)
	var seen string
	draftAfter := func(after batch.Draft) batch.Draft {
		return draftEdit(t, s, after, func(c *contact.Contact) { seen, c.LastName = c.FirstName, "Lovelace" })
	}

	first := draftRename(t, s, nil, "Augusta")
	second := draftAfter(first)
	if seen != "Augusta" {
		t.Errorf("a draft after another read the first name %q; want Augusta, as the other wrote it", seen)
	}
	if send(t, s, second) {
		t.Error("a draft was sent before the draft it follows")
	}
	if !send(t, s, first) || !send(t, s, second) {
		t.Fatal("drafts one after the other were refused")
	}
	if c := viewContact(t, s); c.FirstName != "Augusta" || c.LastName != "Lovelace" {
		t.Errorf("after both drafts, %s %s; want Augusta Lovelace", c.FirstName, c.LastName)
	}

	// A contact the draft followed creates is found by the one after it.
	grace := contact.Contact{ID: "ct_grace", Tenant: cacheTenant, Email: "grace@example.org", FirstName: "Grace"}
	graceKey := dedup.Key{Kind: dedup.Email, Value: grace.Email}
	first, err := s.Draft(t.Context(), nil, func(tx donorsync.Tx) error {
		if _, err := tx.(batch.Prefetcher).Prefetch(t.Context(), keyOf(graceKey)); err != nil {
			return err
		}
		return tx.PutContact(t.Context(), grace, []dedup.Key{graceKey})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Draft(t.Context(), first, func(tx donorsync.Tx) error {
		if _, err := tx.(batch.Prefetcher).Prefetch(t.Context(), keyOf(graceKey)); err != nil {
			return err
		}
		c, err := tx.ContactByKey(t.Context(), cacheTenant, graceKey)
		seen = c.ID
		return err
	})
	if err != nil || seen != grace.ID {
		t.Errorf("a draft after one that created a contact found %q, %v; want %s", seen, err, grace.ID)
	}

	// A draft after another reads only what it read ahead.
	_, err = s.Draft(t.Context(), first, func(tx donorsync.Tx) error {
		if _, err := tx.(batch.Prefetcher).Prefetch(t.Context(), keyOf(cacheKey)); err != nil {
			return err
		}
		_, err := tx.ContactByKey(t.Context(), cacheTenant, graceKey)
		return err
	})
	if err == nil || errors.Is(err, donorsync.ErrNotFound) {
		t.Errorf("a draft after another read a record it did not read ahead: %v", err)
	}

	// The draft followed is refused: so is the one after it.
	first = draftRename(t, s, nil, "Grace")
	second = draftAfter(first)
	putContact(t, s, ada("Ada"))
	if send(t, s, first) || send(t, s, second) {
		t.Error("drafts were sent after records changed")
	}
	// The draft followed commits, and then another transaction.
	first = draftRename(t, s, nil, "Grace")
	second = draftAfter(first)
	if !send(t, s, first) {
		t.Fatal("a draft over unchanged records was refused")
	}
	putContact(t, s, ada("Ada"))
	if send(t, s, second) {
		t.Error("a draft was sent after the draft it follows and another transaction committed")
	}
	if got := firstName(t, s); got != "Ada" {
		t.Errorf("first name %q, want Ada", got)
	}
}

// TestRecordCacheActivities: an activity read ahead, absent or stored in
// batch mode, is kept for the next batch; one stored outside batch mode
// empties the record cache, so that it is never told absent once stored.
func TestRecordCacheActivities(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), nil)
	a := contact.Activity{Tenant: cacheTenant, Provider: "actionnetwork", Key: "sig-1", ContactID: "ct_1", Type: "osdi:signature",
		At: time.Date(2024, 6, 7, 19, 49, 33, 0, time.UTC), DeliveryID: "dl_1"}
	b := a
	b.Key = "sig-2"
	wants := batch.Wants{Activities: []batch.Ref{{Tenant: cacheTenant, Provider: a.Provider, ExternalID: a.Key},
		{Tenant: cacheTenant, Provider: b.Provider, ExternalID: b.Key}}}
	lookup := func(x contact.Activity) (contact.Activity, error) {
		var got contact.Activity
		err := inBatch(t, s, wants, func(ctx context.Context, tx donorsync.Tx) error {
			var err error
			got, err = tx.Activity(ctx, x.Tenant, x.Provider, x.Key)
			return err
		})
		return got, err
	}
	if _, err := lookup(a); !errors.Is(err, donorsync.ErrNotFound) {
		t.Fatalf("Activity before any put: %v, want ErrNotFound", err)
	}
	if err := inBatch(t, s, wants, func(ctx context.Context, tx donorsync.Tx) error { return tx.PutActivity(ctx, b) }); err != nil {
		t.Fatal(err)
	}
	hits := s.RecordCacheStats().Hits
	if got, err := lookup(b); err != nil || got != b {
		t.Fatalf("Activity after a put in batch mode: %+v, %v", got, err)
	}
	if st := s.RecordCacheStats(); st.Hits != hits+2 {
		t.Errorf("record cache hits %d → %d; want both activities answered from memory", hits, st.Hits)
	}
	if err := s.Update(t.Context(), func(tx donorsync.Tx) error { return tx.PutActivity(t.Context(), a) }); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup(a); err != nil || got != a {
		t.Fatalf("Activity after a put outside batch mode: %+v, %v; want it found", got, err)
	}
}
