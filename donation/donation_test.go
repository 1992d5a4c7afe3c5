package donation_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func adj(kind donation.AdjustmentKind, amount string) donation.Adjustment {
	a := donation.Adjustment{Key: fmt.Sprint(kind, amount, rand.Int()), Kind: kind}
	if amount != "" {
		a.Amount = dec(amount)
	}
	return a
}

func TestDerive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		platform donation.Status
		adjs     []donation.Adjustment
		status   donation.Status
		refunded string
	}{
		{"no adjustments", "", nil, donation.Completed, "0"},
		{"pending at the platform", donation.Pending, nil, donation.Pending, "0"},
		{"full refund without amount", "", []donation.Adjustment{adj(donation.Refund, "")}, donation.Refunded, "25"},
		{"full refund with amount", "", []donation.Adjustment{adj(donation.Refund, "25.00")}, donation.Refunded, "25"},
		{"partial refunds accumulate", "", []donation.Adjustment{adj(donation.PartialRefund, "5"), adj(donation.PartialRefund, "2.50")}, donation.PartiallyRefunded, "7.5"},
		{"partial refunds reaching the amount", "", []donation.Adjustment{adj(donation.PartialRefund, "20"), adj(donation.PartialRefund, "5")}, donation.Refunded, "25"},
		{"refunds never exceed the amount", "", []donation.Adjustment{adj(donation.PartialRefund, "20"), adj(donation.PartialRefund, "20")}, donation.Refunded, "25"},
		{"negative refund amounts count as refunds", "", []donation.Adjustment{adj(donation.PartialRefund, "-5")}, donation.PartiallyRefunded, "5"},
		{"void wins", "", []donation.Adjustment{adj(donation.PartialRefund, "5"), adj(donation.Void, "")}, donation.Voided, "5"},
		{"chargeback", "", []donation.Adjustment{adj(donation.Chargeback, "25")}, donation.ChargedBack, "0"},
		{"chargeback reversed", "", []donation.Adjustment{adj(donation.Chargeback, "25"), adj(donation.ChargebackReversal, "25")}, donation.ChargebackReversed, "0"},
		{"ACH returned", "", []donation.Adjustment{adj(donation.ACHReturn, "25")}, donation.ACHReturned, "0"},
	}
	for _, tt := range tests {
		status, refunded := donation.Derive(tt.platform, dec("25"), tt.adjs)
		if status != tt.status || !refunded.Equal(dec(tt.refunded)) {
			t.Errorf("%s: %s, %s; want %s, %s", tt.name, status, refunded, tt.status, tt.refunded)
		}
		// Any order of the same adjustments gives the same result.
		for range 5 {
			shuffled := append([]donation.Adjustment(nil), tt.adjs...)
			rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			s2, r2 := donation.Derive(tt.platform, dec("25"), shuffled)
			if s2 != status || !r2.Equal(refunded) {
				t.Errorf("%s: order changes the result", tt.name)
			}
		}
	}
}

func TestCommitmentMergeOrderIndependent(t *testing.T) {
	t.Parallel()
	at := func(d int) time.Time { return time.Date(2021, 1, d, 0, 0, 0, 0, time.UTC) }
	obs := []donation.Commitment{
		{ExternalID: "c", Period: "monthly", Amount: dec("10.3"), StartedAt: at(3), LastChargedAt: at(3), SourceTime: at(3)},
		{ExternalID: "c", FailedAt: at(10), FailReason: "Declined", SourceTime: at(10)},
		{ExternalID: "c", LastChargedAt: at(12), SourceTime: at(12)},
		{ExternalID: "c", CancelledAt: at(17), CancelReason: "failure", Completed: 2, SourceTime: at(17)},
	}
	var want donation.Commitment
	for _, o := range obs {
		want.Merge(o)
	}
	if want.Status != donation.Cancelled || !want.FailedAt.Equal(at(10)) || !want.LastChargedAt.Equal(at(12)) || want.Completed != 2 {
		t.Fatalf("merged = %+v", want)
	}
	for range 30 {
		rand.Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] })
		var got donation.Commitment
		for _, o := range obs {
			got.Merge(o)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("order changes the commitment (-want +got):\n%s", diff)
		}
	}
	// Without the cancellation: a failure after the last charge is failed;
	// a charge after the failure is active again.
	failed := donation.Commitment{FailedAt: at(10), LastChargedAt: at(3)}
	if failed.Derive() != donation.Failed {
		t.Errorf("failure after the last charge: %s", failed.Derive())
	}
	failed.LastChargedAt = at(12)
	if failed.Derive() != donation.Active {
		t.Errorf("charge after the failure: %s", failed.Derive())
	}
}

