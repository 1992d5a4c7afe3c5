package flex

import (
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// Money is an exact decimal amount sent as a JSON number or string.
//
// Accepted forms: 25.9, "50.0", "25.77", "-23.70", "$33.10", "-$1.30",
// "$-1.30" and "1,250.00". A comma is accepted only as a thousands
// separator, between groups of three digits before the decimal point:
// "12,50" and "1,2,3,4.5" are refused, never read as 1250 or 1234.5. The
// value is kept exactly as written: no floating point is involved, even
// for JSON numbers.
type Money struct {
	Amount decimal.Decimal
	Valid  bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *Money) UnmarshalJSON(data []byte) error {
	*m = Money{}
	if isAbsent(data) {
		return nil
	}
	s, _, ok := text(data)
	if !ok {
		return typeError(data, reflect.TypeFor[Money]())
	}
	d, ok := ParseMoney(s)
	if !ok {
		return typeError(data, reflect.TypeFor[Money]())
	}
	*m = Money{Amount: d, Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler: the amount as a JSON string, or
// null when absent.
func (m Money) MarshalJSON() ([]byte, error) {
	if !m.Valid {
		return []byte("null"), nil
	}
	return []byte(`"` + m.Amount.String() + `"`), nil
}

// maxMoneyDigits bounds the digits of an amount ParseMoney reads: exact
// decimal parsing costs time quadratic in the digits, and no amount has
// more than 20.
const maxMoneyDigits = 40

// ParseMoney parses an amount in any of the forms Money accepts. It reports
// false for anything else, including exponents, several signs, a currency
// symbol other than "$", and more than 40 digits.
func ParseMoney(s string) (decimal.Decimal, bool) {
	if countDigits(s) > maxMoneyDigits {
		return decimal.Decimal{}, false
	}
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	s = strings.TrimPrefix(s, "$")
	if !neg && strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if strings.IndexByte(s, ',') >= 0 {
		if !thousands(s) {
			return decimal.Decimal{}, false
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	if s == "" || !plainDecimal(s) {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, false
	}
	if neg {
		d = d.Neg()
	}
	return d, true
}

// thousands reports whether the commas of s separate thousands: the
// integer part is 1 to 3 digits, the first not 0 ("0,123" is a decimal
// comma, not 123), then groups of a comma and 3 digits, and the fraction
// has none.
func thousands(s string) bool {
	whole, frac, _ := strings.Cut(s, ".")
	if strings.IndexByte(frac, ',') >= 0 {
		return false
	}
	groups := strings.Split(whole, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 || (len(groups) > 1 && groups[0][0] == '0') {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return false
		}
	}
	return true
}

// plainDecimal reports whether s is digits with at most one decimal point
// and at least one digit.
func plainDecimal(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// countDigits returns the number of ASCII digits in b.
func countDigits[T string | []byte](b T) int {
	n := 0
	for i := 0; i < len(b); i++ {
		if b[i] >= '0' && b[i] <= '9' {
			n++
		}
	}
	return n
}
