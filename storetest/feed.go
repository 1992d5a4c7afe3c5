package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// fullChanges returns one change of each record a change carries, every
// field set, for tenant.
func fullChanges(tenant string) []change.Change {
	c := fullContact(tenant)
	d := donation.Donation{
		ID: donorsync.NewID("dn"), Tenant: tenant, Provider: "actblue", ExternalID: "1001", ContactID: c.ID,
		Amount: dec("25.775"), Currency: "USD", Net: decimal.NewNullDecimal(dec("23.70")), PaidAt: ts("2019-06-07T19:49:32Z"),
		Refcodes: map[string]string{"refcode": "email"}, Status: donation.PartiallyRefunded, Refunded: dec("0.001"),
		Seen: map[string]time.Time{"form": ts("2019-06-07T19:49:31.000001Z")}, UpdatedAt: ts("2024-01-01T00:00:00.000001Z"),
	}
	adj := donation.Adjustment{Tenant: tenant, Provider: "actblue", Key: "1001:refund", DonationID: "1001",
		Kind: donation.Refund, Amount: dec("0.001"), At: ts("2019-06-08T00:00:00.5Z"), DeliveryID: "dl_2"}
	cm := donation.Commitment{ID: donorsync.NewID("cm"), Tenant: tenant, Provider: "anedot", ExternalID: "s1", ContactID: c.ID,
		Period: "monthly", Amount: dec("10"), Currency: "USD", CancelledAt: ts("2020-01-01T00:00:00Z"), Status: donation.Cancelled}
	a := contact.Activity{Tenant: tenant, Provider: "actionnetwork", Key: "sig1", ContactID: c.ID, Type: "osdi:signature",
		At: ts("2021-01-01T00:00:00.000001Z"), DeliveryID: "dl_3"}
	at := ts("2026-03-01T10:00:00.123456Z")
	base := change.Change{Tenant: tenant, DeliveryID: "dl_1", At: at}
	out := []change.Change{base, base, base, base, base}
	out[0].Kind, out[0].Key, out[0].Contact, out[0].Fields = change.ContactUpdated, c.ID, &c, []string{"email", "first_name"}
	out[1].Kind, out[1].Key, out[1].From = change.ContactsMerged, c.ID, "ct_other"
	out[2].Kind, out[2].Key, out[2].Donation, out[2].Adjustments, out[2].Previous = change.DonationStatusChanged, "actblue:1001", &d,
		[]donation.Adjustment{adj}, string(donation.Completed)
	out[3].Kind, out[3].Key, out[3].Commitment = change.CommitmentCancelled, "anedot:s1", &cm
	out[4].Kind, out[4].Key, out[4].Activity = change.ActivityRecorded, "actionnetwork:sig1", &a
	for i := range out {
		out[i].ID = donorsync.NewID("ch")
	}
	return out
}

// changesOf reads the whole feed of tenant.
func changesOf(t *testing.T, s donorsync.Store, tenant string) []change.Change {
	t.Helper()
	var all []change.Change
	view(t, s, func(tx donorsync.Tx) error {
		all = nil
		for after := int64(0); ; {
			cs, err := tx.Changes(ctx(t), tenant, after, 50)
			if err != nil {
				return err
			}
			all = append(all, cs...)
			if len(cs) < 50 {
				return nil
			}
			after = cs[len(cs)-1].Position
		}
	})
	return all
}

// testFeedAppend checks that changes are numbered per tenant, in the
// order of their transactions, read back field for field, by page, and
// that a transaction rolled back leaves neither its changes nor a gap.
func testFeedAppend(t *testing.T, s donorsync.Store) {
	a, b := newTenant("feed"), newTenant("feed")
	want := fullChanges(a)
	other := fullChanges(b)[:1]
	update(t, s, func(tx donorsync.Tx) error {
		if err := tx.AppendChanges(ctx(t), want[:2]); err != nil {
			return err
		}
		return tx.AppendChanges(ctx(t), other)
	})
	err := s.Update(ctx(t), func(tx donorsync.Tx) error {
		if err := tx.AppendChanges(ctx(t), fullChanges(a)); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	update(t, s, func(tx donorsync.Tx) error { return tx.AppendChanges(ctx(t), want[2:]) })
	for i := range want {
		if want[i].Position != int64(i+1) {
			t.Errorf("change %d of %s given position %d, want %d", i, a, want[i].Position, i+1)
		}
	}
	if other[0].Position != 1 {
		t.Errorf("first change of %s given position %d, want 1", b, other[0].Position)
	}
	if diff := cmp.Diff(want, changesOf(t, s, a), cmpOpts); diff != "" {
		t.Errorf("changes read back (-appended +read):\n%s", diff)
	}
	view(t, s, func(tx donorsync.Tx) error {
		page, err := tx.Changes(ctx(t), a, 2, 2)
		if err != nil {
			return err
		}
		if len(page) != 2 || page[0].Position != 3 || page[1].Position != 4 {
			t.Errorf("Changes(after 2, limit 2) gave %d changes %v, want positions 3 and 4", len(page), positions(page))
		}
		none, err := tx.Changes(ctx(t), newTenant("feed"), 0, 10)
		if err != nil || len(none) != 0 {
			t.Errorf("Changes of a tenant without changes: %d changes, %v", len(none), err)
		}
		return nil
	})
}

func positions(cs []change.Change) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.Position
	}
	return out
}

// appendN appends n changes of tenant, made at at.
func appendN(t *testing.T, s donorsync.Store, tenant string, n int, at time.Time) {
	t.Helper()
	cs := make([]change.Change, n)
	for i := range cs {
		cs[i] = change.Change{ID: donorsync.NewID("ch"), Tenant: tenant, Kind: change.ContactsMerged,
			Key: fmt.Sprint("ct_", i), From: "ct_x", DeliveryID: "dl_1", At: at}
	}
	update(t, s, func(tx donorsync.Tx) error { return tx.AppendChanges(ctx(t), cs) })
}

// claimCursor claims a cursor, returning the error wrapped by the store.
func claimCursor(t *testing.T, s donorsync.Store, c change.Claim) (change.Cursor, error) {
	t.Helper()
	var cur change.Cursor
	err := s.Update(ctx(t), func(tx donorsync.Tx) error {
		var err error
		cur, err = tx.ClaimCursor(ctx(t), c)
		return err
	})
	return cur, err
}

func moveCursor(t *testing.T, s donorsync.Store, cur change.Cursor) error {
	t.Helper()
	return s.Update(ctx(t), func(tx donorsync.Tx) error { return tx.MoveCursor(ctx(t), cur) })
}
