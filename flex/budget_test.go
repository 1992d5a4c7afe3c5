package flex_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/flex"
)

// item is a line item as a provider reads one.
type item struct {
	ID     flex.ID    `json:"lineitemId"`
	Amount flex.Money `json:"amount"`
}

var itemNames = flex.NewNames("lineitemId", "amount")

func (it *item) decode(d *flex.Decoder) error {
	return d.Object(itemNames, func(d *flex.Decoder, name string) error {
		if name == "lineitemId" {
			return d.ID(&it.ID)
		}
		return d.Money(&it.Amount)
	})
}

// body is a delivery as a provider reads one.
type body struct {
	LineItems []item `json:"lineitems"`
	Name      flex.String
}

var bodyNames = flex.NewNames("lineitems", "name")

func parse(data []byte, limits flex.Limits) (*body, error) {
	var b body
	d := flex.NewDecoder(data)
	if limits != (flex.Limits{}) {
		d.Limits = limits
	}
	err := d.Object(bodyNames, func(d *flex.Decoder, name string) error {
		if name == "name" {
			return d.String(&b.Name)
		}
		return flex.Slice(d, &b.LineItems, (*item).decode)
	})
	if err == nil {
		err = d.End()
	}
	return &b, err
}

func items(n int, elem string) string {
	return `{"lineitems":[` + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + `]}`
}

func nested(n int) string { return `{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}` }

