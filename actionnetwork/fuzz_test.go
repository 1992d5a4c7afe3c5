package actionnetwork_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/fixtures"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// FuzzParse decodes any body through Parse and Source.Decode: no panic, an
// error is a clear one (naming a field or a byte offset, and ErrInvalid
// from Decode), and a body that decodes gives one event per element.
func FuzzParse(f *testing.F) {
	for _, data := range fixtures.Bodies(f) {
		f.Add(data)
	}
	f.Add([]byte(`[{"osdi:donation":{"identifiers":["action_network:x"],"amount":"1"},"osdi:signature":{}}]`))
	src := newSource(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := actionnetwork.Parse(body); err != nil && !fixtures.Clear(err) {
			t.Fatalf("Parse error %v (%T) names neither a field nor an offset", err, err)
		}
		dec, err := src.Decode(&donorsync.Delivery{Tenant: "acme", Body: body})
		if err != nil {
			if !errors.Is(err, donorsync.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		p, err := actionnetwork.Parse(body)
		if err != nil || len(dec.Events) != len(p.Elements) {
			t.Fatalf("Decode succeeded where Parse fails (%v), or %d events", err, len(dec.Events))
		}
		for _, ev := range dec.Events {
			if ev.Donation != nil && ev.Donation.ExternalID == "" {
				t.Fatalf("donation without an id: %+v", ev)
			}
			for _, a := range ev.Activities {
				if a.Key == "" || ev.Contact == nil {
					t.Fatalf("activity without a key or a contact: %+v", ev)
				}
			}
		}
	})
}

// FuzzAuthenticate never accepts a wrong URL token, or a wrong Basic Auth
// where the tenant's token requires it, and rejects with ErrUnauthorized.
func FuzzAuthenticate(f *testing.F) {
	locked := actionnetwork.Credential{Tenant: "locked", Token: token + "-locked", Username: "an", Password: "basic-secret"}
	f.Add(token, "", "")
	f.Add(token[:len(token)-1], "", "")
	f.Add(locked.Token, locked.Username, locked.Password)
	f.Add(locked.Token, locked.Username, locked.Password+"x")
	f.Add(token, locked.Username, locked.Password)
	f.Add("", "", "")
	a, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "acme", Token: token}, locked)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok, user, pass string) {
		for _, tenant := range []string{"acme", "locked"} {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.SetPathValue("tenant", tenant)
			r.SetPathValue("token", tok)
			if user != "" || pass != "" {
				r.SetBasicAuth(user, pass)
			}
			got, err := a.Authenticate(r)
			right := tenant == "acme" && tok == token ||
				tenant == "locked" && tok == locked.Token && user == locked.Username && pass == locked.Password
			if right != (err == nil) || (err == nil && got != tenant) {
				t.Fatalf("tenant %s token %q basic %q:%q: got %q, %v", tenant, tok, user, pass, got, err)
			}
			if err != nil && !errors.Is(err, donorsync.ErrUnauthorized) {
				t.Fatalf("error %v does not match ErrUnauthorized", err)
			}
		}
	})
}

// parseWithEncodingJSON decodes body as Parse does, with encoding/json and
// the struct tags of the payload types.
func parseWithEncodingJSON(body []byte) (*actionnetwork.Payload, error) {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '[' {
		return nil, errors.New("not an array")
	}
	p := &actionnetwork.Payload{}
	if err := flex.Unmarshal(body, &p.Elements); err != nil {
		return nil, err
	}
	return p, nil
}

// FuzzParseMatchesEncodingJSON holds Parse, the one-pass decoder, to the
// result of encoding/json with the payload's struct tags.
func FuzzParseMatchesEncodingJSON(f *testing.F) {
	for _, data := range fixtures.Bodies(f) {
		f.Add(data)
	}
	for _, s := range []string{`null`, `[]`, `{}`, `[null]`, `[1]`, ` [{"osdi:signature":null}]`,
		`[{"OSDI:SIGNATURE":{"PERSON":{"Given_Name":"a"}},"osdi:donation":{}}]`,
		`[{"osdi:donation":{"amount":"1.00","amount":null,"recipients":[{"amount":"2"}],"recipients":[{"display_name":"x"}]}}]`,
		`[{"osdi:signature":{"person":{"custom_fields":{"a":[1,"b"],"c":null}},"person":{"given_name":"z"}}}]`,
		`[{"osdi:signature":{"_links":{"self":[{"href":"a"},{"href":"b"}],"x":{"HREF":"c"},"y":[1]}}}]`,
		`[{"action_network:sponsor":{"TITLE":"g"},"idempotency_key":"k","osdi:outreach":{"identifiers":["action_network:x",null]}}]`,
		`[{"osdi:donation":{"action_network:recurrence":{"recurring":"true"}}}] x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, errFast := actionnetwork.Parse(body)
		slow, errSlow := parseWithEncodingJSON(body)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("Parse error %v, encoding/json error %v for %q", errFast, errSlow, body)
		}
		if errFast != nil {
			return
		}
		if diff := cmp.Diff(slow, fast, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("Parse differs from encoding/json for %q (-json +parse):\n%s", body, diff)
		}
	})
}
