package actblue_test

import (
	"errors"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/fixtures"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// FuzzParse decodes any body through Parse and Source.Decode: no panic, an
// error is a clear one (naming a field or a byte offset, and ErrInvalid
// from Decode), and a body that decodes gives one keyed donation per line
// item.
func FuzzParse(f *testing.F) {
	for _, data := range fixtures.Bodies(f) {
		f.Add(data, "")
		f.Add(data, "refund")
	}
	s := newSource(f)
	f.Fuzz(func(t *testing.T, body []byte, kind string) {
		if _, err := actblue.Parse(body); err != nil && !fixtures.Clear(err) {
			t.Fatalf("Parse error %v (%T) names neither a field nor an offset", err, err)
		}
		dec, err := s.Decode(&donorsync.Delivery{Tenant: "t", Kind: kind, Body: body})
		if err != nil {
			if !errors.Is(err, donorsync.ErrInvalid) {
				t.Fatalf("decode error %v does not match ErrInvalid", err)
			}
			return
		}
		p, err := actblue.Parse(body)
		if err != nil {
			t.Fatalf("Decode succeeded where Parse fails: %v", err)
		}
		if len(dec.Events) != len(p.LineItems) || dec.Key == "" {
			t.Fatalf("%d events for %d line items, key %q", len(dec.Events), len(p.LineItems), dec.Key)
		}
		for _, ev := range dec.Events {
			if ev.Donation == nil || ev.Donation.ExternalID == "" {
				t.Fatalf("event without a keyed donation: %+v", ev)
			}
		}
	})
}

// FuzzParseMatchesEncodingJSON holds Parse, the one-pass decoder, to the
// result of encoding/json with the payload's struct tags.
func FuzzParseMatchesEncodingJSON(f *testing.F) {
	for _, data := range fixtures.Bodies(f) {
		f.Add(data)
	}
	for _, s := range []string{`null`, `{}`, `[]`, `{"DONOR":{"FirstName":"x"}}`, `{"donor":{"firstname":"a"},"donor":{"lastname":"b"}}`,
		`{"lineitems":[{"amount":"1"},{"amount":"2"}],"lineitems":[{"sequence":3}]}`, `{"form":{"name":"a"},"form":null}`,
		`{"do\u006eor":{"email":"\u0041@b.org"}}`, `{"contribution":{"refcodes":[]}} `, `{"a":1}x`, `{"a":01}`, `{"a":"\x01"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, errFast := actblue.Parse(body)
		var slow actblue.Payload
		errSlow := flex.Unmarshal(body, &slow)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("Parse error %v, encoding/json error %v for %q", errFast, errSlow, body)
		}
		if errFast != nil {
			return
		}
		if diff := cmp.Diff(slow, *fast, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("Parse differs from encoding/json for %q (-json +parse):\n%s", body, diff)
		}
	})
}

// FuzzAuthenticate never accepts a wrong username or password, and rejects
// with ErrUnauthorized.
func FuzzAuthenticate(f *testing.F) {
	f.Add(cred.Username, cred.Password)
	f.Add(cred.Username, cred.Password[:23])
	f.Add(cred.Username+cred.Password[:1], cred.Password[1:])
	f.Add("", "")
	a, err := actblue.NewAuthenticator(cred)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, user, pass string) {
		tenant, err := authenticate(t, a, "/webhooks/actblue/acme", user, pass)
		right := user == cred.Username && pass == cred.Password
		if right != (err == nil) || (err == nil && tenant != "acme") {
			t.Fatalf("user %q pass %q: tenant %q err %v", user, pass, tenant, err)
		}
		if err != nil && !errors.Is(err, donorsync.ErrUnauthorized) {
			t.Fatalf("error %v does not match ErrUnauthorized", err)
		}
	})
}
