package actblue_test

import (
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/fixtures"
)

// places puts hostile values where an ActBlue payload has them.
var places = fixtures.Places{
	Array:  func(s string) string { return `{"lineitems":[` + s + `]}` },
	Item:   `{"lineitemId":"1","amount":"1"}`,
	Amount: func(s string) string { return `{"lineitems":[{"lineitemId":"1","amount":` + s + `}]}` },
	Text: func(s string) string {
		return `{"donor":{"firstname":` + s + `},"lineitems":[{"lineitemId":"1","amount":"1"}]}`
	},
	Object:  func(s string) string { return `{"donor":{` + s + `},"lineitems":[{"lineitemId":"1","amount":"1"}]}` },
	Unknown: func(s string) string { return `{"x":` + s + `,"lineitems":[{"lineitemId":"1","amount":"1"}]}` },
}

// BenchmarkDecodeHostile decodes (Source.Decode: parse and map to
// events) the costliest body of each shape within 1 MiB, beside a normal
// 2.3 KB contribution.
func BenchmarkDecodeHostile(b *testing.B) {
	src := newSource(b)
	shapes := append([]fixtures.Shape{{Name: "normal", Body: fixture(b, "contribution.json")}}, fixtures.Hostile(places)...)
	for _, s := range shapes {
		b.Run(s.Name, func(b *testing.B) {
			b.SetBytes(int64(len(s.Body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = src.Decode(&donorsync.Delivery{Tenant: "t", Body: s.Body})
			}
		})
	}
}
