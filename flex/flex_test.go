package flex_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/flex"
	"github.com/shopspring/decimal"
)

func TestMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		want  string // "" means absent
		valid bool
	}{
		{`"50.0"`, "50", true},
		{`"25.77"`, "25.77", true},
		{`25.9`, "25.9", true},
		{`"$33.10"`, "33.1", true},
		{`"-23.70"`, "-23.7", true},
		{`"-$1.30"`, "-1.3", true},
		{`"$-1.30"`, "-1.3", true},
		{`"1,250.00"`, "1250", true},
		{`"$1,234,567.89"`, "1234567.89", true},
		{`"-1,000"`, "-1000", true},
		{`0.1`, "0.1", true},
		{`"12345678901234567890.01"`, "12345678901234567890.01", true},
		{`null`, "", false},
		{`""`, "", false},
	}
	for _, tt := range tests {
		var m flex.Money
		if err := json.Unmarshal([]byte(tt.in), &m); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if m.Valid != tt.valid {
			t.Errorf("Unmarshal(%s).Valid = %v, want %v", tt.in, m.Valid, tt.valid)
		}
		if tt.valid && !m.Amount.Equal(decimal.RequireFromString(tt.want)) {
			t.Errorf("Unmarshal(%s) = %s, want %s", tt.in, m.Amount, tt.want)
		}
	}
}

func TestMoneyRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`"abc"`, `"1e5"`, `"--1"`, `"$"`, `"€5"`, `"1.2.3"`, `true`, `{}`, `[]`, `"12 USD"`,
		// A comma only separates thousands: a decimal comma, or commas
		// anywhere else, would change the amount if they were dropped.
		`"12,50"`, `"1,2,3,4.5"`, `"1,25"`, `"1,2500"`, `",100"`, `"100,"`, `"1,000.0,0"`, `"1234,567"`, `"1,,000"`, `"0,123"`, `"00,123"`, `"-0,500"`} {
		var m flex.Money
		err := json.Unmarshal([]byte(in), &m)
		if err == nil {
			t.Errorf("Unmarshal(%s) = %v, want error", in, m)
		}
	}
}

func TestErrorNamesFieldValueAndForm(t *testing.T) {
	t.Parallel()
	var v struct {
		Items []struct {
			Amount flex.Money `json:"amount"`
		} `json:"lineitems"`
	}
	err := flex.Unmarshal([]byte(`{"lineitems":[{"amount":"ten dollars"}]}`), &v)
	var fe *flex.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want *flex.Error", err, err)
	}
	if fe.Field != "lineitems.amount" {
		t.Errorf("Field = %q, want lineitems.amount", fe.Field)
	}
	if !strings.Contains(fe.Value, "ten dollars") {
		t.Errorf("Value = %q, want it to contain the value", fe.Value)
	}
	if !strings.Contains(err.Error(), "decimal amount") {
		t.Errorf("message %q does not name the expected form", err)
	}
}

func TestSyntaxErrorNamesOffset(t *testing.T) {
	t.Parallel()
	var v map[string]any
	err := flex.Unmarshal([]byte(`{"a": "b",πŸ‘ˆ}`), &v)
	var se *flex.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want *flex.SyntaxError", err, err)
	}
	if se.Offset != 11 {
		t.Errorf("Offset = %d, want 11", se.Offset)
	}
}

func TestErrorValueIsShortened(t *testing.T) {
	t.Parallel()
	var m flex.Money
	long := `"` + strings.Repeat("x", 500) + `"`
	err := flex.Unmarshal([]byte(long), &m)
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error %q: want a short error", err)
	}
}

func TestBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in           string
		value, valid bool
	}{
		{`true`, true, true}, {`false`, false, true}, {`"true"`, true, true},
		{`"false"`, false, true}, {`"TRUE"`, true, true}, {`"1"`, true, true},
		{`0`, false, true}, {`""`, false, false}, {`null`, false, false},
	}
	for _, tt := range tests {
		var b flex.Bool
		if err := json.Unmarshal([]byte(tt.in), &b); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if b.Value != tt.value || b.Valid != tt.valid {
			t.Errorf("Unmarshal(%s) = %+v, want value %v valid %v", tt.in, b, tt.value, tt.valid)
		}
	}
	var b flex.Bool
	if err := json.Unmarshal([]byte(`"maybe"`), &b); err == nil {
		t.Error(`Unmarshal("maybe") succeeded, want error`)
	}
}

