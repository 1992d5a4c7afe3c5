package flex_test

import (
	"errors"
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
	var se *flex.SyntaxError
	if err := d.Skip(); !errors.As(err, &se) {
		t.Errorf("deep nesting: %v, want a syntax error", err)
	}
}
