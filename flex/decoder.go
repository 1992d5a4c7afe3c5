package flex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
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

func (d *Decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next byte that is not white space, or 0 at the end.
func (d *Decoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

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

// Names is the set of keys an object decoder knows. Build it once with
// NewNames and share it; it is safe for concurrent use.
type Names struct {
	index   map[string]string
	renamed bool // some keys of index are renames

	// last is the keys of the last object read with these names, in
	// order: the next object, most often written alike by the same
	// sender, has its keys matched by comparison, one at a time, rather
	// than looked up.
	last atomic.Pointer[[]knownKey]
}

// knownKey is a key as written and the name it matched, "" for none.
type knownKey struct{ raw, name string }

// maxKnownKeys bounds the keys remembered of one object.
const maxKnownKeys = 128

// NewNames returns the set of the given keys.
func NewNames(names ...string) *Names {
	n := &Names{index: make(map[string]string, len(names))}
	for _, name := range names {
		n.index[name] = name
	}
	return n
}

// With returns a copy of n in which each key of renames is also accepted,
// as the known name it maps to: With(map[string]string{"donor_email":
// "email"}) reads "donor_email" as "email". Renames to unknown names are
// reported as an error.
func (n *Names) With(renames map[string]string) (*Names, error) {
	out := &Names{index: make(map[string]string, len(n.index)+len(renames)), renamed: n.renamed}
	for k, v := range n.index {
		out.index[k] = v
	}
	for from, to := range renames {
		name, ok := n.index[to]
		if !ok {
			return nil, fmt.Errorf("flex: rename of %q to unknown field %q", from, to)
		}
		out.index[from] = name
		out.renamed = out.renamed || from != name
	}
	return out, nil
}

// Object reads an object, calling fn for each key found in names with the
// name as written in names; other keys' values are skipped. null is an
// empty object. fn must read exactly one value. A key and a rename of it
// (see Names.With) in one object are a duplicate key.
func (d *Decoder) Object(names *Names, fn func(d *Decoder, name string) error) error {
	m := matcher{names: names}
	if names != nil {
		if p := names.last.Load(); p != nil {
			m.guess = *p
		}
	}
	var read []string // the names read, when names has renames
	err := d.object(m.expected, func(raw, quoted []byte) error {
		name, ok := m.match(raw, quoted)
		if !ok {
			return d.skipMember(quoted)
		}
		d.push(name)
		if names.renamed {
			if slices.Contains(read, name) {
				return &Error{Field: d.field(), Value: describe(bytes.TrimRight(quoted, " \t\r\n:")), Want: "each field at most once in an object, under its name or a rename"}
			}
			read = append(read, name)
		}
		err := fn(d, name)
		d.pop()
		return err
	})
	if err == nil {
		m.remember()
	}
	return err
}

// A matcher matches the keys of one object to names, expecting the keys
// of the last object read with them, in order, and remembers this
// object's keys for the next one.
type matcher struct {
	names    *Names
	guess    []knownKey // the keys of the last object, expected again
	seen     []knownKey // the keys read, once they depart from guess
	i        int
	departed bool
}

// expected reports whether raw is the key expected next.
func (m *matcher) expected(raw []byte) bool {
	return !m.departed && m.i < len(m.guess) && m.guess[m.i].raw == string(raw)
}

func (m *matcher) match(raw, quoted []byte) (string, bool) {
	m.i++
	if i := m.i - 1; !m.departed && i < len(m.guess) && m.guess[i].raw == string(raw) {
		return m.guess[i].name, m.guess[i].name != ""
	}
	name, ok := match(m.names, raw, quoted)
	if !m.departed {
		m.departed = true
		m.seen = append(make([]knownKey, 0, m.i+8), m.guess[:m.i-1]...)
	}
	if m.names != nil && len(m.seen) < maxKnownKeys {
		k := knownKey{raw: name, name: name}
		if !ok || name != string(raw) {
			k.raw = string(raw)
		}
		m.seen = append(m.seen, k)
	}
	return name, ok
}

// remember keeps the keys of the object read for the next one, when they
// differ from those expected.
func (m *matcher) remember() {
	if m.names == nil || (!m.departed && m.i >= len(m.guess)) {
		return
	}
	if !m.departed {
		m.seen = m.guess[:m.i] // fewer keys than the last object: its start
	}
	last := m.seen // allocated only here, not for every object
	m.names.last.Store(&last)
}

// Map reads an object with any keys, calling fn with each key to read its
// value. null is an empty object. fn must read exactly one value.
func (d *Decoder) Map(fn func(d *Decoder, key string) error) error {
	return d.object(nil, func(raw, quoted []byte) error {
		key := string(raw)
		if bytes.IndexByte(raw, '\\') >= 0 {
			if err := json.Unmarshal(bytes.TrimRight(quoted, " \t\r\n:"), &key); err != nil {
				return d.syntax("invalid object key")
			}
		}
		key = sanitize(key)
		d.push(key)
		err := fn(d, key)
		d.pop()
		return err
	})
}

// object reads an object, calling member with each key (its text between
// the quotes, and the whole token up to the colon) to read the value.
//
// expected, when not nil, reports whether a key is the one expected next
// (see matcher): such keys, the keys of an object read before, are known
// to differ, and are not compared until a key departs from them.
func (d *Decoder) object(expected func(raw []byte) bool, member func(raw, quoted []byte) error) error {
	if null, err := d.Null(); null || err != nil {
		return err
	}
	if d.peek() != '{' {
		return d.typeError("an object")
	}
	if err := d.enter(); err != nil {
		return err
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return nil
	}
	keys := d.keySet()
	for {
		start, n, err := d.key(keys, expected)
		if err != nil {
			return err
		}
		if err := member(d.data[start+1:start+1+n], d.data[start:d.pos]); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
			continue
		case '}':
			d.pos++
		default:
			return d.syntax("expected ',' or '}' in an object")
		}
		break
	}
	d.depth--
	return nil
}

// key reads an object key and its colon, within the Elements (as keys of
// one object) and Values budgets, and returns where its token starts and
// the length of its text. A key already in keys is an *Error.
func (d *Decoder) key(keys *keySet, expected func(raw []byte) bool) (start, n int, err error) {
	if len(keys.keys) >= d.Limits.Elements {
		if l := limit(d.Limits.Elements, defaultLimits.Elements); len(keys.keys) >= l {
			return 0, 0, d.overLimit(l, "keys")
		}
	}
	if err := d.count(); err != nil {
		return 0, 0, err
	}
	if d.peek() != '"' {
		return 0, 0, d.syntax("expected a string key")
	}
	start = d.pos
	if n, err = d.scanString(); err != nil {
		return 0, 0, err
	}
	trusted := expected != nil && expected(d.data[start+1:start+1+n])
	if keys.add(d.data, start+1, start+1+n, trusted) {
		return 0, 0, d.duplicate(start, n)
	}
	if d.peek() != ':' {
		return 0, 0, d.syntax("expected ':' after an object key")
	}
	d.pos++
	return start, n, nil
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

// duplicate returns the error for the key at start, of n bytes, written a
// second time in its object.
func (d *Decoder) duplicate(start, n int) error {
	key := sanitize(unescapeKey(d.data, keyRef{start: start + 1, end: start + 1 + n, escaped: true}))
	d.push(key)
	defer d.pop()
	return &Error{Field: d.field(), Value: describe(d.data[start : start+2+n]), Want: "each key at most once in an object"}
}

// match finds key among names, exactly. raw is the key's text between the
// quotes; quoted is the whole token, used when the key has escapes.
func match(names *Names, raw, quoted []byte) (string, bool) {
	if names == nil {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') >= 0 {
		var s string
		if json.Unmarshal(bytes.TrimRight(quoted, " \t\r\n:"), &s) != nil {
			return "", false
		}
		raw = []byte(s)
	}
	n, ok := names.index[string(raw)]
	return n, ok
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
		return d.object(nil, func(_, quoted []byte) error { return d.skipMember(quoted) })
	case '[':
		return d.Array(func(d *Decoder, _ int) error { return d.Skip() })
	case '"':
		_, err := d.scanString()
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

// scanString consumes a string token at d.pos and returns the length of
// its contents (between the quotes), within the String budget.
func (d *Decoder) scanString() (int, error) {
	start := d.pos
	i := d.pos + 1
	end := len(d.data)
	if l := limit(d.Limits.String, defaultLimits.String); end-i > l+1 {
		end = i + l + 1 // room for the contents and the closing quote
	}
	for i < end {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return i - start - 1, nil
		case c == '\\':
			if i+1 >= len(d.data) {
				d.pos = i
				return 0, d.syntax("unexpected end of input in a string")
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d.data) || !isHex4(d.data[i+2:i+6]) {
					d.pos = i
					return 0, d.syntax("invalid \\u escape in a string")
				}
				i += 6
			default:
				d.pos = i
				return 0, d.syntax("invalid escape in a string")
			}
		case c < 0x20:
			d.pos = i
			return 0, d.syntax("control character in a string")
		default:
			i++
		}
	}
	d.pos = i
	if i < len(d.data) {
		return 0, d.overLimit(limit(d.Limits.String, defaultLimits.String), "bytes in a string")
	}
	return 0, d.syntax("unexpected end of input in a string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// scanNumber consumes a number token with the JSON grammar, within the
// Digits budget (which counts the digits of its fraction and exponent
// too).
func (d *Decoder) scanNumber() error {
	i := d.pos
	budget := limit(d.Limits.Digits, defaultLimits.Digits)
	left := budget
	digits := func() int {
		n := 0
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' && n <= left {
			i++
			n++
		}
		left -= n
		return n
	}
	if i < len(d.data) && d.data[i] == '-' {
		i++
	}
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
		left--
	case digits() == 0:
		d.pos = i
		return d.syntax("invalid number")
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if digits() == 0 {
			d.pos = i
			return d.syntax("invalid number: digits expected after '.'")
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return d.syntax("invalid number: digits expected in the exponent")
		}
	}
	if left < 0 {
		return d.overLimit(budget, "digits")
	}
	d.pos = i
	return nil
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
	n, err := d.scanString()
	if err != nil {
		return err
	}
	raw := d.data[start+1 : start+1+n]
	if n == 0 || raw[0] == ' ' || raw[n-1] == ' ' || !plainASCII(raw) {
		return d.unmarshal(dst, d.data[start:d.pos])
	}
	*dst = String{Value: string(raw), Valid: true}
	return nil
}

// plainASCII reports whether b has only ASCII bytes and no backslash.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == '\\' {
			return false
		}
	}
	return true
}

// Money reads a Money. An amount sent as a string has its digits counted
// within the Digits budget, as a number has, before it is parsed.
func (d *Decoder) Money(dst *Money) error {
	if d.peek() != '"' {
		return d.scalar(dst)
	}
	start := d.pos
	if _, err := d.scanString(); err != nil {
		return err
	}
	if l := limit(d.Limits.Digits, defaultLimits.Digits); countDigits(d.data[start:d.pos]) > l {
		return d.overLimit(l, "digits")
	}
	return d.unmarshal(dst, d.data[start:d.pos])
}

// ID reads an ID.
func (d *Decoder) ID(dst *ID) error {
	if d.peek() != '"' {
		return d.scalar(dst)
	}
	start := d.pos
	n, err := d.scanString()
	if err != nil {
		return err
	}
	if raw := d.data[start+1 : start+1+n]; n > 0 && plainID(raw) {
		*dst = ID{Value: string(raw), Valid: true}
		return nil
	}
	return d.unmarshal(dst, d.data[start:d.pos])
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
