package flex

import (
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"
)

// ID is an identifier: of a line item, an order, a person, a resource, or
// the source of an idempotency key. It is sent as a JSON string or as a
// JSON integer, and each value has one spelling, so that two deliveries
// name the same thing only when they carry the same id:
//
//   - a number must be a whole number written plainly: 99999999, never
//     99999999.0, 1.5e3 or -5;
//   - a string must be valid UTF-8 without control characters (NUL
//     included), U+FFFD or surrounding white space: "7400\u00000004" is
//     refused, never read as "74000004".
//
// 99999999 and "99999999" are the same id. Null and "" are absent.
type ID struct {
	Value string
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (id *ID) UnmarshalJSON(data []byte) error {
	*id = ID{}
	if isAbsent(data) {
		return nil
	}
	v, quoted, ok := text(data)
	if !ok || (quoted && !canonicalID(v)) || (!quoted && !wholeNumber(v)) {
		return typeError(data, reflect.TypeFor[ID]())
	}
	*id = ID{Value: v, Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler: the id as a JSON string, or null
// when absent.
func (id ID) MarshalJSON() ([]byte, error) {
	if !id.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(id.Value)
}

// canonicalID reports whether s is an id as a string: valid UTF-8 without
// control characters or U+FFFD, not starting or ending with white space.
func canonicalID(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// wholeNumber reports whether s, a JSON number, is digits alone.
func wholeNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
