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

// permutations calls fn with every order of 0..n-1.
func permutations(n int, fn func([]int)) {
	var walk func(order []int, left []int)
	walk = func(order, left []int) {
		if len(left) == 0 {
			fn(order)
			return
		}
		for i := range left {
			rest := append(append([]int(nil), left[:i]...), left[i+1:]...)
			walk(append(order, left[i]), rest)
		}
	}
	walk(nil, seq(n))
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

var equateDecimals = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

// A value keeps the time it was seen although a newer observation lacks
// it: a webhook's refcode, a refunded report's row without one a second
// later, and the paid report's row of that second with another, merge to
// the row's refcode in every order (not to the webhook's when the
// refunded row comes between).
func TestDonationMergeEveryOrder(t *testing.T) {
	t.Parallel()
	created := time.Date(2019, 6, 7, 19, 49, 32, 0, time.UTC)
	paid := created.Add(time.Second)
	obs := []donation.Donation{
		{ExternalID: "1", Amount: dec("50.0"), Form: "xyz-form", Refcodes: map[string]string{"refcode": "website", "refcode_email": "june-blast"}, SourceTime: created},
		{ExternalID: "1", Amount: dec("50.00"), SourceTime: paid},
		{ExternalID: "1", Amount: dec("50.00"), Refcodes: map[string]string{"refcode": "june-blast"}, Fees: decimal.NewNullDecimal(dec("2.04")), SourceTime: paid},
	}
	var want *donation.Donation
	permutations(len(obs), func(order []int) {
		var got donation.Donation
		for _, i := range order {
			got.Merge(obs[i].Clone())
		}
		if want == nil {
			want = &got
			return
		}
		if diff := cmp.Diff(*want, got, equateDecimals); diff != "" {
			t.Fatalf("order %v gives another donation (-first +this):\n%s", order, diff)
		}
	})
	if want.Refcodes["refcode"] != "june-blast" || want.Refcodes["refcode_email"] != "june-blast" || want.Form != "xyz-form" || !want.SourceTime.Equal(paid) {
		t.Errorf("merged = refcodes %v, form %q, source time %v; want the newest value of each field", want.Refcodes, want.Form, want.SourceTime)
	}
	if !want.Seen["form"].Equal(created) || !want.Seen["refcodes.refcode_email"].Equal(created) || len(want.Seen) != 2 {
		t.Errorf("Seen = %v; want the times of the form and email refcode, seen before the rest", want.Seen)
	}
}

// Observations with every field known or not, of a few times (ties
// included), merge to the same donation and commitment in every order.
func TestMergeEveryOrderRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	at := func() time.Time { return time.Date(2024, 1, 1+r.IntN(3), 0, 0, 0, 0, time.UTC) }
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	for range 200 {
		var ds []donation.Donation
		var cs []donation.Commitment
		for range 4 {
			d := donation.Donation{ExternalID: "1", OrderNumber: pick("", "A", "B"), Form: pick("", "f", "g"),
				Refcodes: map[string]string{"refcode": pick("", "x", "y")}, PlatformStatus: donation.Status(pick("", "pending", "completed")),
				Recurrence: donation.Recurrence{Sequence: r.IntN(2), Valid: r.IntN(2) == 0}, SourceTime: at()}
			if r.IntN(2) == 0 {
				d.Amount = dec(pick("10", "12"))
			}
			ds = append(ds, d)
			cs = append(cs, donation.Commitment{ExternalID: "c", Period: pick("", "monthly", "weekly"), FailReason: pick("", "Declined", "Expired"),
				CancelReason: pick("", "donor"), SourceTime: at()})
		}
		var wantD *donation.Donation
		var wantC *donation.Commitment
		permutations(4, func(order []int) {
			var d donation.Donation
			var c donation.Commitment
			for _, i := range order {
				d.Merge(ds[i].Clone())
				c.Merge(cs[i].Clone())
			}
			if wantD == nil {
				wantD, wantC = &d, &c
				return
			}
			if diff := cmp.Diff(*wantD, d, equateDecimals); diff != "" {
				t.Fatalf("observations %+v: order %v gives another donation (-first +this):\n%s", ds, order, diff)
			}
			if diff := cmp.Diff(*wantC, c, equateDecimals); diff != "" {
				t.Fatalf("observations %+v: order %v gives another commitment (-first +this):\n%s", cs, order, diff)
			}
		})
	}
}
