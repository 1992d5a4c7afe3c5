package donorsync

import (
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// changedFields returns the names of the fields of the structs a and b
// (of one type) whose values differ, as they are named in JSON (snake
// case unless a tag says otherwise), sorted by their order in the type,
// leaving out those named in skip. Times compare as instants and
// decimals as numbers, wherever they are: a record read back from a
// store equals the one written.
func changedFields(a, b any, skip ...string) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || slices.Contains(skip, f.Name) {
			continue
		}
		if !equalValues(va.Field(i), vb.Field(i)) {
			out = append(out, jsonName(f))
		}
	}
	return out
}

// equalValues reports whether a and b hold the same value: as
// reflect.DeepEqual, but with the type's Equal method where it has one
// (time.Time, decimal.Decimal), and nil and empty maps and slices alike.
func equalValues(a, b reflect.Value) bool {
	if m, ok := a.Type().MethodByName("Equal"); ok && m.Type.NumIn() == 2 && m.Type.In(1) == a.Type() &&
		m.Type.NumOut() == 1 && m.Type.Out(0).Kind() == reflect.Bool {
		return a.Method(m.Index).Call([]reflect.Value{b})[0].Bool()
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValues(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			w := b.MapIndex(it.Key())
			if !w.IsValid() || !equalValues(it.Value(), w) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValues(a.Elem(), b.Elem())
	}
	if a.Comparable() {
		return a.Equal(b)
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// jsonName is the name of field f in JSON: its tag's, or its name in
// snake case.
func jsonName(f reflect.StructField) string {
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
		return tag
	}
	return snake(f.Name)
}

// snake writes a Go name in snake case: FirstName first_name, SettledAt
// settled_at, FECID fecid.
func snake(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) ||
			i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