func members(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i) + `":0`)
	}
	return `{"x":{` + b.String() + `}}`
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// Each budget, and each refused spelling, is an error naming the field
// and the budget or the form expected; the body just within is read.
func TestDecoderBudgetsAndCanonicalForms(t *testing.T) {
	t.Parallel()
	nines := func(n int) string { return strings.Repeat("9", n) }
	tests := []struct {
		name, in string
		limits   flex.Limits
		wantErr  string // "" for none
	}{
		{"1000 line items", items(1000, `{}`), flex.Limits{}, ""},
		{"1001 line items", items(1001, `{}`), flex.Limits{}, "field lineitems: more than 1000 elements"},
		{"elements set lower", items(3, `{}`), flex.Limits{Elements: 2}, "field lineitems: more than 2 elements"},
		{"40 digits", items(1, `{"amount":`+nines(40)+`}`), flex.Limits{}, ""},
		{"41 digits", items(1, `{"amount":`+nines(41)+`}`), flex.Limits{}, "field lineitems[0].amount: more than 40 digits"},
		{"900,000 digits", items(1, `{"amount":`+nines(900_000)+`}`), flex.Limits{}, "field lineitems[0].amount: more than 40 digits"},
		{"41 digits in a string", items(1, `{"amount":"`+nines(41)+`"}`), flex.Limits{}, "field lineitems[0].amount: more than 40 digits"},
		{"41 digits with a fraction", items(1, `{"amount":1.`+nines(40)+`}`), flex.Limits{}, "field lineitems[0].amount: more than 40 digits"},
		{"41 digits skipped", `{"x":` + nines(41) + `}`, flex.Limits{}, "field x: more than 40 digits"},
		{"64 KiB string", `{"name":"` + strings.Repeat("a", 64<<10) + `"}`, flex.Limits{}, ""},
		{"64 KiB + 1 string", `{"name":"` + strings.Repeat("a", 64<<10+1) + `"}`, flex.Limits{}, "field name: more than 65536 bytes in a string"},
		{"long escaped string skipped", `{"x":"` + strings.Repeat(`\u00e9`, 20000) + `"}`, flex.Limits{}, "field x: more than 65536 bytes in a string"},
		{"64 levels", nested(63), flex.Limits{}, ""},
		{"65 levels", nested(64), flex.Limits{}, "more than 64 levels of nesting"},
		{"1000 keys", members(1000), flex.Limits{}, ""},
		{"1001 keys", members(1001), flex.Limits{}, "field x: more than 1000 keys"},
		{"values", `{"x":[` + strings.Repeat(`[0,0,0,0,0,0,0,0,0],`, 200) + `0]}`, flex.Limits{Values: 1000}, "more than 1000 values"},
		{"duplicate key", items(1, `{"amount":"50.0","amount":"7777.00"}`), flex.Limits{}, "field lineitems[0].amount: invalid value \"amount\": want each key at most once in an object"},
		{"duplicate key escaped", items(1, `{"amount":"50.0","\u0061mount":"7777.00"}`), flex.Limits{}, "field lineitems[0].amount: invalid value \"\\u0061mount\""},
		{"duplicate key skipped", `{"x":{"a":1,"b":[],"a":2}}`, flex.Limits{}, "field x.a: invalid value \"a\": want each key at most once"},
		{"duplicate in a large object", members(30)[:len(members(30))-2] + `,"k3":0}}`, flex.Limits{}, ""},
		{"duplicate after many keys", members(30)[:len(members(30))-2] + `,"kxxxd3":0}}`, flex.Limits{}, "field x.kxxxd3: invalid value"},
		{"case variant", items(1, `{"amount":"50.0","AMOUNT":"7777.00"}`), flex.Limits{}, ""},
		{"id as a number", items(1, `{"lineitemId":99999999}`), flex.Limits{}, ""},
		{"id as a string", items(1, `{"lineitemId":"99999999"}`), flex.Limits{}, ""},
		{"id with a fraction", items(1, `{"lineitemId":99999999.0}`), flex.Limits{}, "field lineitems[0].lineitemId: invalid value 99999999.0: want an id: a whole number"},
		{"id with an exponent", items(1, `{"lineitemId":1.5e3}`), flex.Limits{}, "field lineitems[0].lineitemId: invalid value 1.5e3: want an id"},
		{"id negative", items(1, `{"lineitemId":-1}`), flex.Limits{}, "field lineitems[0].lineitemId: invalid value -1: want an id"},
		{"id with NUL", items(1, `{"lineitemId":"7400\u00000004"}`), flex.Limits{}, "field lineitems[0].lineitemId: invalid value \"7400\\u00000004\": want an id"},
		{"id with invalid UTF-8", items(1, "{\"lineitemId\":\"7400\xff0004\"}"), flex.Limits{}, "field lineitems[0].lineitemId: invalid value"},
		{"id with a lone surrogate", items(1, `{"lineitemId":"74\ud800"}`), flex.Limits{}, "field lineitems[0].lineitemId: invalid value"},
		{"id with spaces", items(1, `{"lineitemId":" 1"}`), flex.Limits{}, "field lineitems[0].lineitemId: invalid value"},
		{"id as a boolean", items(1, `{"lineitemId":true}`), flex.Limits{}, "field lineitems[0].lineitemId: invalid value true"},
		{"id with an inner space", items(1, `{"lineitemId":"AB 1"}`), flex.Limits{}, ""},
		{"id in Unicode", items(1, `{"lineitemId":"é1"}`), flex.Limits{}, ""},
	}
	for _, tt := range tests {
		_, err := parse([]byte(tt.in), tt.limits)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}

// The same line item id sent as a number or a string is one id; what
// reads the keys exactly keeps the amount written as "amount".
func TestDecoderReadsOneSpelling(t *testing.T) {
	t.Parallel()
	a, errA := parse([]byte(items(1, `{"lineitemId":99999999}`)), flex.Limits{})
	b, errB := parse([]byte(items(1, `{"lineitemId":"99999999"}`)), flex.Limits{})
	if errA != nil || errB != nil || a.LineItems[0].ID != b.LineItems[0].ID {
		t.Errorf("ids %+v (%v) and %+v (%v), want one", a.LineItems, errA, b.LineItems, errB)
	}
	c, err := parse([]byte(items(1, `{"amount":"50.0","AMOUNT":"7777.00"}`)), flex.Limits{})
	if err != nil || c.LineItems[0].Amount.Amount.String() != "50" {
		t.Errorf("amount %+v (%v), want 50", c.LineItems, err)
	}
}

// Unmarshal, through encoding/json, refuses what a Decoder refuses.
func TestUnmarshalKeepsBudgetsAndRefusesDuplicates(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		items(1001, `{}`): "field lineitems: more than 1000 elements",
		items(1, `{"amount":"50.0","amount":"7777.00"}`):          "field lineitems[0].amount: invalid value \"amount\"",
		items(1, `{"lineitemId":1.5e3}`):                          "field lineitems.lineitemId: invalid value 1.5e3: want an id",
		items(1, `{"amount":"`+strings.Repeat("9", 900_000)+`"}`): "field lineitems[0].amount: more than 65536 bytes in a string",
	} {
		var b body
		if err := flex.Unmarshal([]byte(in), &b); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Unmarshal(%.60s…): %v, want an error containing %q", in, err, want)
		}
	}
}

// A string with NUL or invalid UTF-8 is refused, not cleaned into the
// spelling of another value.
func TestStringRefusesNULAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{
		`"a\u0000b@example.org"`: false,
		"\"a\xffb\"":             false,
		`"a\u00e9b"`:             true,
		`" José "`:               true,
		`"\ud800"`:               true, // a lone surrogate: encoding/json's U+FFFD, as sent
	} {
		var v struct{ S flex.String }
		err := flex.Unmarshal([]byte(`{"S":`+in+`}`), &v)
		var fe *flex.Error
		if ok != (err == nil) || (err != nil && (!errors.As(err, &fe) || fe.Field != "S")) {
			t.Errorf("%s: %v (value %q); want accepted %v, or an error naming S", in, err, v.S.Value, ok)
		}
	}
}
