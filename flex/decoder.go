package flex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Decoder reads one JSON document in a single pass, for provider
// packages that decode known fields into flex scalars and skip the rest.
//
// It validates everything it reads or skips as strict JSON (RFC 8259), so
// a body that encoding/json rejects is rejected too, and reports errors as
// *SyntaxError (with the byte offset) or *Error (with the field path, such
// as "lineitems[0].amount"). It is several times faster than
// encoding/json, which first validates the whole body and then decodes it
// by reflection.
//
// Object keys are matched exactly, case included. A key written twice in
// one object, read or skipped, is an *Error naming it: a reader that keeps
// the first and one that keeps the last would see two different
// deliveries. Reading stays within the budgets of Limits.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	// Limits are the budgets the Decoder reads within; NewDecoder sets
	// DefaultLimits. Change them before reading.
	Limits Limits

	data   []byte
	pos    int
	path   []step
	depth  int
	values int
	sets   *[]*keySet // the keys of the objects being read, by depth; from keySets
}

// A step is one part of a field path: an array index when index >= 0;
// an object key, name, when index is -1; else a skipped key, whose token
// starts at offset -2-index of the input (made a string only for an
// error).
type step struct {
	name  string
	index int
}

// NewDecoder returns a Decoder reading data within DefaultLimits.
func NewDecoder(data []byte) *Decoder {
	return &Decoder{Limits: defaultLimits, data: data, path: make([]step, 0, 8)}
}

// limit returns the budget v, or its default d when v is not set.
func limit(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// End checks that only white space follows the value read.
func (d *Decoder) End() error {
	if d.sets != nil && d.depth == 0 {
		keySets.Put(d.sets)
		d.sets = nil
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.syntax("data after the top-level value")
	}
	return nil
}

func (d *Decoder) syntax(msg string) error {
	return &SyntaxError{Offset: int64(d.pos), Msg: msg}
}

// Field returns the path of the value being read, such as
// "lineitems[0].amount".
func (d *Decoder) Field() string { return d.field() }

func (d *Decoder) field() string {
	var b strings.Builder
	for i, p := range d.path {
		if p.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(p.index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if p.index < -1 {
			p.name = d.keyAt(-2 - p.index)
		}
		b.WriteString(p.name)
	}
	return b.String()
}

// keyAt returns the text of the key whose token starts at offset start.
func (d *Decoder) keyAt(start int) string {
	end := start + 1
	for end < len(d.data) && d.data[end] != '"' {
		if d.data[end] == '\\' {
			end++
		}
		end++
	}
	return sanitize(unescapeKey(d.data, keyRef{start: start + 1, end: min(end, len(d.data)), escaped: true}))
}

func (d *Decoder) push(name string) { d.path = append(d.path, step{name: name, index: -1}) }

func (d *Decoder) pop() { d.path = d.path[:len(d.path)-1] }

// Null reports whether the next value is null, and consumes it if so.
func (d *Decoder) Null() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

func (d *Decoder) literal(lit string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
		return d.syntax("invalid literal")
	}
	d.pos += len(lit)
	return nil
}

// enter goes one level deeper, within the Depth budget.
func (d *Decoder) enter() error {
	if d.depth++; d.depth > d.Limits.Depth {
		if l := limit(d.Limits.Depth, defaultLimits.Depth); d.depth > l {
			return d.overLimit(l, "levels of nesting")
		}
	}
	return nil
}

// count counts one more value (an element or an object member) within
// the Values budget.
func (d *Decoder) count() error {
	if d.values++; d.values > d.Limits.Values {
		if l := limit(d.Limits.Values, defaultLimits.Values); d.values > l {
			return d.overLimit(l, "values")
		}
	}
	return nil
}

// Array reads an array, calling fn for each element with its index. null
// is an empty array. fn must read exactly one value.
func (d *Decoder) Array(fn func(d *Decoder, i int) error) error {
	if null, err := d.Null(); null || err != nil {
		return err
	}
	if d.peek() != '[' {
		return d.typeError("an array")
	}
	if err := d.enter(); err != nil {
		return err
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for i := 0; ; i++ {
		if err := d.element(i); err != nil {
			return err
		}
		d.path = append(d.path, step{index: i})
		err := fn(d, i)
		d.pop()
		if err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
			if d.peek() == ']' {
				return d.syntax("trailing comma in an array")
			}
			continue
		case ']':
			d.pos++
		default:
			return d.syntax("expected ',' or ']' in an array")
		}
		break
	}
	d.depth--
	return nil
}

// element counts the element i of an array within the Elements and
// Values budgets.
func (d *Decoder) element(i int) error {
	if i >= d.Limits.Elements {
		if l := limit(d.Limits.Elements, defaultLimits.Elements); i >= l {
			return d.overLimit(l, "elements")
		}
	}
	return d.count()
}

// Slice reads an array into *s with elem for each element, like
// encoding/json: null sets nil, [] an empty slice, and elements already in
// *s are decoded into place.
func Slice[T any](d *Decoder, s *[]T, elem func(*T, *Decoder) error) error {
	if null, err := d.Null(); null || err != nil {
		*s = nil
		return err
	}
	n := 0
	err := d.Array(func(d *Decoder, i int) error {
		if i >= len(*s) {
			var zero T
			*s = append(*s, zero)
		}
		n = i + 1
		return elem(&(*s)[i], d)
	})
	if err != nil {
		return err
	}
	if *s == nil {
		*s = []T{}
	}
	*s = (*s)[:n]
	return nil
}

// Ptr reads a value into **p with obj, like encoding/json: null sets nil,
// and an existing value is decoded into place.
func Ptr[T any](d *Decoder, p **T, obj func(*T, *Decoder) error) error {
	if null, err := d.Null(); null || err != nil {
		*p = nil
		return err
	}
	if *p == nil {
		*p = new(T)
	}
	return obj(*p, d)
}

// Skip reads and validates one value of any kind, discarding it.
func (d *Decoder) Skip() error {
	switch c := d.peek(); c {
	case '{':
		return d.object(func(_, quoted []byte, _ strFlags) error { return d.skipMember(quoted) })
	case '[':
		return d.Array(func(d *Decoder, _ int) error { return d.Skip() })
	case '"':
		_, _, err := d.scanString()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case 0:
		return d.syntax("unexpected end of input")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.scanNumber()
		}
		return d.syntax(fmt.Sprintf("invalid character %q looking for a value", c))
	}
}