func TestDonationMergeKeepsKnownValues(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d := donation.Donation{ExternalID: "1", Amount: dec("5"), Form: "a", ContactID: "ct_1", SourceTime: t1}
	d.Merge(donation.Donation{ExternalID: "1", OrderNumber: "AB1", ContactID: "ct_2", SourceTime: t1.Add(-time.Hour)})
	if d.OrderNumber != "AB1" || d.Form != "a" || !d.Amount.Equal(dec("5")) || d.ContactID != "ct_1" {
		t.Errorf("merged = %+v", d)
	}
	d.Merge(donation.Donation{Form: "b", SourceTime: t1.Add(time.Hour)})
	if d.Form != "b" || !d.SourceTime.Equal(t1.Add(time.Hour)) {
		t.Errorf("newer form not taken: %q", d.Form)
	}
}

func ExampleDerive() {
	adjs := []donation.Adjustment{
		{Key: "r1", Kind: donation.PartialRefund, Amount: decimal.RequireFromString("5.00")},
		{Key: "r2", Kind: donation.PartialRefund, Amount: decimal.RequireFromString("2.50")},
	}
	status, refunded := donation.Derive(donation.Completed, decimal.RequireFromString("25.00"), adjs)
	fmt.Println(status, refunded)
	// Output: partially_refunded 7.5
}

// Two observations of the same time that disagree merge to the same
// donation in either order: the greater value wins each field.
func TestDonationMergeTiesOrderIndependent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	a := donation.Donation{ExternalID: "1", OrderNumber: "AB1", Amount: dec("25"), RecipientName: "Friends of Ann",
		Net: decimal.NewNullDecimal(dec("24")), PaidAt: at, Refcodes: map[string]string{"refcode": "x"},
		Recurrence: donation.Recurrence{Sequence: 1, Valid: true}, PlatformStatus: donation.Completed, DeliveryID: "dl_a", SourceTime: at}
	b := donation.Donation{ExternalID: "1", OrderNumber: "AB1", Amount: dec("25.00"), RecipientName: "Ann for Congress",
		Net: decimal.NewNullDecimal(dec("23.50")), PaidAt: at.Add(time.Second), Refcodes: map[string]string{"refcode": "y"},
		Recurrence: donation.Recurrence{Sequence: 0, Valid: true}, PlatformStatus: donation.Pending, DeliveryID: "dl_b", SourceTime: at}
	var ab, ba donation.Donation
	ab.Merge(a)
	ab.Merge(b)
	ba.Merge(b)
	ba.Merge(a)
	if diff := cmp.Diff(ab, ba, cmp.Comparer(func(x, y decimal.Decimal) bool { return x.Equal(y) })); diff != "" {
		t.Fatalf("the order of two observations of one time changes the donation (-a,b +b,a):\n%s", diff)
	}
	if ab.RecipientName != "Friends of Ann" || ab.Refcodes["refcode"] != "y" || !ab.PaidAt.Equal(at.Add(time.Second)) || ab.Recurrence.Sequence != 1 {
		t.Errorf("merged = %+v; want the greater value of each field", ab)
	}
}

// The same holds for a commitment's fields that follow the newer
// observation.
func TestCommitmentMergeTiesOrderIndependent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	a := donation.Commitment{ExternalID: "c", Period: "monthly", Amount: dec("10"), CancelReason: "donor", SourceTime: at}
	b := donation.Commitment{ExternalID: "c", Period: "Monthly", Amount: dec("12"), CancelReason: "failure", SourceTime: at}
	var ab, ba donation.Commitment
	ab.Merge(a)
	ab.Merge(b)
	ba.Merge(b)
	ba.Merge(a)
	if diff := cmp.Diff(ab, ba, cmp.Comparer(func(x, y decimal.Decimal) bool { return x.Equal(y) })); diff != "" {
		t.Fatalf("the order of two observations of one time changes the commitment (-a,b +b,a):\n%s", diff)
	}
}
