package actionnetwork_test

import (
	"testing"

	"github.com/donorsync/donorsync"
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
	for _, s := range shapes {
		b.Run(s.Name, func(b *testing.B) {
			b.SetBytes(int64(len(s.Body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = src.Decode(&donorsync.Delivery{Tenant: "acme", Body: s.Body})
			}
		})
	}
}