// skipMember skips the value of the object key whose token (through the
// colon) is quoted, keeping the key in the path for an error.
func (d *Decoder) skipMember(quoted []byte) error {
	d.path = append(d.path, step{index: -2 - (cap(d.data) - cap(quoted))})
	err := d.Skip()
	d.pop()
	return err
}

// Raw reads one value and returns its bytes, validated.
func (d *Decoder) Raw() ([]byte, error) {
	d.skipSpace()
	start := d.pos
	if err := d.Skip(); err != nil {
		return nil, err
	}
	return d.data[start:d.pos], nil
}

// scalar reads one value and hands its bytes to u, turning a type error
// into *Error with the current field path.
func (d *Decoder) scalar(u json.Unmarshaler) error {
	d.skipSpace()
	start := d.pos
	if err := d.Skip(); err != nil {
		return err
	}
	return d.unmarshal(u, d.data[start:d.pos])
}

// unmarshal hands the bytes of one value to u, turning a type error into
// *Error with the current field path.
func (d *Decoder) unmarshal(u json.Unmarshaler, data []byte) error {
	if err := u.UnmarshalJSON(data); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &Error{Field: d.field(), Value: te.Value, Want: want(te.Type)}
		}
		return err
	}
	return nil
}

// Peek returns the first byte of the next value without reading it: '{',
// '[', '"', 't', 'f', 'n', '-' or a digit; 0 at the end of the input.
func (d *Decoder) Peek() byte { return d.peek() }

// Reject reads the next value and returns an *Error for it at the current
// field path, saying what was wanted instead.
func (d *Decoder) Reject(want string) error { return d.typeError(want) }

