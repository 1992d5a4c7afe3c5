package donation

import (
	"time"

	"github.com/shopspring/decimal"
)

// A fieldMerge folds an observation into a record one field at a time.
// Each known value was seen at a time: the one Seen holds for its field,
// else the SourceTime of its record. The value seen last wins, and on
// equal times the greater value, so that the result of merges never
// depends on their order. An observation that lacks a field leaves the
// field's value, and the time it was seen, as they were: the record's
// SourceTime, which the merge advances, no longer says when that value
// was seen, and the merge notes it in the record's Seen.
//
// A field is named by a name, or for an entry of a map by the map's name
// and the entry's key, joined only when a Seen is consulted or written.
type fieldMerge struct {
	cur, in         time.Time            // the SourceTime of the record and of the observation
	curSeen, inSeen map[string]time.Time // the Seen of the record and of the observation
	newest          time.Time            // the record's SourceTime after the merge
	seen            map[string]time.Time // the record's Seen after the merge
}

func newFieldMerge(cur, in time.Time, curSeen, inSeen map[string]time.Time) fieldMerge {
	newest := cur
	if in.After(cur) {
		newest = in
	}
	return fieldMerge{cur: cur, in: in, curSeen: curSeen, inSeen: inSeen, newest: newest}
}

// seenAt returns when a known value of the field named name and key was
// seen: at its record's SourceTime, unless seen says otherwise.
func seenAt(seen map[string]time.Time, name, key string, source time.Time) time.Time {
	if len(seen) == 0 {
		return source
	}
	if at, ok := seen[name+key]; ok {
		return at
	}
	return source
}

// take reports whether a field takes the observation's value. known and
// curKnown tell whether the observation and the record know a value;
// greater, called when both do and were seen at the same time, whether
// the observation's is the greater. It notes when the value the field
// keeps was seen.
func (m *fieldMerge) take(name, key string, known, curKnown bool, greater func() bool) bool {
	inAt, curAt := seenAt(m.inSeen, name, key, m.in), seenAt(m.curSeen, name, key, m.cur)
	take := known && (!curKnown || inAt.After(curAt) || inAt.Equal(curAt) && greater())
	switch {
	case take:
		m.note(name, key, inAt)
	case curKnown:
		m.note(name, key, curAt)
	}
	return take
}

// note records that the value of a field was seen at, when that is
// before the record's new SourceTime.
func (m *fieldMerge) note(name, key string, at time.Time) {
	if !at.Before(m.newest) {
		return
	}
	if m.seen == nil {
		m.seen = make(map[string]time.Time)
	}
	m.seen[name+key] = at
}

func (m *fieldMerge) text(name string, dst *string, v string) {
	if m.take(name, "", v != "", *dst != "", func() bool { return v > *dst }) {
		*dst = v
	}
}

// amount merges an amount that zero leaves unknown.
func (m *fieldMerge) amount(name string, dst *decimal.Decimal, v decimal.Decimal) {
	if m.take(name, "", !v.IsZero(), !dst.IsZero(), func() bool { return v.GreaterThan(*dst) }) {
		*dst = v
	}
}

func (m *fieldMerge) nullAmount(name string, dst *decimal.NullDecimal, v decimal.NullDecimal) {
	if m.take(name, "", v.Valid, dst.Valid, func() bool { return v.Decimal.GreaterThan(dst.Decimal) }) {
		*dst = v
	}
}

func (m *fieldMerge) time(name string, dst *time.Time, v time.Time) {
	if m.take(name, "", !v.IsZero(), !dst.IsZero(), func() bool { return v.After(*dst) }) {
		*dst = v
	}
}

// texts merges maps of text, each key a field of its own, named name and
// the key.
func (m *fieldMerge) texts(name string, dst, src map[string]string) map[string]string {
	for k, v := range dst {
		if _, ok := src[k]; !ok {
			m.take(name, k, false, v != "", nil)
		}
	}
	for k, v := range src {
		cur := dst[k]
		if !m.take(name, k, v != "", cur != "", func() bool { return v > cur }) {
			continue
		}
		if dst == nil {
			dst = make(map[string]string, len(src))
		}
		dst[k] = v
	}
	return dst
}

// latest reports whether an observation seen at in beats the record's
// SourceTime cur, greater telling whether its value is the greater: for
// what belongs to the newest observation as a whole.
func latest(in, cur time.Time, greater bool) bool {
	return in.After(cur) || in.Equal(cur) && greater
}
