package donation_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

func TestValidCurrency(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"USD", "EUR", "CAD", "GBP", "JPY", "XCG", "ZWG", "CHF"} {
		if !donation.ValidCurrency(code) {
			t.Errorf("ValidCurrency(%q) = false", code)
		}
	}
	for _, code := range []string{"", "usd", "Usd", "US", "USDD", "BTC", "XXX", "XTS", "HRK", "$", "U\x00D"} {
		if donation.ValidCurrency(code) {
			t.Errorf("ValidCurrency(%q) = true", code)
		}
	}
}

// gift returns an event that is valid, with every part present.
func gift() donation.Event {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return donation.Event{
		At:          at,
		Contact:     &contact.Contact{Email: "a@example.org", Emails: []string{"a@example.org"}, Phones: []contact.Phone{{Number: "+12025550100"}}},
		Donation:    &donation.Donation{ExternalID: "g1", Amount: dec("1"), Currency: "USD", PaidAt: at},
		Adjustments: []donation.Adjustment{{Key: "r1", Kind: donation.Refund, Amount: dec("-1"), At: at}},
		Commitment:  &donation.Commitment{ExternalID: "c1"}, // amount and currency not given
		Activities:  []contact.Activity{{Key: "a1", At: at}},
	}
}

func TestValidateBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*donation.Event)
		field  string // "" when valid
	}{
		{"valid", func(*donation.Event) {}, ""},
		{"id at the bound", func(e *donation.Event) { e.Donation.ExternalID = strings.Repeat("i", donation.MaxIDBytes) }, ""},
		{"id over the bound", func(e *donation.Event) { e.Donation.ExternalID = strings.Repeat("i", donation.MaxIDBytes+1) }, "Donation.ExternalID"},
		{"email at the bound", func(e *donation.Event) { e.Contact.Emails[0] = strings.Repeat("e", donation.MaxEmailBytes) }, ""},
		{"email over the bound", func(e *donation.Event) { e.Contact.Emails[0] = strings.Repeat("e", donation.MaxEmailBytes+1) }, "Contact.Emails[0]"},
		{"phone over the bound", func(e *donation.Event) { e.Contact.Phone = strings.Repeat("1", donation.MaxPhoneBytes+1) }, "Contact.Phone"},
		{"zero time", func(e *donation.Event) { e.At = time.Time{} }, ""},
		{"year 9999", func(e *donation.Event) { e.At = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) }, ""},
		{"year 10000", func(e *donation.Event) { e.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "At"},
		{"year 0", func(e *donation.Event) { e.Donation.PaidAt = time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC) }, "Donation.PaidAt"},
		{"offset of a day", func(e *donation.Event) { e.At = e.At.In(time.FixedZone("", 24*60*60)) }, "At"},
		{"settled", func(e *donation.Event) { e.Donation.SettledAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Donation.SettledAt"},
		{"failed", func(e *donation.Event) { e.Commitment.FailedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Commitment.FailedAt"},
		{"charged", func(e *donation.Event) { e.Commitment.LastChargedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Commitment.LastChargedAt"},
		{"contact updated", func(e *donation.Event) { e.Contact.UpdatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Contact.UpdatedAt"},
		{"contact field seen", func(e *donation.Event) {
			e.Contact.Seen = map[string]time.Time{"email": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
		}, `Contact.Seen["email"]`},
		{"donation field seen", func(e *donation.Event) {
			e.Donation.Seen = map[string]time.Time{"form": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
		}, `Donation.Seen["form"]`},
		{"commitment field seen", func(e *donation.Event) {
			e.Commitment.Seen = map[string]time.Time{"period": time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}
		}, `Commitment.Seen["period"]`},
		{"positive refund", func(e *donation.Event) { e.Adjustments[0].Amount = dec("1") }, ""},
		{"negative commitment", func(e *donation.Event) { e.Commitment.Amount = dec("-1") }, "Commitment.Amount"},
		{"commitment in BTC", func(e *donation.Event) { e.Commitment.Currency = "BTC" }, "Commitment.Currency"},
		{"adjustment of another donation", func(e *donation.Event) { e.Adjustments[0].DonationID = "g0" }, ""},
		{"no activity key", func(e *donation.Event) { e.Activities[0].Key = "" }, "Activities[0].Key"},
		{"no commitment id", func(e *donation.Event) { e.Commitment.ExternalID = "" }, "Commitment.ExternalID"},
		{"no adjustment key", func(e *donation.Event) { e.Adjustments[0].Key = "" }, "Adjustments[0].Key"},
	}
	for _, tt := range tests {
		ev := gift()
		tt.change(&ev)
		err := ev.Validate()
		var fe *donation.FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: Validate = %v, want nil", tt.name, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("%s: Validate = %v, want a *FieldError for %s", tt.name, err, tt.field)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	ev := gift()
	for b.Loop() {
		if err := ev.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
