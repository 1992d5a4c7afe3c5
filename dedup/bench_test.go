package dedup_test

import (
	"testing"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
)

// BenchmarkKeys measures the default keys of a donor with an email, two
// phones (one a placeholder) and a donor id, the work done per contact of
// every delivery.
func BenchmarkKeys(b *testing.B) {
	c := contact.Contact{Email: "jane@example.org", Phone: "(510) 501-6227",
		Phones:  []contact.Phone{{Raw: "(000) 000-0000"}},
		Sources: []contact.Source{{Provider: "anedot", DonorID: "d9"}}}
	c.Normalize()
	b.ReportAllocs()
	for b.Loop() {
		if len(dedup.Keys(c)) == 0 {
			b.Fatal("no keys")
		}
	}
}
