package flex

import (
	"fmt"
	"sync/atomic"
)

// Names is the set of keys an object decoder knows. Build it once with
// NewNames and share it; it is safe for concurrent use.
type Names struct {
	index   map[string]*nameKey // by the key's text
	renamed bool                // some keys of index are renames

	// last is the keys of the last object read with these names, in
	// order: the next object, most often written alike by the same
	// sender, has its keys matched by comparison, one at a time, rather
	// than looked up.
	last atomic.Pointer[[]knownKey]
}

// A nameKey is a key of Names: the name it reads as, the number of its
// text among the keys of Names, spell, and that of its name, bit, so that
// an object read keeps which it has seen in a bitset.
type nameKey struct {
	name       string
	spell, bit int
}

// knownKey is a key as written, raw, and the key of Names it is, nil for
// none.
type knownKey struct {
	raw string
	key *nameKey
}

// maxKnownKeys bounds the keys remembered of one object.
const maxKnownKeys = 128

// NewNames returns the set of the given keys.
func NewNames(names ...string) *Names {
	n := &Names{index: make(map[string]*nameKey, len(names))}
	for _, name := range names {
		if _, ok := n.index[name]; !ok {
			n.index[name] = &nameKey{name: name, spell: len(n.index), bit: len(n.index)}
		}
	}
	return n
}

// With returns a copy of n in which each key of renames is also accepted,
// as the known name it maps to: With(map[string]string{"donor_email":
// "email"}) reads "donor_email" as "email". Renames to unknown names are
// reported as an error.
func (n *Names) With(renames map[string]string) (*Names, error) {
	out := &Names{index: make(map[string]*nameKey, len(n.index)+len(renames)), renamed: n.renamed}
	for k, v := range n.index {
		out.index[k] = v
	}
	for from, to := range renames {
		k, ok := n.index[to]
		if !ok {
			return nil, fmt.Errorf("flex: rename of %q to unknown field %q", from, to)
		}
		spell := len(out.index)
		if old, ok := out.index[from]; ok {
			spell = old.spell
		}
		out.index[from] = &nameKey{name: k.name, spell: spell, bit: k.bit}
		out.renamed = out.renamed || from != k.name
	}
	return out, nil
}

// words returns the number of 64-bit words of the bitset of an object
// read with n: a bit for each key's text, then, with renames, one for
// each name.
func (n *Names) words() int {
	if n == nil {
		return 0
	}
	bits := len(n.index)
	if n.renamed {
		bits *= 2
	}
	return (bits + 63) / 64
}

// find returns the key of n that data[start:end] is, exactly: its text
// with escapes decoded when escaped; nil for none.
func (n *Names) find(data []byte, start, end int, escaped bool) *nameKey {
	if n == nil {
		return nil
	}
	if escaped {
		return n.index[unescapeKey(data, keyRef{start: start, end: end, escaped: true})]
	}
	return n.index[string(data[start:end])]
}

// Object reads an object, calling fn for each key found in names with the
// name as written in names; other keys' values are skipped. null is an
// empty object. fn must read exactly one value. A key and a rename of it
// (see Names.With) in one object are a duplicate key.
func (d *Decoder) Object(names *Names, fn func(d *Decoder, name string) error) error {
	if ok, err := d.open(); !ok {
		return err
	}
	r := objectReader{m: newMatcher(names)}
	var buf [4]uint64 // the bitset, for up to 256 keys of names
	var seen []uint64
	if w := names.words(); w <= len(buf) {
		seen = buf[:w]
	} else {
		seen = make([]uint64, w)
	}
	for n := 0; ; n++ {
		k, start, l, err := d.objectKey(&r, seen, n)
		if err != nil {
			return err
		}
		if k == nil {
			err = d.skipMember(d.data[start:])
		} else {
			err = d.member(names, seen, k, d.data[start:start+2+l], fn)
		}
		if err != nil {
			return err
		}
		if more, err := d.next(); !more {
			if err == nil {
				r.m.remember()
			}
			return err
		}
	}
}

// An objectReader holds what Object has seen of the keys of one object
// that are not in names, when there are some, in a keySet; those in names
// are kept in a bitset, seen (see nameKey), apart, so that it stays on
// the stack.
type objectReader struct {
	m       matcher
	unknown *keySet
}

// objectKey reads key n (from 0) of an object and its colon, and returns
// the key of names it is, nil for none, and where its token starts and
// the length of its text. A key seen before in the object is an *Error.
func (d *Decoder) objectKey(r *objectReader, seen []uint64, n int) (k *nameKey, start, l int, err error) {
	start, l, flags, err := d.keyToken(n)
	if err != nil {
		return nil, 0, 0, err
	}
	escaped := flags&strEscaped != 0
	m := &r.m
	guessed := false
	if i := m.i; !m.departed && i < len(m.guess) && m.guess[i].raw == string(d.data[start+1:start+1+l]) {
		k, guessed = m.guess[i].key, true
		m.i++
	} else {
		k = m.depart(d.data, start+1, start+1+l, escaped)
	}
	if k != nil {
		w, b := k.spell/64, uint64(1)<<(k.spell%64)
		if seen[w]&b != 0 {
			return nil, 0, 0, d.duplicate(start, l)
		}
		seen[w] |= b
	} else {
		if r.unknown == nil {
			r.unknown = d.keySet()
		}
		// A key as the last object had it is known to differ from the
		// keys before it, which it had too.
		if r.unknown.add(d.data, start+1, start+1+l, escaped, guessed) {
			return nil, 0, 0, d.duplicate(start, l)
		}
	}
	return k, start, l, d.colon()
}

// member reads the value of the key k of names, whose token is tok, with
// fn. With renames, a name read before in the object is an *Error.
func (d *Decoder) member(names *Names, seen []uint64, k *nameKey, tok []byte, fn func(d *Decoder, name string) error) error {
	d.push(k.name)
	if names.renamed {
		i := len(names.index) + k.bit
		w, b := i/64, uint64(1)<<(i%64)
		if seen[w]&b != 0 {
			err := &Error{Field: d.field(), Value: describe(tok), Want: "each field at most once in an object, under its name or a rename"}
			d.pop()
			return err
		}
		seen[w] |= b
	}
	err := fn(d, k.name)
	d.pop()
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

func newMatcher(names *Names) matcher {
	m := matcher{names: names}
	if names != nil {
		if p := names.last.Load(); p != nil {
			m.guess = *p
		}
	}
	return m
}

// depart looks up the key data[start:end], not the one expected next (or
// one after another was not), and keeps the keys read from then on.
func (m *matcher) depart(data []byte, start, end int, escaped bool) *nameKey {
	i := m.i
	m.i++
	k := m.names.find(data, start, end, escaped)
	if !m.departed {
		m.departed = true
		m.seen = append(make([]knownKey, 0, i+8), m.guess[:i]...)
	}
	if m.names != nil && len(m.seen) < maxKnownKeys {
		kk := knownKey{key: k}
		if k != nil && k.name == string(data[start:end]) {
			kk.raw = k.name
		} else {
			kk.raw = string(data[start:end])
		}
		m.seen = append(m.seen, kk)
	}
	return k
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
