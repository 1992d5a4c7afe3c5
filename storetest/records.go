package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

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
			Seen: map[string]time.Time{"form": ts("2019-06-07T19:49:31.000001Z"), "refcodes.refcode": ts("2019-06-07T19:49:30Z")},
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
		Seen: map[string]time.Time{"period": ts("2021-01-03T12:55:10.000001Z")},
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
