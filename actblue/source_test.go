package actblue_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// newSource returns a Source that accepts cred.
func newSource(t testing.TB) *actblue.Source {
	t.Helper()
	a, err := actblue.NewAuthenticator(cred)
	if err != nil {
		t.Fatal(err)
	}
	s, err := actblue.NewSource(a, actblue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decode(t testing.TB, body []byte, kind string) (donorsync.Decoded, error) {
	t.Helper()
	return newSource(t).Decode(&donorsync.Delivery{Tenant: "t", Kind: kind, Body: body})
}

// TestGolden decodes every fixture and compares the normalised events with
// the golden files; go test -update rewrites them.
func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		if strings.HasPrefix(name, "bad_") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dec, err := decode(t, fixture(t, name), "")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			golden.JSON(t, filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden"), dec, *update)
		})
	}
}

func TestDecodeFacts(t *testing.T) {
	t.Parallel()
	dec, err := decode(t, fixture(t, "contribution.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if dec.Key != "contribution:99999999" || len(dec.Events) != 1 {
		t.Fatalf("key %q, %d events", dec.Key, len(dec.Events))
	}
	ev := dec.Events[0]
	c, d := ev.Contact, ev.Donation
	checks := []struct {
		name      string
		got, want string
	}{
		{"first name re-cased", c.FirstName, "Peter"},
		{"email normalised", c.Email, "peter.gibbons@initech.example"},
		{"phone without extension", c.Phone, "+15897427087"},
		{"state code", c.Address.State, "TX"},
		{"ZIP+4", c.Address.PostalCode, "78744-1234"},
		{"country", c.Address.Country, "US"},
		{"employer", c.Employer, "Initech"},
		{"occupation", c.Occupation, "Software Engineer"},
		{"line item is the external id", d.ExternalID, "99999999"},
		{"order number", d.OrderNumber, "AB1234567"},
		{"amount", d.Amount.String(), "50"},
		{"net", d.Net.Decimal.String(), "47.96"},
		{"paid at in UTC", d.PaidAt.Format("2006-01-02T15:04:05Z07:00"), "2019-06-07T19:49:33Z"},
		{"entity", d.RecipientID, "99999"},
		{"refcode", d.Refcodes["refcode_email"], "june-blast"},
		{"custom field", d.Custom["How did you hear about us?"], "A friend"},
		{"payment id", d.Payment.Reference, "55501234"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if ev.Commitment != nil || len(ev.Adjustments) != 0 {
		t.Errorf("a one-time contribution has a commitment or adjustments: %+v", ev)
	}
}

func TestZonelessTimesAreEastern(t *testing.T) {
	t.Parallel()
	dec, err := decode(t, fixture(t, "minimal.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	d := dec.Events[0].Donation
	// 2021-11-02 09:15:01 in New York (EDT, UTC-4).
	if got := d.PaidAt.Format("2006-01-02T15:04:05Z07:00"); got != "2021-11-02T13:15:01Z" {
		t.Errorf("paid at = %s, want 2021-11-02T13:15:01Z", got)
	}
	if d.Amount.String() != "25.9" || d.RecipientID != "12345" || d.Payment.Method != "paypal" {
		t.Errorf("donation = amount %s entity %q method %q", d.Amount, d.RecipientID, d.Payment.Method)
	}
	if c := dec.Events[0].Contact; c.Phone != "" || c.Employer != "" || c.FirstName != "Ana" || c.LastName != "López" {
		t.Errorf("contact = %q %q phone %q employer %q", c.FirstName, c.LastName, c.Phone, c.Employer)
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, hint string
		want       actblue.Kind
		key        string
	}{
		{"contribution.json", "", actblue.KindContribution, "contribution:99999999"},
		{"refund.json", "", actblue.KindRefund, "refund:99999999"},
		{"refund.json", "contribution", actblue.KindRefund, "refund:99999999"}, // the payload wins
		{"cancellation.json", "", actblue.KindCancellation, "cancellation:45000001"},
		{"contribution.json", "refund", actblue.KindRefund, "refund:99999999"}, // a refunds-only mount
		{"two_lineitems.json", "", actblue.KindContribution, "contribution:50000001,50000002"},
	}
	for _, tt := range tests {
		p, err := actblue.Parse(fixture(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		p.Hint = actblue.Kind(tt.hint)
		if got := p.Kind(); got != tt.want {
			t.Errorf("%s with hint %q: kind %q, want %q", tt.file, tt.hint, got, tt.want)
		}
		dec, err := decode(t, fixture(t, tt.file), tt.hint)
		if err != nil || dec.Key != tt.key {
			t.Errorf("%s with hint %q: key %q (%v), want %q", tt.file, tt.hint, dec.Key, err, tt.key)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, field string
	}{
		{"bad amount", string(fixture(t, "bad_amount.json")), "lineitems[0].amount"},
		{"no line items", `{"donor":{"email":"a@b.org"},"contribution":{},"lineitems":[]}`, "lineitems"},
		{"missing line item id", `{"lineitems":[{"amount":"5"}]}`, "lineitems[0].lineitemId"},
		{"missing amount", `{"lineitems":[{"lineitemId":7}]}`, "lineitems[0].amount"},
		{"bad time", `{"contribution":{"createdAt":"last tuesday"},"lineitems":[{"lineitemId":7,"amount":"5"}]}`, "contribution.createdAt"},
		{"bad boolean", `{"contribution":{"isPaypal":"perhaps"},"lineitems":[{"lineitemId":7,"amount":"5"}]}`, "contribution.isPaypal"},
		{"refcodes not an object", `{"contribution":{"refcodes":"x"},"lineitems":[{"lineitemId":7,"amount":"5"}]}`, "contribution.refcodes"},
	}
	for _, tt := range tests {
		_, err := decode(t, []byte(tt.body), "")
		if !errors.Is(err, donorsync.ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", tt.name, err)
			continue
		}
		var fe *flex.Error
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: error %v, want a *flex.Error for field %s", tt.name, err, tt.field)
		}
	}
	_, err := decode(t, []byte(`{"donor": {`), "")
	var se *flex.SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("truncated body: error %v, want *flex.SyntaxError", err)
	}
}

func TestTolerantForms(t *testing.T) {
	t.Parallel()
	body := `{"donor":{"email":"x@example.org"},"contribution":{"createdAt":"2019-06-07T15:49:32-04:00","orderNumber":"AB1",
	"refcodes":[],"recurringPeriod":"monthly","recurringDuration":"12","isPaypal":"false","status":"approved"},
	"lineitems":[{"lineitemId":"77","amount":"$1,000.50","sequence":"1","entityId":5,"fecId":null}],"newThing":{"deep":[1,2]}}`
	dec, err := decode(t, []byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	ev := dec.Events[0]
	if ev.Donation.Amount.String() != "1000.5" || ev.Donation.Recurrence.Sequence != 1 || ev.Donation.Recurrence.Duration != "12" {
		t.Errorf("donation = %s seq %d duration %q", ev.Donation.Amount, ev.Donation.Recurrence.Sequence, ev.Donation.Recurrence.Duration)
	}
	if ev.Commitment == nil || ev.Commitment.ExternalID != "AB1" || ev.Commitment.Pledged != 12 || ev.Donation.CommitmentID != "AB1" {
		t.Errorf("commitment = %+v", ev.Commitment)
	}
}

// TestNewSourceFailsClosed: a Source cannot be made without credentials,
// and a Source without an Authenticator rejects every request.
func TestNewSourceFailsClosed(t *testing.T) {
	t.Parallel()
	empty, _ := actblue.NewAuthenticator()
	for name, a := range map[string]*actblue.Authenticator{"nil": nil, "empty": empty, "zero": {}} {
		if _, err := actblue.NewSource(a, actblue.Options{}); err == nil {
			t.Errorf("NewSource with a %s Authenticator succeeded", name)
		}
	}
	a, _ := actblue.NewAuthenticator(cred)
	if _, err := actblue.NewSource(a, actblue.Options{Kind: "refunds"}); err == nil {
		t.Error("NewSource with an unknown Kind succeeded")
	}
	s, err := actblue.NewSource(a, actblue.Options{Kind: actblue.KindRefund})
	if err != nil {
		t.Fatal(err)
	}
	if s.Hint(nil) != "refund" {
		t.Errorf("NewSource with Kind refund: hint %q", s.Hint(nil))
	}
	r, _ := actblue.NewRequest(t.Context(), "https://example.org/", cred, nil)
	if _, _, err := (&actblue.Source{}).Authenticate(r); !errors.Is(err, donorsync.ErrUnauthorized) {
		t.Errorf("a Source without an Authenticator: %v, want ErrUnauthorized", err)
	}
}
