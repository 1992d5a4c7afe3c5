package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
)

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
