package flex

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"sync"
)

// A keySet holds the keys of the object being read at one depth, to find
// a key written twice in time linear in the keys: a few are compared one
// by one, more are looked up in a hash table that is reused, not cleared,
// from one object to the next (a slot belongs to the current object when
// it has the current generation).
type keySet struct {
	keys    []keyRef
	slots   []slot
	gen     uint32
	indexed int // the keys entered in slots
}

// keyRef is a key of the current object: the hash of its text and where
// its raw text (between the quotes) lies in the input.
type keyRef struct {
	hash       uint64
	start, end int
	escaped    bool
}

type slot struct {
	gen uint32
	idx int32
}

// linearKeys is the number of keys of an object compared one by one
// before a hash table is used.
const linearKeys = 8

// keySets are the key sets of the decoders done reading (see End), for
// the next ones: a decoder made for each body then reads without
// allocating them.
var keySets = sync.Pool{New: func() any { return new([]*keySet) }}

// keySet returns the key set of the object at the current depth, emptied.
func (d *Decoder) keySet() *keySet {
	if d.sets == nil {
		d.sets = keySets.Get().(*[]*keySet)
	}
	for len(*d.sets) < d.depth {
		*d.sets = append(*d.sets, new(keySet)) // by pointer: an open object's set stays put
	}
	ks := (*d.sets)[d.depth-1]
	ks.keys = ks.keys[:0]
	ks.gen++
	ks.indexed = 0
	return ks
}

// add records the key whose raw text is data[start:end], with escapes
// when escaped, and reports whether the object already had it. A trusted
// key is known to differ from those before it: it is recorded, not
// compared (nor hashed).
func (ks *keySet) add(data []byte, start, end int, escaped, trusted bool) bool {
	k := keyRef{start: start, end: end, escaped: escaped}
	if trusted {
		ks.keys = append(ks.keys, k)
		return false
	}
	if len(ks.keys) < linearKeys {
		for _, o := range ks.keys {
			if (o.end-o.start == k.end-k.start || o.escaped || k.escaped) && sameKey(data, o, k) {
				return true
			}
		}
		ks.keys = append(ks.keys, k)
		return false
	}
	k.hash = hash(data, k)
	if ks.indexed < len(ks.keys) || 2*(len(ks.keys)+1) > len(ks.slots) {
		ks.grow(data)
	}
	mask := uint64(len(ks.slots) - 1)
	for i := k.hash & mask; ; i = (i + 1) & mask {
		s := &ks.slots[i]
		if s.gen != ks.gen {
			*s = slot{gen: ks.gen, idx: int32(len(ks.keys))}
			ks.keys = append(ks.keys, k)
			ks.indexed++
			return false
		}
		if o := ks.keys[s.idx]; o.hash == k.hash && sameKey(data, o, k) {
			return true
		}
	}
}

// grow makes the hash table large enough for twice the keys, and enters
// them in it.
func (ks *keySet) grow(data []byte) {
	n := 4 * linearKeys
	for n < 4*(len(ks.keys)+1) {
		n *= 2
	}
	if n > len(ks.slots) {
		ks.slots = make([]slot, n)
	}
	ks.gen++ // the slots of the keys entered so far, in a smaller table, are stale
	mask := uint64(len(ks.slots) - 1)
	for idx, k := range ks.keys {
		if idx >= ks.indexed {
			k.hash = hash(data, k) // compared or trusted, not hashed, until now
			ks.keys[idx] = k
		}
		i := k.hash & mask
		for ks.slots[i].gen == ks.gen {
			i = (i + 1) & mask
		}
		ks.slots[i] = slot{gen: ks.gen, idx: int32(idx)}
	}
	ks.indexed = len(ks.keys)
}

// hash returns the hash of the text of k.
func hash(data []byte, k keyRef) uint64 {
	if k.escaped {
		return maphash.String(seed, unescapeKey(data, k))
	}
	return maphash.Bytes(seed, data[k.start:k.end])
}

func sameKey(data []byte, a, b keyRef) bool {
	if !a.escaped && !b.escaped {
		return bytes.Equal(data[a.start:a.end], data[b.start:b.end])
	}
	return unescapeKey(data, a) == unescapeKey(data, b)
}

// unescapeKey returns the text of a key as encoding/json reads it.
func unescapeKey(data []byte, k keyRef) string {
	if !k.escaped {
		return string(data[k.start:k.end])
	}
	var s string
	if json.Unmarshal(data[k.start-1:k.end+1], &s) != nil {
		return string(data[k.start:k.end])
	}
	return s
}

// seed is random for each process, so that a sender cannot choose keys
// that collide in the hash table.
var seed = maphash.MakeSeed()
