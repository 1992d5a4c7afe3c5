package anedot_test

import (
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
