package actblue_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
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
	shapes = append(shapes, fixtures.Shape{Name: "copies", Body: []byte(copies(1000, 999))})
	fixtures.BenchDecode(b, src, "t", shapes)
}

// Each refused body is an error naming the field and the budget or the
// form expected, and Source.Decode makes it ErrInvalid (a quarantined
// delivery).
func TestParseRefusesHostileBodies(t *testing.T) {
	t.Parallel()
	src := newSource(t)
	for body, want := range map[string]string{
		`{"lineitems":[` + strings.Repeat(`{},`, 1000) + `{}]}`:                            "field lineitems: more than 1000 elements",
		`{"lineitems":[{"lineitemId":"1","amount":"50.0","amount":"7777.00"}]}`:            `field lineitems[0].amount: invalid value "amount": want each key at most once`,
		`{"lineitems":[{"lineitemId":99999999.0,"amount":"1"}]}`:                           "field lineitems[0].lineitemId: invalid value 99999999.0: want an id",
		`{"lineitems":[{"lineitemId":1.5e3,"amount":"1"}]}`:                                "field lineitems[0].lineitemId: invalid value 1.5e3: want an id",
		`{"lineitems":[{"lineitemId":"7400\u00000004","amount":"1"}]}`:                     "field lineitems[0].lineitemId: invalid value",
		`{"contribution":{"orderNumber":"AB\u0000"},"lineitems":[]}`:                       "field contribution.orderNumber: invalid value",
		`{"lineitems":[{"lineitemId":"1","amount":` + strings.Repeat("9", 900_000) + `}]}`: "field lineitems[0].amount: more than 40 digits",
	} {
		_, err := actblue.Parse([]byte(body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.50s…): %v, want an error containing %q", body, err, want)
		}
		if _, err := src.Decode(&donorsync.Delivery{Tenant: "t", Body: []byte(body)}); !errors.Is(err, donorsync.ErrInvalid) {
			t.Errorf("Decode(%.50s…): %v, want ErrInvalid", body, err)
		}
	}
}

// An id sent as a number or as a string is one donation; a key in
// another case is not the amount.
func TestParseReadsOneSpelling(t *testing.T) {
	t.Parallel()
	a, errA := actblue.Parse([]byte(`{"lineitems":[{"lineitemId":99999999,"amount":"50.0","AMOUNT":"7777.00"}]}`))
	b, errB := actblue.Parse([]byte(`{"lineitems":[{"lineitemId":"99999999","amount":"50.0"}]}`))
	if errA != nil || errB != nil || a.Key() != b.Key() || a.LineItems[0].Amount.Amount.String() != "50" {
		t.Errorf("keys %q and %q, amount %v (%v, %v)", a.Key(), b.Key(), a.LineItems[0].Amount, errA, errB)
	}
}

// copies is a small body whose line items would each carry a copy of
// many refcodes and custom fields.
func copies(items, fields int) string {
	var refcodes, custom, lineitems []string
	for i := range fields {
		refcodes = append(refcodes, fmt.Sprintf(`"r%d":"x"`, i))
		custom = append(custom, fmt.Sprintf(`{"label":"c%d","answer":"x"}`, i))
	}
	for i := range items {
		lineitems = append(lineitems, fmt.Sprintf(`{"lineitemId":"%d","amount":"1"}`, i+1))
	}
	return `{"contribution":{"refcodes":{` + strings.Join(refcodes, ",") + `},"customFields":[` + strings.Join(custom, ",") +
		`]},"lineitems":[` + strings.Join(lineitems, ",") + `]}`
}

// A body whose parts would be copied into each line item past the budget
// of values is refused before they are copied; one within it decodes.
func TestEventsRefuseCopiesPastTheBudget(t *testing.T) {
	t.Parallel()
	src := newSource(t)
	_, err := src.Decode(&donorsync.Delivery{Tenant: "t", Body: []byte(copies(1000, 999))})
	if !errors.Is(err, donorsync.ErrInvalid) || !strings.Contains(err.Error(), "field lineitems: more than 100000 values once the refcodes and custom fields are copied") {
		t.Errorf("1,000 line items × 1,998 fields: %v; want the budget of values named", err)
	}
	dec, err := src.Decode(&donorsync.Delivery{Tenant: "t", Body: []byte(copies(100, 400))})
	if err != nil || len(dec.Events) != 100 || len(dec.Events[99].Donation.Refcodes) != 400 {
		t.Errorf("100 line items × 800 fields: %v, %d events", err, len(dec.Events))
	}
}
