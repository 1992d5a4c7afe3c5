package storetest

import (
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
)

// records are a tenant's records by key, as stored or as a fold of its
// change feed gives them.
type records struct {
	Contacts    map[string]contact.Contact       // by id
	Donations   map[string]donation.Donation     // by provider:external id
	Adjustments map[string][]donation.Adjustment // of each donation that has some
	Commitments map[string]donation.Commitment   // by provider:external id
	Activities  map[string]contact.Activity      // by provider:key
}

func newRecords() *records {
	return &records{Contacts: map[string]contact.Contact{}, Donations: map[string]donation.Donation{},
		Adjustments: map[string][]donation.Adjustment{}, Commitments: map[string]donation.Commitment{},
		Activities: map[string]contact.Activity{}}
}

// fold applies the changes cs, in order, as package change says.
func fold(cs []change.Change) *records {
	r := newRecords()
	for _, c := range cs {
		switch {
		case c.Kind == change.ContactsMerged:
			r.merge(c.From, c.Key)
		case c.Contact != nil:
			r.Contacts[c.Key] = *c.Contact
		case c.Donation != nil:
			r.Donations[c.Key] = *c.Donation
			delete(r.Adjustments, c.Key)
			if len(c.Adjustments) > 0 {
				r.Adjustments[c.Key] = c.Adjustments
			}
		case c.Commitment != nil:
			r.Commitments[c.Key] = *c.Commitment
		case c.Activity != nil:
			r.Activities[c.Key] = *c.Activity
		}
	}
	return r
}

// merge folds contact from into contact into.
func (r *records) merge(from, into string) {
	delete(r.Contacts, from)
	for k, d := range r.Donations {
		if d.ContactID == from {
			d.ContactID = into
			r.Donations[k] = d
		}
	}
	for k, c := range r.Commitments {
		if c.ContactID == from {
			c.ContactID = into
			r.Commitments[k] = c
		}
	}
	for k, a := range r.Activities {
		if a.ContactID == from {
			a.ContactID = into
			r.Activities[k] = a
		}
	}
}

// storedRecords reads every record of tenant.
func storedRecords(t *testing.T, s donorsync.Store, tenant string) *records {
	t.Helper()
	r := newRecords()
	view(t, s, func(tx donorsync.Tx) error {
		cs, err := tx.Contacts(ctx(t), tenant, donorsync.Page{Limit: 1000})
		if err != nil {
			return err
		}
		for _, c := range cs {
			r.Contacts[c.ID] = c
			acts, err := tx.Activities(ctx(t), tenant, c.ID)
			if err != nil {
				return err
			}
			for _, a := range acts {
				r.Activities[a.Provider+":"+a.Key] = a
			}
		}
		ds, err := tx.Donations(ctx(t), tenant, donorsync.Page{Limit: 1000})
		if err != nil {
			return err
		}
		for _, d := range ds {
			k := d.Provider + ":" + d.ExternalID
			r.Donations[k] = d
			adjs, err := tx.Adjustments(ctx(t), tenant, d.Provider, d.ExternalID)
			if err != nil {
				return err
			}
			if len(adjs) > 0 {
				r.Adjustments[k] = adjs
			}
		}
		cms, err := tx.Commitments(ctx(t), tenant, donorsync.Page{Limit: 1000})
		for _, c := range cms {
			r.Commitments[c.Provider+":"+c.ExternalID] = c
		}
		return err
	})
	return r
}

// checkFeed checks that folding the change feed of tenant gives its
// stored records, and that the feed is numbered 1, 2, 3...; it returns
// the feed.
func checkFeed(t *testing.T, s donorsync.Store, tenant string) []change.Change {
	t.Helper()
	cs := changesOf(t, s, tenant)
	for i, c := range cs {
		if c.Position != int64(i+1) || c.Tenant != tenant || c.ID == "" || c.DeliveryID == "" || c.At.IsZero() {
			t.Fatalf("change %d of the feed: position %d, tenant %q, id %q, delivery %q, at %v", i, c.Position, c.Tenant, c.ID, c.DeliveryID, c.At)
		}
	}
	if diff := cmp.Diff(storedRecords(t, s, tenant), fold(cs), cmpOpts); diff != "" {
		t.Fatalf("the feed folded is not what is stored (-stored +folded):\n%s", diff)
	}
	return cs
}
