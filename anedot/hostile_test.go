package anedot_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/internal/fixtures"
)

// places puts hostile values where an Anedot payload has them.
var places = fixtures.Places{
	Array: func(s string) string {
		return `{"event":"submission_created","payload":{"id":"s1","donations":[` + s + `]}}`
	},
	Item: `{"id":"1","gross_amount":"1"}`,
	Amount: func(s string) string {
		return `{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":` + s + `}}`
	},
	Text: func(s string) string {
		return `{"event":"donation_completed","payload":{"donation":{"id":"d1"},"first_name":` + s + `}}`
	},
	Object: func(s string) string { return `{"event":"donation_completed","payload":{` + s + `}}` },
	Unknown: func(s string) string {
		return `{"event":"donation_completed","payload":{"donation":{"id":"d1"},"x":` + s + `}}`
	},
}

// BenchmarkDecodeHostile decodes (Source.Decode: parse and map to
// events) the costliest body of each shape within 1 MiB, beside a normal
// donation_completed.
func BenchmarkDecodeHostile(b *testing.B) {
	src := newSource(b, anedot.Options{})
	shapes := append([]fixtures.Shape{{Name: "normal", Body: fixture(b, "donation_completed.json")}}, fixtures.Hostile(places)...)
	shapes = append(shapes, fixtures.Shape{Name: "copies", Body: []byte(copies(1000, 999))})
	fixtures.BenchDecode(b, src, "acme", shapes)
}

// Each refused body is an error naming the field and the budget or the
// form expected, and Source.Decode makes it ErrInvalid (a quarantined
// delivery).
func TestParseRefusesHostileBodies(t *testing.T) {
	t.Parallel()
	src := newSource(t, anedot.Options{})
	for body, want := range map[string]string{
		`{"event":"donation_completed","event":"donation_voided","payload":{"donation":{"id":"d1"}}}`:                             `field event: invalid value "event": want each key at most once`,
		`{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":"1","amount_in_dollars":"2"}}`:       `field payload.amount_in_dollars: invalid value "amount_in_dollars"`,
		`{"event":"donation_completed","payload":{"donation":{"id":1.5e3},"amount_in_dollars":"1"}}`:                              "field payload.donation.id: invalid value 1.5e3: want an id",
		`{"event":"donation_completed","payload":{"donation":{"id":"d\u00001"},"amount_in_dollars":"1"}}`:                         "field payload.donation.id: invalid value",
		`{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":"` + strings.Repeat("9", 41) + `"}}`: "field payload.amount_in_dollars: more than 40 digits",
		`{"event":"submission_created","payload":{"id":"s","donations":[` + strings.Repeat(`{},`, 1000) + `{}]}}`:                 "field payload.donations: more than 1000 elements",
	} {
		_, err := anedot.Parse([]byte(body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.50s…): %v, want an error containing %q", body, err, want)
		}
		if _, err := src.Decode(&donorsync.Delivery{Tenant: "acme", Body: []byte(body)}); !errors.Is(err, donorsync.ErrInvalid) {
			t.Errorf("Decode(%.50s…): %v, want ErrInvalid", body, err)
		}
	}
}

// copies is a small submission whose donations would each carry a copy of
// many custom fields.
func copies(donations, fields int) string {
	var custom, ds []string
	for i := range fields {
		custom = append(custom, fmt.Sprintf(`"c%d":"x"`, i))
	}
	for i := range donations {
		ds = append(ds, fmt.Sprintf(`{"id":"%d","gross_amount":"1"}`, i+1))
	}
	return `{"event":"submission_created","payload":{"id":"s1","custom_field_responses":{` + strings.Join(custom, ",") +
		`},"donations":[` + strings.Join(ds, ",") + `]}}`
}

// A submission whose custom fields would be copied into each donation's
// event past the budget of values is refused before they are copied; one
// within it decodes.
func TestEventsRefuseCopiesPastTheBudget(t *testing.T) {
	t.Parallel()
	src := newSource(t, anedot.Options{})
	_, err := src.Decode(&donorsync.Delivery{Tenant: "t", Body: []byte(copies(1000, 999))})
	if !errors.Is(err, donorsync.ErrInvalid) || !strings.Contains(err.Error(), "field payload.donations: more than 100000 values once the custom fields are copied") {
		t.Errorf("1,000 donations × 999 custom fields: %v; want the budget of values named", err)
	}
	dec, err := src.Decode(&donorsync.Delivery{Tenant: "t", Body: []byte(copies(100, 400))})
	if err != nil || len(dec.Events) != 100 || len(dec.Events[99].Contact.Custom) != 400 {
		t.Errorf("100 donations × 400 custom fields: %v, %d events", err, len(dec.Events))
	}
}