func TestIntAndString(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C flex.Int
		S, N, E flex.String
	}
	if err := json.Unmarshal([]byte(`{"A":12,"B":"34","C":null,"S":" x ","N":99,"E":""}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != (flex.Int{Value: 12, Valid: true}) || v.B != (flex.Int{Value: 34, Valid: true}) || v.C.Valid {
		t.Errorf("ints = %+v %+v %+v", v.A, v.B, v.C)
	}
	if v.S != (flex.String{Value: "x", Valid: true}) || v.N != (flex.String{Value: "99", Valid: true}) || v.E.Valid {
		t.Errorf("strings = %+v %+v %+v", v.S, v.N, v.E)
	}
	var n flex.Int
	if err := json.Unmarshal([]byte(`"12.5"`), &n); err == nil {
		t.Error(`Int from "12.5" succeeded, want error`)
	}
}

func TestTime(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time { return time.Date(2019, 6, 7, 19, 49, 32, 0, time.UTC) }
	tests := []struct {
		in       string
		want     time.Time
		zoneless bool
	}{
		{`"2019-06-07T15:49:32-04:00"`, utc(""), false},
		{`"2019-06-07T19:49:32Z"`, utc(""), false},
		{`"2019-06-07 19:49:32 UTC"`, utc(""), false},
		{`"2019-06-07 15:49:32 -0400"`, utc(""), false},
		{`"2019-06-07T19:49:32"`, utc(""), true},
		{`"2019-06-07"`, time.Date(2019, 6, 7, 0, 0, 0, 0, time.UTC), true},
		{`"2019-06-07T19:49:32.250Z"`, utc("").Add(250 * time.Millisecond), false},
	}
	for _, tt := range tests {
		var v flex.Time
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if !v.Valid || !v.Time.Equal(tt.want) || v.Zoneless != tt.zoneless || v.Time.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) = %+v, want %v zoneless=%v", tt.in, v, tt.want, tt.zoneless)
		}
	}
	for _, bad := range []string{`"yesterday"`, `1560000000`, `"2019-13-07"`} {
		var v flex.Time
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want error", bad)
		}
	}
}

func TestUSEastern(t *testing.T) {
	t.Parallel()
	wall := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		wall time.Time
		off  time.Duration
	}{
		{wall(2019, 6, 7, 15, 49), 4 * time.Hour},
		{wall(2019, 1, 7, 15, 49), 5 * time.Hour},
		{wall(2024, 3, 10, 1, 59), 5 * time.Hour},  // before the spring change
		{wall(2024, 3, 10, 3, 0), 4 * time.Hour},   // after it
		{wall(2024, 11, 3, 0, 59), 4 * time.Hour},  // before the autumn change
		{wall(2024, 11, 3, 2, 0), 5 * time.Hour},   // after it
		{wall(2005, 4, 3, 3, 0), 4 * time.Hour},    // old rules: first Sunday of April
		{wall(2005, 10, 30, 2, 0), 5 * time.Hour},  // old rules: last Sunday of October
		{wall(2005, 10, 29, 12, 0), 4 * time.Hour}, // the day before
		{wall(2024, 3, 10, 2, 30), 5 * time.Hour},  // in the hour skipped in spring: standard time
		{wall(2024, 11, 3, 1, 30), 4 * time.Hour},  // in the hour repeated in autumn: its first occurrence
		{wall(1974, 1, 10, 12, 0), 4 * time.Hour},  // daylight time all winter, by the Emergency Daylight Saving Time Act
		{wall(1975, 3, 1, 12, 0), 4 * time.Hour},   // from February 23 that year
		{wall(1986, 4, 20, 12, 0), 5 * time.Hour},  // the last Sunday of April, before 1987
		{wall(1945, 1, 10, 12, 0), 4 * time.Hour},  // war time
	}
	for _, tt := range tests {
		if got := flex.USEastern(tt.wall); !got.Equal(tt.wall.Add(tt.off)) {
			t.Errorf("USEastern(%v) = %v, want offset %v", tt.wall, got, tt.off)
		}
	}
	var v flex.Time
	if err := json.Unmarshal([]byte(`"2019-06-07T15:49:32"`), &v); err != nil {
		t.Fatal(err)
	}
	if got, want := v.Wall(flex.USEastern), time.Date(2019, 6, 7, 19, 49, 32, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Wall(USEastern) = %v, want %v", got, want)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	type T struct {
		M flex.Money
		B flex.Bool
		I flex.Int
		S flex.String
		T flex.Time
	}
	in := T{
		M: flex.Money{Amount: decimal.RequireFromString("33.10"), Valid: true},
		B: flex.Bool{Value: true, Valid: true},
		I: flex.Int{Value: 7, Valid: true},
		S: flex.String{Value: "x", Valid: true},
		T: flex.Time{Time: time.Date(2020, 12, 11, 22, 6, 26, 0, time.UTC), Valid: true},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !out.M.Amount.Equal(in.M.Amount) || out.B != in.B || out.I != in.I || out.S != in.S || !out.T.Time.Equal(in.T.Time) {
		t.Errorf("round trip %s = %+v, want %+v", data, out, in)
	}
	data, _ = json.Marshal(T{})
	if string(data) != `{"M":null,"B":null,"I":null,"S":null,"T":null}` {
		t.Errorf("absent values marshal as %s, want nulls", data)
	}
}

func FuzzMoney(f *testing.F) {
	for _, s := range []string{`"50.0"`, `"$33.10"`, `25.9`, `"-23.70"`, `null`, `""`, `"1,250.00"`, `"12,50"`, `"1,2,3,4.5"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m flex.Money
		if err := json.Unmarshal(data, &m); err != nil || !m.Valid {
			return
		}
		// A comma that is kept out of the amount separates thousands:
		// dropping it changes the digits' places in no other way.
		if s := string(data); strings.Contains(s, ",") {
			whole, _, _ := strings.Cut(strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`)), ".")
			groups := strings.Split(whole, ",")
			for _, g := range groups[1:] {
				if len(g) != 3 {
					t.Fatalf("%s accepted as %s, with a comma not between thousands", data, m.Amount)
				}
			}
		}
		// A valid amount survives a round trip exactly.
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back flex.Money
		if err := json.Unmarshal(out, &back); err != nil || !back.Amount.Equal(m.Amount) {
			t.Fatalf("round trip of %s: %s -> %v (%v)", data, out, back.Amount, err)
		}
	})
}

func FuzzTime(f *testing.F) {
	for _, s := range []string{`"2019-06-07T15:49:32-04:00"`, `"2020-12-11 22:06:26 UTC"`, `"2019-06-07T15:49:32"`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v flex.Time
		if err := json.Unmarshal(data, &v); err == nil && v.Valid && v.Time.Location() != time.UTC {
			t.Fatalf("%s parsed to a non-UTC time %v", data, v.Time)
		}
	})
}
