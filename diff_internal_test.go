package donorsync

import (
	"slices"
	"testing"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/shopspring/decimal"
)

// TestChangedFields holds what counts as a change of a record: times as
// instants, amounts as numbers, nil and empty alike; each field named as
// in JSON.
func TestChangedFields(t *testing.T) {
	at := time.Date(2024, 6, 7, 19, 49, 33, 0, time.UTC)
	d := donation.Donation{Amount: decimal.RequireFromString("25.00"), PaidAt: at,
		Net: decimal.NewNullDecimal(decimal.RequireFromString("23.7")), Seen: map[string]time.Time{"form": at}}
	same := d.Clone()
	same.Amount = decimal.RequireFromString("25")
	same.PaidAt = at.In(time.FixedZone("EDT", -4*3600))
	same.Net = decimal.NewNullDecimal(decimal.RequireFromString("23.70"))
	same.Seen = map[string]time.Time{"form": at.In(time.FixedZone("X", 3600))}
	same.UpdatedAt = at.Add(time.Hour)
	if got := changedFields(d, same, "UpdatedAt"); got != nil {
		t.Errorf("the same donation, written otherwise: changed %q", got)
	}
	other := d.Clone()
	other.Amount, other.FECID, other.Refcodes = decimal.RequireFromString("25.01"), "C1", map[string]string{"a": "b"}
	other.Seen["form"] = at.Add(time.Second)
	if got, want := changedFields(d, other), []string{"amount", "fec_id", "refcodes", "seen"}; !slices.Equal(got, want) {
		t.Errorf("changed %q, want %q", got, want)
	}
	c := contact.Contact{FirstName: "Jo", Emails: []string{}}
	c2 := contact.Contact{FirstName: "Jo", Phones: []contact.Phone{{Number: "+15105016227"}}}
	if got, want := changedFields(c, c2), []string{"phones"}; !slices.Equal(got, want) {
		t.Errorf("contact: changed %q, want %q", got, want)
	}
}

func BenchmarkChangedFields(b *testing.B) {
	at := time.Date(2024, 6, 7, 19, 49, 33, 0, time.UTC)
	d := donation.Donation{Amount: decimal.RequireFromString("25.00"), PaidAt: at, Refcodes: map[string]string{"refcode": "x"},
		Seen: map[string]time.Time{"form": at}}
	e := d.Clone()
	for b.Loop() {
		changedFields(d, e, "UpdatedAt")
	}
}
