package storetest

import (
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/internal/batch"
)

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

// edit reads the person in tx, in batch mode when tx is a Prefetcher,
// and puts it back as change leaves it (created when missing).
func (p person) edit(t *testing.T, tx donorsync.Tx, change func(*contact.Contact)) error {
	if pf, ok := tx.(batch.Prefetcher); ok {
		if _, err := pf.Prefetch(ctx(t), p.prefetch()); err != nil {
			return err
		}
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
	dr, ok := s.(drafter)
	if !ok {
		t.Fatal("the store declares drafts, but cannot draft")
	}
	draft := func(p person, after batch.Draft, change func(*contact.Contact)) batch.Draft {
		t.Helper()
		d, err := dr.Draft(ctx(t), after, func(tx donorsync.Tx) error { return p.edit(t, tx, change) })
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
