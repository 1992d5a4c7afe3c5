package anedot_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/fixtures"
)

// FuzzParse decodes any body through Parse and Source.Decode: no panic, an
// error is a clear one (naming a field or a byte offset, and ErrInvalid
// from Decode), and every donation or commitment made has its natural key.
func FuzzParse(f *testing.F) {
	for _, data := range fixtures.Bodies(f) {
		f.Add(data)
	}
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	src := newSource(f, anedot.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		_, perr := anedot.Parse(body)
		if perr != nil && !fixtures.Clear(perr) {
			t.Fatalf("Parse error %v (%T) names neither a field nor an offset", perr, perr)
		}
		dec, err := src.Decode(&donorsync.Delivery{Tenant: "acme", Body: body})
		if (err == nil) != (perr == nil) && perr != nil {
			t.Fatalf("Decode succeeded where Parse fails: %v", perr)
		}
		if err != nil {
			if !errors.Is(err, donorsync.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		for _, ev := range dec.Events {
			if ev.Donation != nil && ev.Donation.ExternalID == "" || ev.Commitment != nil && ev.Commitment.ExternalID == "" {
				t.Fatalf("an event without its natural key: %+v", ev)
			}
		}
	})
}

// FuzzAuthenticate never accepts a signature that is not the HMAC of the
// body with the tenant's secret.
func FuzzAuthenticate(f *testing.F) {
	body := []byte(`{"event":"donation_completed","payload":{"donation":{"id":"d1"}}}`)
	good := anedot.Sign(token, body)
	f.Add(good, body)
	f.Add("sha256="+good, body)
	f.Add(good[:63]+"0", body)
	f.Add("", []byte{})
	v, err := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: token})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		tenant, err := verify(t, v, "/webhooks/anedot/acme", sig, body)
		want := anedot.Sign(token, body)
		trimmed := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(sig), "sha256="), "SHA256=")
		right := strings.EqualFold(trimmed, want)
		if err == nil && (!right || tenant != "acme") {
			t.Fatalf("signature %q accepted for body %q", sig, body)
		}
		if err == nil != right && strings.TrimSpace(sig) == sig {
			t.Fatalf("signature %q: accepted=%v, want %v", sig, err == nil, right)
		}
	})
}

// parseWithEncodingJSON decodes body as Parse does, with encoding/json and
// the struct tags of the payload types: the envelope, then the payload
// into the template of the event.
func parseWithEncodingJSON(body []byte) (*anedot.Payload, error) {
	var env struct {
		Event   flex.String     `json:"event"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := flex.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	if env.Event.Value == "" {
		return nil, errors.New("no event")
	}
	if env.Payload == nil {
		return nil, errors.New("no payload")
	}
	p := &anedot.Payload{Event: env.Event.Value, Raw: env.Payload}
	var template any
	switch {
	case p.Event == anedot.SubmissionCreated:
		p.Submission = &anedot.Submission{}
		template = p.Submission
	case strings.HasPrefix(p.Event, "commitment_"):
		p.Commitment = &anedot.Commitment{}
		template = p.Commitment
	case strings.HasPrefix(p.Event, "donation_") || p.Event == anedot.DonationSettled:
		p.Donation = &anedot.Donation{}
		template = p.Donation
	default:
		return p, nil
	}
	if err := flex.Unmarshal(env.Payload, template); err != nil {
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
	for _, s := range []string{`null`, `{}`, `[]`, `{"event":"donation_completed","payload":null}`,
		`{"EVENT":"donation_completed","Payload":{"DONATION":{"ID":"x"},"Email":"a@b.org"}}`,
		`{"event":"donation_completed","payload":{"donation":{"id":"a"},"donation":{"fees":{"vendor_fees":[{"amount":"1"}]}}}}`,
		`{"event":"commitment_updated","payload":{"changed_attributes":{"status":["a","b"]},"changed_attributes":null}}`,
		`{"event":"submission_created","payload":{"custom_field_responses":[],"donations":[{"id":"d","fund":{"name":"f"}}]}}`,
		`{"event":"submission_created","payload":{"custom_field_responses":{"a":["x",1],"b":null}}}`,
		`{"event":"settlement_date","payload": {"amount_in_dollars": 5} }`, `{"event":"x","payload":5}`,
		`{"event":"donation_voided","payload":"x"}`, `{"event":"donation_completed","payload":{}}x`} {
		f.Add([]byte(s))
	}
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	names := fixtures.Names(anedot.Submission{}, anedot.Donation{}, anedot.Commitment{})
	names["event"], names["payload"] = true, true
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, errFast := anedot.Parse(body)
		slow, errSlow := parseWithEncodingJSON(body)
		fixtures.MatchReference(t, body, names, fast, errFast, slow, errSlow)
	})
}

// hostileSeeds are bodies that once decoded wrongly or slowly, and their
// neighbours.
var hostileSeeds = []string{
	`{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":"50.0","AMOUNT_IN_DOLLARS":"7777.00"}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":"50.0","amount_in_dollars":"7777.00"}}`,
	`{"event":"donation_completed","event":"donation_voided","payload":{"donation":{"id":"d1"}}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":99999999},"amount_in_dollars":"1"}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":99999999.0},"amount_in_dollars":"1"}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":1.5e3},"amount_in_dollars":"1"}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":"7400\u00000004"},"amount_in_dollars":"1"}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":"74000004"},"amount_in_dollars":"1"}}`,
	`{"event":"submission_created","payload":{"id":"s","donations":[` + strings.Repeat(`{},`, 1000) + `{}]}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":` + strings.Repeat("9", 41) + `}}`,
	`{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":"` + strings.Repeat("9", 41) + `"}}`,
	`{"event":"commitment_updated","payload":{"changed_attributes":{"a":` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70) + `}}}`,
}
