package sqlstore

import (
	"fmt"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/shopspring/decimal"
)

// Times and amounts in the columns of the record tables.
//
// A time is kept to the microsecond, in UTC: as text laid out as
// TimeLayout where the dialect says so (SQLite: it sorts as time, and
// SQLite's date functions read it), otherwise as the driver's time
// (PostgreSQL: timestamptz). A zero time is NULL.
//
// An amount is kept as its exact decimal text, which PostgreSQL reads
// into NUMERIC and SQLite keeps as it is (a column of TEXT affinity); an
// absent one (an invalid decimal.NullDecimal) is NULL.

// TimeLayout is the layout of times kept as text: UTC, to the
// microsecond, such as "2024-06-07 19:49:33.000001".
const TimeLayout = "2006-01-02 15:04:05.000000"

// columnTimes reports an error matching donorsync.ErrInvalid for a time
// that no time column keeps: outside years 1 to 9999, as JSON refuses
// too. The zero time is none.
func columnTimes(ts ...time.Time) error {
	for _, t := range ts {
		if y := t.UTC().Year(); !t.IsZero() && (y < 1 || y > 9999) {
			return fmt.Errorf("time %s: year outside 1 to 9999: %w", t.Format(time.RFC3339), donorsync.ErrInvalid)
		}
	}
	return nil
}

// timeArg returns t as the dialect keeps it in a column.
func (d *Dialect) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	if !d.TimeText {
		return t
	}
	return string(appendTime(make([]byte, 0, len(TimeLayout)), t))
}

// appendTime appends t, in UTC, as TimeLayout lays it out.
func appendTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = appendInt(b, year, 4)
	b = append(b, '-')
	b = appendInt(b, int(month), 2)
	b = append(b, '-')
	b = appendInt(b, day, 2)
	b = append(b, ' ')
	b = appendInt(b, hour, 2)
	b = append(b, ':')
	b = appendInt(b, minute, 2)
	b = append(b, ':')
	b = appendInt(b, sec, 2)
	b = append(b, '.')
	return appendInt(b, t.Nanosecond()/1000, 6)
}

// appendInt appends v, not negative, in width decimal digits at least.
func appendInt(b []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	buf[i] = byte('0' + v)
	return append(b, buf[i:]...)
}

// parseTime reads a time kept as text: TimeLayout, or what SQLite's
// date functions and RFC 3339 write (a "T" for the space, fewer digits
// of a second, a "Z" or an offset), in UTC unless it says otherwise.
func parseTime(s string) (time.Time, error) {
	if t, ok := parseLayout(s); ok {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: not %s", s, TimeLayout)
}

// parseLayout reads s laid out exactly as TimeLayout, without the
// cost of time.Parse.
func parseLayout(s string) (time.Time, bool) {
	if len(s) != len(TimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != '.' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range []byte(s[from:to]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec, micro := num(11, 13), num(14, 16), num(17, 19), num(20, 26)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 || micro < 0 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false
	}
	return t, true
}

// A timeCol scans a time column into the time.Time it points to: NULL
// is the zero time.
type timeCol time.Time

// Scan implements sql.Scanner.
func (c *timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c = timeCol{}
	case time.Time:
		*c = timeCol(v.UTC())
	case string:
		t, err := parseTime(v)
		*c = timeCol(t)
		return err
	case []byte:
		t, err := parseTime(string(v))
		*c = timeCol(t)
		return err
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// decimalArg returns v as an amount column keeps it.
func decimalArg(v decimal.Decimal) any { return v.String() }

// nullDecimalArg returns v as an amount column keeps it: NULL when
// invalid.
func nullDecimalArg(v decimal.NullDecimal) any {
	if !v.Valid {
		return nil
	}
	return v.Decimal.String()
}

// A decimalCol scans an amount column into the decimal.Decimal it points
// to: NULL is zero.
type decimalCol decimal.Decimal

// Scan implements sql.Scanner.
func (c *decimalCol) Scan(src any) error {
	var n decimal.NullDecimal
	if err := (*nullDecimalCol)(&n).Scan(src); err != nil {
		return err
	}
	*c = decimalCol(n.Decimal)
	return nil
}

// A nullDecimalCol scans an amount column into the decimal.NullDecimal
// it points to: NULL is invalid.
type nullDecimalCol decimal.NullDecimal

// Scan implements sql.Scanner.
func (c *nullDecimalCol) Scan(src any) error {
	var d decimal.Decimal
	var err error
	switch v := src.(type) {
	case nil:
		*c = nullDecimalCol{}
		return nil
	case string:
		d, err = decimal.NewFromString(v)
	case []byte:
		d, err = decimal.NewFromString(string(v))
	case int64: // written as a number, by SQL other than ours
		d = decimal.NewFromInt(v)
	case float64:
		d = decimal.NewFromFloat(v)
	default:
		return fmt.Errorf("amount column holds %T", src)
	}
	if err != nil {
		return fmt.Errorf("amount column: %w", err)
	}
	*c = nullDecimalCol{Decimal: d, Valid: true}
	return nil
}