func (d *Decoder) typeError(what string) error {
	d.skipSpace()
	start := d.pos
	if err := d.Skip(); err != nil {
		return err
	}
	return &Error{Field: d.field(), Value: describe(d.data[start:d.pos]), Want: what}
}

// String reads a String.
func (d *Decoder) String(dst *String) error {
	if d.peek() != '"' {
		return d.scalar(dst)
	}
	// Fast path: a string of printable ASCII without escapes or surrounding
	// space is its own value.
	start := d.pos
	n, flags, err := d.scanString()
	if err != nil {
		return err
	}
	raw := d.data[start+1 : start+1+n]
	if n == 0 || flags != 0 || raw[0] == ' ' || raw[n-1] == ' ' {
		return d.unmarshal(dst, d.data[start:d.pos])
	}
	*dst = String{Value: string(raw), Valid: true}
	return nil
}

// Money reads a Money. An amount sent as a string has its digits counted
// within the Digits budget, as a number has, before it is parsed.
func (d *Decoder) Money(dst *Money) error {
	if d.peek() != '"' {
		return d.scalar(dst)
	}
	start := d.pos
	n, _, err := d.scanString()
	if err != nil {
		return err
	}
	if l := limit(d.Limits.Digits, defaultLimits.Digits); n > l && countDigits(d.data[start:d.pos]) > l {
		return d.overLimit(l, "digits")
	}
	return d.unmarshal(dst, d.data[start:d.pos])
}

// ID reads an ID.
func (d *Decoder) ID(dst *ID) error {
	c := d.peek()
	if c != '"' && !isDigit(c) {
		return d.scalar(dst)
	}
	// Fast path: a string of printable ASCII without escapes or surrounding
	// space, or a number of digits alone, is its own value.
	start := d.pos
	var raw []byte
	if c == '"' {
		n, flags, err := d.scanString()
		if err != nil {
			return err
		}
		if raw = d.data[start+1 : start+1+n]; n == 0 || flags != 0 || raw[0] == ' ' || raw[n-1] == ' ' {
			raw = nil
		}
	} else {
		if err := d.scanNumber(); err != nil {
			return err
		}
		if raw = d.data[start:d.pos]; countDigits(raw) != len(raw) {
			raw = nil
		}
	}
	if raw == nil {
		return d.unmarshal(dst, d.data[start:d.pos])
	}
	*dst = ID{Value: string(raw), Valid: true}
	return nil
}

// Bool reads a Bool.
func (d *Decoder) Bool(dst *Bool) error { return d.scalar(dst) }

// Int reads an Int.
func (d *Decoder) Int(dst *Int) error { return d.scalar(dst) }

// Time reads a Time.
func (d *Decoder) Time(dst *Time) error { return d.scalar(dst) }

// Text reads any value as text into a String: a scalar as String does, an
// object or array as its compact JSON.
func (d *Decoder) Text(dst *String) error {
	switch d.peek() {
	case '{', '[':
		raw, err := d.Raw()
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return err
		}
		*dst = String{Value: sanitize(b.String()), Valid: true}
		return nil
	}
	return d.String(dst)
}

// TextMap reads an object of any values into *m as text (see Text),
// leaving out absent values; null and the empty string give nil.
func (d *Decoder) TextMap(m *map[string]string) error {
	*m = nil
	if d.peek() == '"' {
		raw, err := d.Raw()
		if err != nil || string(raw) == `""` {
			return err
		}
		return &Error{Field: d.field(), Value: describe(raw), Want: "an object"}
	}
	return d.Map(func(d *Decoder, key string) error {
		var v String
		if err := d.Text(&v); err != nil || !v.Valid {
			return err
		}
		if *m == nil {
			*m = make(map[string]string)
		}
		(*m)[key] = v.Value
		return nil
	})
}

// Value reads any value with an UnmarshalJSON method, such as a provider's
// own tolerant type.
func (d *Decoder) Value(dst json.Unmarshaler) error { return d.scalar(dst) }

// sanitize makes s safe to store as text: invalid UTF-8 becomes U+FFFD and
// NUL characters are removed.
func sanitize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}
