package actblue_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/fixtures"
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
	for _, s := range hostileSeeds {
		f.Add([]byte(s), "")
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
// result of encoding/json with the payload's struct tags, on every body
// without a case variant of a known key; both refuse duplicate keys,
// non-canonical ids and bodies over budget.
func FuzzParseMatchesEncodingJSON(f *testing.F) {
	for _, data := range fixtures.Bodies(f) {
		f.Add(data)
	}
	for _, s := range []string{`null`, `{}`, `[]`, `{"DONOR":{"FirstName":"x"}}`, `{"donor":{"firstname":"a"},"donor":{"lastname":"b"}}`,
		`{"lineitems":[{"amount":"1"},{"amount":"2"}],"lineitems":[{"sequence":3}]}`, `{"form":{"name":"a"},"form":null}`,
		`{"do\u006eor":{"email":"\u0041@b.org"}}`, `{"contribution":{"refcodes":[]}} `, `{"a":1}x`, `{"a":01}`, `{"a":"\x01"}`} {
		f.Add([]byte(s))
	}
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	names := fixtures.Names(actblue.Payload{})
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, errFast := actblue.Parse(body)
		var slow actblue.Payload
		errSlow := flex.Unmarshal(body, &slow)
		fixtures.MatchReference(t, body, names, fast, errFast, &slow, errSlow)
	})
}

// hostileSeeds are bodies that once decoded wrongly or slowly, and their
// neighbours.
var hostileSeeds = []string{
	`{"lineitems":[{"lineitemId":"1","amount":"50.0","AMOUNT":"7777.00"}]}`,
	`{"lineitems":[{"lineitemId":"1","amount":"50.0","amount":"7777.00"}]}`,
	`{"lineitems":[{"lineitemId":"1","amount":"50.0","am\u006funt":"7777.00"}]}`,
	`{"lineitems":[{"lineitemId":"1","amount":"50.0","x":1,"x":2}]}`,
	`{"lineitems":[{"lineitemId":99999999,"amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":"99999999","amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":99999999.0,"amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":1.5e3,"amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":1500,"amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":-1,"amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":"7400\u00000004","amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":"74000004","amount":"1"}]}`,
	"{\"lineitems\":[{\"lineitemId\":\"7400\xff0004\",\"amount\":\"1\"}]}",
	`{"lineitems":[{"lineitemId":"\ud800","amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":" 1","amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":true,"amount":"1"}]}`,
	`{"lineitems":[{"lineitemId":"1","amount":"` + strings.Repeat("9", 41) + `"}]}`,
	`{"lineitems":[{"lineitemId":"1","amount":` + strings.Repeat("9", 41) + `}]}`,
	`{"lineitems":[{"lineitemId":"1","amount":` + strings.Repeat("9", 40) + `}]}`,
	`{"lineitems":[` + strings.Repeat(`{},`, 1000) + `{}]}`,
	`{"lineitems":[` + strings.Repeat(`{},`, 999) + `{}]}`,
	`{"x":` + strings.Repeat(`[`, 65) + strings.Repeat(`]`, 65) + `}`,
	`{"x":` + strings.Repeat(`[`, 63) + strings.Repeat(`]`, 63) + `}`,
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
