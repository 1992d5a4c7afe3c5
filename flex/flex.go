// Package flex holds tolerant JSON scalars for webhook payloads.
//
// Donation platforms send the same value in several forms: an amount as
// "50.0", "$33.10" or 25.9, a boolean as true or "true", a time with or
// without a zone. Each type here accepts every form seen in real deliveries
// and rejects anything else with an error that names the field, the value
// received and the form expected.
//
// JSON null and the empty string mean absent, never zero: every type has a
// Valid field that is false for them.
//
// An identifier is an ID, which has one spelling per value: a whole
// number or a clean string, never 99999999.0, 1.5e3 or a string with NUL.
// No string is cleaned into another's spelling: NUL and invalid UTF-8 are
// refused, in a String and in an object's key alike.
//
// A Decoder reads a body in one pass within the budgets of Limits
// (nesting, elements of an array and keys of an object, digits of a
// number, bytes of a string, values in all), matches keys exactly and
// refuses a key written twice in an object, so that any body decodes or
// is refused in time linear in its size, and reads as one reader reads
// it.
package flex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// An Error reports a JSON value that does not have the expected form.
type Error struct {
	Field string // path of the field, such as "lineitems.amount"; "" at the top level
	Value string // the value received, shortened
	Want  string // the form expected, such as `a decimal amount like "25.00"`
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("invalid value %s: want %s", e.Value, e.Want)
	}
	return fmt.Sprintf("field %s: invalid value %s: want %s", e.Field, e.Value, e.Want)
}

// LogValue implements slog.LogValuer: the field and the expected form,
// never the value, which may be personal data.
func (e *Error) LogValue() slog.Value {
	return slog.GroupValue(slog.String("field", e.Field), slog.String("want", e.Want))
}

// A SyntaxError reports a body that is not valid JSON.
type SyntaxError struct {
	Offset int64 // byte offset after which the error was found
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// Unmarshal decodes data into v like json.Unmarshal and turns decoding
// errors into *Error (naming the field path and the expected form) or
// *SyntaxError (naming the byte offset).
//
// data is first read through by a Decoder within DefaultLimits, so that
// a body over budget is refused with a *LimitError before encoding/json
// builds anything of it, and a key written twice in an object is refused
// with an *Error. Keys still match without regard to case, as
// encoding/json matches them; a Decoder matches them exactly.
func Unmarshal(data []byte, v any) error {
	d := NewDecoder(data)
	err := d.Skip()
	if err == nil {
		err = d.End()
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		// encoding/json's account, which stops where the syntax breaks.
		if jerr := json.Unmarshal(data, v); jerr != nil {
			return Explain(jerr)
		}
	}
	if err != nil {
		return err
	}
	return Explain(json.Unmarshal(data, v))
}

// Explain converts an error from encoding/json into *Error or *SyntaxError
// where it can, and returns other errors unchanged.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Error{Field: te.Field, Value: te.Value, Want: want(te.Type)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Offset: se.Offset, Msg: se.Error()}
	}
	return err
}

// want describes the form a Go type expects.
func want(t reflect.Type) string {
	if t == nil {
		return "another form"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[Money]():
		return `a decimal amount such as "25.00", "$33.10" or 25.9`
	case reflect.TypeFor[Bool]():
		return `a boolean: true, false, "true" or "false"`
	case reflect.TypeFor[Time]():
		return `a time such as "2019-06-07T15:49:32-04:00" or "2020-12-11 22:06:26 UTC"`
	case reflect.TypeFor[Int]():
		return `a whole number such as 42 or "42"`
	case reflect.TypeFor[ID]():
		return `an id: a whole number such as 99999999 (no fraction, exponent or sign), or a string without control characters, NUL or invalid UTF-8`
	case reflect.TypeFor[String]():
		return "a string, number or boolean, of valid UTF-8 without NUL"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// typeError builds the error a flex type returns from UnmarshalJSON.
// encoding/json fills in the field path of a *json.UnmarshalTypeError,
// which Explain then turns into *Error.
func typeError(data []byte, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: describe(data), Type: t}
}

// describe quotes a raw JSON value for an error message, shortened so that
// an error never carries a whole payload.
func describe(data []byte) string {
	const max = 40
	s := string(bytes.TrimSpace(data))
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// isAbsent reports whether data is JSON null or the empty string.
func isAbsent(data []byte) bool {
	data = bytes.TrimSpace(data)
	return len(data) == 0 || string(data) == "null" || string(data) == `""`
}

// text returns the contents of a JSON string, or the raw literal for a
// number or boolean. ok is false for objects and arrays.
func text(data []byte) (s string, quoted, ok bool) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "", false, false
	}
	switch data[0] {
	case '"':
		if bytes.IndexByte(data[1:len(data)-1], '\\') < 0 {
			return string(data[1 : len(data)-1]), true, true
		}
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return "", true, false
		}
		return v, true, true
	case '{', '[':
		return "", false, false
	}
	return string(data), false, true
}

// String is a JSON string that also accepts a number or a boolean, kept
// as its text. Null and "" are absent.
type String struct {
	Value string
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(data []byte) error {
	*s = String{}
	if isAbsent(data) {
		return nil
	}
	v, _, ok := text(data)
	// NUL and invalid UTF-8 are refused rather than dropped or replaced,
	// so that no two spellings read as one value ("a\u0000b@example.org"
	// is not ab@example.org).
	if !ok || !utf8.Valid(data) || strings.IndexByte(v, 0) >= 0 {
		return typeError(data, reflect.TypeFor[String]())
	}
	v = strings.TrimSpace(v)
	*s = String{Value: v, Valid: v != ""}
	return nil
}

// MarshalJSON implements json.Marshaler: null when absent.
func (s String) MarshalJSON() ([]byte, error) {
	if !s.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(s.Value)
}

// Int is a whole number sent as a JSON number or a string.
type Int struct {
	Value int64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(data []byte) error {
	*n = Int{}
	if isAbsent(data) {
		return nil
	}
	v, _, ok := text(data)
	if !ok {
		return typeError(data, reflect.TypeFor[Int]())
	}
	i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return typeError(data, reflect.TypeFor[Int]())
	}
	*n = Int{Value: i, Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler: null when absent.
func (n Int) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.Value, 10), nil
}

// Bool is a boolean sent as a JSON boolean or as one of the strings
// "true", "false", "1", "0", "yes", "no" (in any case).
type Bool struct {
	Value bool
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(data []byte) error {
	*b = Bool{}
	if isAbsent(data) {
		return nil
	}
	v, _, ok := text(data)
	if !ok {
		return typeError(data, reflect.TypeFor[Bool]())
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "t", "y":
		*b = Bool{Value: true, Valid: true}
	case "false", "0", "no", "f", "n":
		*b = Bool{Value: false, Valid: true}
	default:
		return typeError(data, reflect.TypeFor[Bool]())
	}
	return nil
}

// MarshalJSON implements json.Marshaler: null when absent.
func (b Bool) MarshalJSON() ([]byte, error) {
	if !b.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendBool(nil, b.Value), nil
}
