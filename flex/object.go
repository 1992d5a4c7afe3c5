package flex

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Map reads an object with any keys, calling fn with each key to read its
// value. null is an empty object. fn must read exactly one value.
//
// A key is its text as encoding/json reads it, escapes decoded, so that
// "a" and "\u0061" are one key, written twice. A key that is not text as
// it is sent (with NUL, invalid UTF-8, or U+FFFD, which stands for what is
// not valid UTF-8) is an *Error naming it: it cannot be stored as it was
// sent, and made valid it could become another key of the object.
func (d *Decoder) Map(fn func(d *Decoder, key string) error) error {
	return d.object(func(raw, quoted []byte, flags strFlags) error {
		key := string(raw)
		if flags&strEscaped != 0 {
			if err := json.Unmarshal(trimColon(quoted), &key); err != nil {
				return d.syntax("invalid object key")
			}
		}
		if flags != 0 && !cleanKey(key) {
			d.push(sanitize(key))
			defer d.pop()
			return &Error{Field: d.field(), Value: describe(trimColon(quoted)), Want: "a key of valid UTF-8 without NUL or U+FFFD"}
		}
		d.push(key)
		err := fn(d, key)
		d.pop()
		return err
	})
}

// cleanKey reports whether key is valid UTF-8 without NUL or U+FFFD.
func cleanKey(key string) bool {
	return utf8.ValidString(key) && strings.IndexByte(key, 0) < 0 && !strings.ContainsRune(key, utf8.RuneError)
}

// trimColon returns the token of a key without the space and colon after
// it.
func trimColon(quoted []byte) []byte {
	for len(quoted) > 0 && (quoted[len(quoted)-1] == ':' || isSpace[quoted[len(quoted)-1]]) {
		quoted = quoted[:len(quoted)-1]
	}
	return quoted
}

// object reads an object whose keys are all compared, calling member with
// each key (its text between the quotes, the whole token up to the colon,
// and what the text holds) to read the value.
func (d *Decoder) object(member func(raw, quoted []byte, flags strFlags) error) error {
	if ok, err := d.open(); !ok {
		return err
	}
	keys := d.keySet()
	for n := 0; ; n++ {
		start, l, flags, err := d.keyToken(n)
		if err != nil {
			return err
		}
		if keys.add(d.data, start+1, start+1+l, flags&strEscaped != 0, false) {
			return d.duplicate(start, l)
		}
		if err := d.colon(); err != nil {
			return err
		}
		if err := member(d.data[start+1:start+1+l], d.data[start:d.pos], flags); err != nil {
			return err
		}
		if more, err := d.next(); !more {
			return err
		}
	}
}

// open reads up to the first key of an object, and reports whether there
// is one: not for null, {} or an error.
func (d *Decoder) open() (bool, error) {
	if null, err := d.Null(); null || err != nil {
		return false, err
	}
	if d.peek() != '{' {
		return false, d.typeError("an object")
	}
	if err := d.enter(); err != nil {
		return false, err
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return false, nil
	}
	return true, nil
}

// next reads what follows a member of an object, and reports whether
// another member follows: true after a comma, false after the closing
// brace or an error.
func (d *Decoder) next() (bool, error) {
	if d.pos < len(d.data) && d.data[d.pos] == ',' {
		d.pos++
		return true, nil
	}
	return d.nextAfterSpace()
}

func (d *Decoder) nextAfterSpace() (bool, error) {
	switch d.peek() {
	case ',':
		d.pos++
		return true, nil
	case '}':
		d.pos++
		d.depth--
		return false, nil
	}
	return false, d.syntax("expected ',' or '}' in an object")
}

// keyToken reads the key token of member n (from 0) of an object, within
// the Elements (as keys of one object) and Values budgets, and returns
// where it starts, the length of its text and what the text holds.
func (d *Decoder) keyToken(n int) (start, length int, flags strFlags, err error) {
	if n >= d.Limits.Elements {
		if l := limit(d.Limits.Elements, defaultLimits.Elements); n >= l {
			return 0, 0, 0, d.overLimit(l, "keys")
		}
	}
	if d.values++; d.values > d.Limits.Values {
		if l := limit(d.Limits.Values, defaultLimits.Values); d.values > l {
			return 0, 0, 0, d.overLimit(l, "values")
		}
	}
	if d.peek() != '"' {
		return 0, 0, 0, d.syntax("expected a string key")
	}
	start = d.pos
	length, flags, err = d.scanString()
	return start, length, flags, err
}

// colon reads the colon after a key.
func (d *Decoder) colon() error {
	if d.pos < len(d.data) && d.data[d.pos] == ':' {
		d.pos++
		return nil
	}
	if d.peek() != ':' {
		return d.syntax("expected ':' after an object key")
	}
	d.pos++
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
