package actionnetwork_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/internal/fixtures"
)

// places puts hostile values where an Action Network payload has them.
var places = fixtures.Places{
	Array: func(s string) string { return `[` + s + `]` },
	Item:  `{"osdi:donation":{"identifiers":["action_network:1"],"amount":"1"}}`,
	Amount: func(s string) string {
		return `[{"osdi:donation":{"identifiers":["action_network:1"],"amount":` + s + `}}]`
	},
	Text:    func(s string) string { return `[{"osdi:signature":{"person":{"given_name":` + s + `}}}]` },
	Object:  func(s string) string { return `[{"osdi:signature":{"person":{` + s + `}}}]` },
	Unknown: func(s string) string { return `[{"osdi:signature":{"x":` + s + `}}]` },
}

// BenchmarkDecodeHostile decodes (Source.Decode: parse and map to
// events) the costliest body of each shape within 1 MiB, beside a normal
// donation.
func BenchmarkDecodeHostile(b *testing.B) {
	src := newSource(b)
	shapes := append([]fixtures.Shape{{Name: "normal", Body: fixture(b, "donation.json")}}, fixtures.Hostile(places)...)
	fixtures.BenchDecode(b, src, "acme", shapes)
}

// Each refused body is an error naming the field and the budget or the
// form expected, and Source.Decode makes it ErrInvalid (a quarantined
// delivery).
func TestParseRefusesHostileBodies(t *testing.T) {
	t.Parallel()
	src := newSource(t)
	for body, want := range map[string]string{
		`[` + strings.Repeat(`{},`, 1000) + `{}]`:                                                                           "top level: more than 1000 elements",
		`[{"osdi:donation":{"identifiers":["action_network:1"],"amount":"50.0","amount":"7777.00"}}]`:                       `field [0].osdi:donation.amount: invalid value "amount": want each key at most once`,
		`[{"osdi:donation":{"identifiers":["action_network:7400\u00000004"],"amount":"1"}}]`:                                "field [0].osdi:donation.identifiers[0]: invalid value",
		`[{"osdi:donation":{"action_network:person_id":1.5e3,"amount":"1"}}]`:                                               "field [0].osdi:donation.action_network:person_id: invalid value 1.5e3: want an id",
		`[{"osdi:donation":{"identifiers":["action_network:1"],"amount":"1"},"idempotency_key":"k\u0000"}]`:                 "field [0].idempotency_key: invalid value",
		`[{"osdi:donation":{"identifiers":["action_network:1"],"amount":"1"},"idempotency_key":"k","idempotency_key":"j"}]`: "field [0].idempotency_key: invalid value",
	} {
		_, err := actionnetwork.Parse([]byte(body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.50s…): %v, want an error containing %q", body, err, want)
		}
		if _, err := src.Decode(&donorsync.Delivery{Tenant: "acme", Body: []byte(body)}); !errors.Is(err, donorsync.ErrInvalid) {
			t.Errorf("Decode(%.50s…): %v, want ErrInvalid", body, err)
		}
	}
}

// A resource without identifiers takes its id from the last segment of
// its self link, in one spelling: a link with NUL is refused, and one
// that ends with a slash gives no id (never the segment before it).
func TestLinkIDsHaveOneSpelling(t *testing.T) {
	t.Parallel()
	body := func(self string) []byte {
		return []byte(`[{"osdi:donation":{"amount":"1","_links":{"self":{"href":"` + self + `"}}}}]`)
	}
	if _, err := actionnetwork.Parse(body(`https://actionnetwork.org/api/v2/donations/7400\u00000004`)); err == nil ||
		!strings.Contains(err.Error(), "href") {
		t.Errorf("a link with NUL: %v; want an error naming it", err)
	}
	for self, want := range map[string]string{
		"https://actionnetwork.org/api/v2/donations/74000004":  "74000004",
		"https://actionnetwork.org/api/v2/donations/74000004/": "",
		"https://actionnetwork.org/api/v2/donations/":          "",
	} {
		p, err := actionnetwork.Parse(body(self))
		if err != nil {
			t.Fatal(err)
		}
		events, err := p.Events()
		got := ""
		if err == nil && len(events) == 1 && events[0].Donation != nil {
			got = events[0].Donation.ExternalID
		}
		if got != want {
			t.Errorf("self %s: donation id %q (%v); want %q", self, got, err, want)
		}
	}
}
