package sqlstore

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/shopspring/decimal"
)

// jsonKeys returns the JSON names of the fields of the struct type t.
func jsonKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = t.Field(i).Name // untagged: a Go name, which the check below refuses
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Every field of a record is stored: in the column named as its JSON
// key, or in the data column under that key (an address in the columns
// of its parts), and nowhere twice.
func TestEveryFieldStoredOnce(t *testing.T) {
	address := map[string]string{"address_line1": "address", "address_line2": "address", "city": "address",
		"state": "address", "postal_code": "address", "country": "address"}
	for _, tt := range []struct {
		record reflect.Type
		table  recordTable
		data   reflect.Type // nil: no data column
	}{
		{reflect.TypeFor[contact.Contact](), contactsTable, reflect.TypeFor[contactData]()},
		{reflect.TypeFor[contact.Activity](), activitiesTable, nil},
		{reflect.TypeFor[donation.Donation](), donationsTable, reflect.TypeFor[donationData]()},
		{reflect.TypeFor[donation.Adjustment](), adjustmentsTable, nil},
		{reflect.TypeFor[donation.Commitment](), commitmentsTable, reflect.TypeFor[commitmentData]()},
	} {
		var stored []string
		for _, c := range tt.table.cols {
			switch {
			case c == "data" && tt.data != nil:
				stored = append(stored, jsonKeys(tt.data)...)
			case address[c] != "" && tt.record == reflect.TypeFor[contact.Contact]():
				stored = append(stored, address[c])
			default:
				stored = append(stored, c)
			}
		}
		slices.Sort(stored)
		stored = slices.Compact(stored)
		if want := jsonKeys(tt.record); !slices.Equal(stored, want) {
			t.Errorf("%s: table %s stores %q; want its JSON keys %q", tt.record, tt.table.name, stored, want)
		}
	}
}

func TestTimeText(t *testing.T) {
	text := &Dialect{TimeText: true}
	for _, tt := range []struct {
		in   time.Time
		want any
	}{
		{time.Time{}, nil},
		{time.Date(2024, 6, 7, 19, 49, 33, 1000, time.UTC), "2024-06-07 19:49:33.000001"},
		{time.Date(2024, 6, 7, 21, 49, 33, 123456789, time.FixedZone("", 2*60*60)), "2024-06-07 19:49:33.123456"},
		{time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), "0001-01-01 00:00:01.000000"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), "9999-12-31 23:59:59.999999"},
	} {
		got := text.timeArg(tt.in)
		if got != tt.want {
			t.Errorf("timeArg(%v) = %v, want %v", tt.in, got, tt.want)
		}
		var back timeCol
		if err := back.Scan(got); err != nil || !time.Time(back).Equal(tt.in.Truncate(time.Microsecond)) {
			t.Errorf("Scan(%v) = %v, %v; want %v", got, time.Time(back), err, tt.in)
		}
	}
	if got := (&Dialect{}).timeArg(time.Date(2024, 6, 7, 21, 0, 0, 0, time.FixedZone("", 2*60*60))); got != time.Date(2024, 6, 7, 19, 0, 0, 0, time.UTC) {
		t.Errorf("timeArg without TimeText = %v, want the time in UTC", got)
	}
	if err := columnTimes(time.Time{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("columnTimes(year 10000): no error")
	}
}

// What SQLite's date functions, RFC 3339 and other SQL write reads as
// the time it means.
func TestParseTime(t *testing.T) {
	want := time.Date(2024, 6, 7, 19, 49, 33, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2024-06-07 19:49:33.000000":       want,
		"2024-06-07 19:49:33":              want,
		"2024-06-07T19:49:33Z":             want,
		"2024-06-07T21:49:33+02:00":        want,
		"2024-06-07 19:49:33.5":            want.Add(500 * time.Millisecond),
		"2024-06-07":                       time.Date(2024, 6, 7, 0, 0, 0, 0, time.UTC),
		"2024-06-07 19:49":                 time.Date(2024, 6, 7, 19, 49, 0, 0, time.UTC),
		"2024-06-07 19:49:33.123456789Z":   want.Add(123456789),
		"2024-02-29 00:00:00.000000":       time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"2024-06-07 19:49:33.000001+00:00": want.Add(time.Microsecond),
	} {
		got, err := parseTime(in)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2024-02-30 00:00:00.000000", "2024-13-01 00:00:00.000000", "yesterday", "2024-06-07 19:49:3x.000000"} {
		if got, err := parseTime(in); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", in, got)
		}
	}
}

func TestDecimalColumns(t *testing.T) {
	for _, tt := range []struct {
		src  any
		want string
	}{{"50.00", "50"}, {[]byte("0.000001"), "0.000001"}, {int64(25), "25"}, {25.9, "25.9"}, {"-23.70", "-23.7"}} {
		var d decimal.Decimal
		if err := (*decimalCol)(&d).Scan(tt.src); err != nil || !d.Equal(decimal.RequireFromString(tt.want)) {
			t.Errorf("Scan(%v) = %v, %v; want %s", tt.src, d, err, tt.want)
		}
	}
	var n decimal.NullDecimal
	if err := (*nullDecimalCol)(&n).Scan(nil); err != nil || n.Valid {
		t.Errorf("Scan(NULL) = %v, %v; want invalid", n, err)
	}
	if nullDecimalArg(decimal.NullDecimal{}) != nil || nullDecimalArg(decimal.NewNullDecimal(decimal.Zero)) != "0" {
		t.Error("nullDecimalArg: want NULL for none, and 0 for zero")
	}
	if err := (*decimalCol)(new(decimal.Decimal)).Scan("fifty"); err == nil {
		t.Error(`Scan("fifty"): no error`)
	}
}
