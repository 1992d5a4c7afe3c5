package flex_test

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/donorsync/donorsync/flex"
)

func TestDecoderErrorPathWithEmptyKey(t *testing.T) {
	t.Parallel()
	var v flex.Money
	d := flex.NewDecoder([]byte(`{"a": {"": {"b": "x"}}}`))
	err := d.Map(func(d *flex.Decoder, _ string) error {
		return d.Map(func(d *flex.Decoder, _ string) error {
			return d.Object(flex.NewNames("b"), func(d *flex.Decoder, _ string) error { return d.Money(&v) })
		})
	})
	var fe *flex.Error
	if !errors.As(err, &fe) || fe.Field != "a..b" {
		t.Errorf("error %v, want a *flex.Error at a..b", err)
	}
}

func TestDecoderRejectsInvalidJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}",
		`{"a":"\u12"}`, `{"a":tru}`, `{"a":1}x`, `{"a":"b",πŸ‘ˆ}`, `{`, `[`, `"abc`, ``, `{"a":[1 2]}`, `{1:2}`,
	} {
		d := flex.NewDecoder([]byte(in))
		err := d.Skip()
		if err == nil {
			err = d.End()
		}
		var se *flex.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want *flex.SyntaxError", in, err)
		}
	}
	for _, in := range []string{`{"a":[1,2,{"b":null}],"c":-0.5e+3,"d":"\u00e9\n"}`, ` [] `, `"x"`, `true`, `0`} {
		d := flex.NewDecoder([]byte(in))
		if err := d.Skip(); err != nil || d.End() != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestDecoderDepthLimit(t *testing.T) {
	t.Parallel()
	deep := make([]byte, 0, 40002)
	for range 20001 {
		deep = append(deep, '[')
	}
	d := flex.NewDecoder(deep)
	var le *flex.LimitError
	if err := d.Skip(); !errors.As(err, &le) || le.Limit != 64 || le.What != "levels of nesting" {
		t.Errorf("deep nesting: %v, want a *flex.LimitError at 64 levels of nesting", err)
	}
}

// readKeys decodes an object of Int values with names, returning what was
// read by name.
func readKeys(t *testing.T, names *flex.Names, in string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	d := flex.NewDecoder([]byte(in))
	err := d.Object(names, func(d *flex.Decoder, name string) error {
		var v flex.Int
		if err := d.Int(&v); err != nil {
			return err
		}
		got[name] = v.Value
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", in, err)
	}
	return got
}

// Names remember the keys of the last object in order; objects written
// otherwise must read the same as with names never used before.
func TestObjectKeysInAnyOrder(t *testing.T) {
	t.Parallel()
	newNames := func() *flex.Names {
		n, err := flex.NewNames("a", "b", "email").With(map[string]string{"donor_email": "email"})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	shared := newNames()
	for _, in := range []string{
		`{"a":1,"b":2}`, `{"a":1,"b":2}`, `{"b":3,"a":4}`, `{"a":5,"x":9,"b":6}`, `{"a":7,"x":9,"b":8}`,
		`{"a":9}`, `{"a":10,"b":11,"email":12}`, `{"A":13,"B":14}`, `{"A":15,"B":16}`, `{"\u0061":17,"b":18}`,
		`{"\u0061":19,"b":20}`, `{"donor_email":21}`, `{"donor_email":22,"Email":23}`, `{}`, `{"x":1,"y":2}`,
		`{"x":1,"a":24}`, `{"a":25,"b":26}`,
	} {
		got, want := readKeys(t, shared, in), readKeys(t, newNames(), in)
		if !maps.Equal(got, want) {
			t.Errorf("%s: read %v after other objects, %v with new names", in, got, want)
		}
	}
}

func TestObjectKeysConcurrently(t *testing.T) {
	t.Parallel()
	names := flex.NewNames("a", "b", "c")
	shapes := []struct {
		in   string
		want map[string]int64
	}{
		{`{"a":1,"b":2,"c":3}`, map[string]int64{"a": 1, "b": 2, "c": 3}},
		{`{"c":3,"b":2}`, map[string]int64{"b": 2, "c": 3}},
		{`{"z":0,"a":1}`, map[string]int64{"a": 1}},
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				s := shapes[(g+i)%len(shapes)]
				if got := readKeys(t, names, s.in); !maps.Equal(got, s.want) {
					t.Errorf("%s: read %v, want %v", s.in, got, s.want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The keys of an open object are kept while deeper objects are read for
// the first time (which once moved them, and lost or mixed them up).
func TestDuplicateKeysAcrossDepths(t *testing.T) {
	t.Parallel()
	var keys strings.Builder
	for i := range 70 {
		fmt.Fprintf(&keys, `"k%d":{"a":{"b":{"c":%d}}},`, i, i)
	}
	for _, tt := range []struct {
		in   string
		want string // "" for none
	}{
		{`{` + keys.String() + `"z":0}`, ""},
		{`{` + keys.String() + `"k3":0}`, "field k3"},
		{`{"x":{` + keys.String() + `"k69":0},"y":{` + keys.String() + `"z":0}}`, "field x.k69"},
		{`[{` + keys.String() + `"z":0},{` + keys.String() + `"z":0},{` + keys.String() + `"k0":{}}]`, "field [2].k0"},
	} {
		d := flex.NewDecoder([]byte(tt.in))
		err := d.Skip()
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%.40s…: %v, want %q", tt.in, err, tt.want)
		}
	}
}

// A field under its name and under a rename in one object is a duplicate;
// either alone is read.
func TestRenamedFieldOnce(t *testing.T) {
	t.Parallel()
	names, err := flex.NewNames("email", "a").With(map[string]string{"donor_email": "email"})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		`{"donor_email":1,"a":2}`:           "",
		`{"email":1,"a":2}`:                 "",
		`{"email":1,"donor_email":2}`:       `field email: invalid value "donor_email"`,
		`{"donor_email":1,"a":0,"email":2}`: `field email: invalid value "email"`,
	} {
		err := flex.NewDecoder([]byte(in)).Object(names, func(d *flex.Decoder, _ string) error { return d.Skip() })
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

// Map refuses a key that is not text as sent, which made valid could
// become another key of the object, and takes two keys that decode alike
// for one key written twice.
func TestMapRefusesKeysNotTextAndDuplicates(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a\u0000":1}`:             `field a: invalid value "a\u0000": want a key of valid UTF-8`,
		`{"a":1,"a\u0000":2}`:       `field a: invalid value "a\u0000"`,
		"{\"a\xff\":1}":             "field a\uFFFD: invalid value \"a\xff\"",
		`{"\ud800":1}`:              `field ` + "\uFFFD" + `: invalid value "\ud800"`,
		`{"\ufffd":1}`:              `invalid value "\ufffd"`,
		`{"a":1,"\u0061":2}`:        `field a: invalid value "\u0061": want each key at most once`,
		`{"é":1,"\u00e9":2}`:        `field é: invalid value "\u00e9": want each key at most once`,
		`{"x":{"k":{"b\u0000":1}}}`: `field x.k.b: invalid value`,
	} {
		var read func(d *flex.Decoder, key string) error
		read = func(d *flex.Decoder, _ string) error {
			if d.Peek() == '{' {
				return d.Map(read)
			}
			return d.Skip()
		}
		err := flex.NewDecoder([]byte(in)).Map(read)
		var fe *flex.Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want a *flex.Error containing %q", in, err, want)
		}
	}
	var m map[string]string
	if err := flex.NewDecoder([]byte(`{"é":1,"a b":"2","\u00e8":3}`)).TextMap(&m); err != nil ||
		!maps.Equal(m, map[string]string{"é": "1", "a b": "2", "è": "3"}) {
		t.Errorf("TextMap: %v (%v)", m, err)
	}
}

// Object refuses a key written twice whether it is known or not, whether
// the object starts as the last one read did or not, and whatever the
// number of names.
func TestObjectDuplicateKeys(t *testing.T) {
	t.Parallel()
	many := make([]string, 300)
	var all strings.Builder
	for i := range many {
		many[i] = fmt.Sprintf("n%d", i)
		fmt.Fprintf(&all, `"n%d":%d,`, i, i)
	}
	manyNames := flex.NewNames(many...)
	small := flex.NewNames("a", "b")
	for _, tt := range []struct {
		names   *flex.Names
		in, err string
	}{
		{small, `{"a":1,"u":2,"b":3}`, ""},
		{small, `{"a":1,"u":2,"b":3}`, ""}, // as the last one
		{small, `{"a":1,"u":2,"u":3}`, "field u: invalid value"},
		{small, `{"a":1,"u":2,"b":3,"a":4}`, "field a: invalid value"},
		{small, `{"u":1,"a":2,"\u0061":3}`, "field a: invalid value"},
		{small, `{"a":1,"u":2,"v":3,"\u0075":4}`, "field u: invalid value"},
		{manyNames, `{` + all.String() + `"x":0}`, ""},
		{manyNames, `{` + all.String() + `"n299":0}`, "field n299: invalid value"},
		{manyNames, `{"n70":0,"n1":0,"n70":1}`, "field n70: invalid value"},
	} {
		err := flex.NewDecoder([]byte(tt.in)).Object(tt.names, func(d *flex.Decoder, _ string) error { return d.Skip() })
		if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err+` "`) {
			t.Errorf("%.40s: %v, want %q", tt.in, err, tt.err)
		}
	}
}
