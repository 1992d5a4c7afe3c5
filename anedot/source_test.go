package anedot_test

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/golden"
	"github.com/donorsync/donorsync/memstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const token = "anedot-secret-token-0123456789abcdef"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func newSource(t testing.TB, m anedot.Options) *anedot.Source {
	t.Helper()
	v, err := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	src, err := anedot.NewSource(v, m)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func decode(t testing.TB, body []byte) (donorsync.Decoded, error) {
	t.Helper()
	return newSource(t, anedot.Options{}).Decode(&donorsync.Delivery{Tenant: "acme", Body: body})
}

func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 15 {
		t.Fatalf("fixtures: %d, %v", len(files), err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		if strings.HasPrefix(name, "bad_") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dec, err := decode(t, fixture(t, name))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			golden.JSON(t, filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden"), dec, *update)
		})
	}
}

func TestEveryEventMapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, key string
		check     func(t *testing.T, ev donation.Event)
	}{
		{"submission_created.json", "submission_created:f0bb1f8d-cebc-4f00-921a-46006306c6ee:2022-03-31T15:38:57Z", func(t *testing.T, ev donation.Event) {
			d := ev.Donation
			if d.ExternalID != "d412f04fddbe6b4dbb456" || d.Amount.String() != "19.86" || d.Net.Decimal.String() != "18.77" ||
				d.Fees.Decimal.String() != "1.09" || d.Fund != "General Fund" || ev.Contact.Email != "gandy.grey@example.com" ||
				ev.Contact.Custom["appeal_id"] != "1" {
				t.Errorf("submission donation = %+v, contact %v", d, ev.Contact.Custom)
			}
		}},
		{"donation_completed.json", "donation_completed:d467208a8376024eacd71:2020-12-11T22:06:26Z", func(t *testing.T, ev donation.Event) {
			d := ev.Donation
			if d.Amount.String() != "25" || d.Net.Decimal.String() != "23.7" || d.Fees.Decimal.String() != "1.3" || d.Origin != "hosted" ||
				d.CommitmentID != "e1c696e4-4b7d-443b-a69d-1eb1f7027e29" || len(ev.Adjustments) != 0 {
				t.Errorf("completed = %+v", d)
			}
		}},
		{"donation_voided.json", "", func(t *testing.T, ev donation.Event) {
			a := ev.Adjustments
			if len(a) != 1 || a[0].Kind != donation.Void || a[0].Amount.String() != "25" || ev.Donation.Net.Valid {
				t.Errorf("voided = %+v (the event's negative net must not become the gift's net)", a)
			}
		}},
		{"donation_partially_refunded_again.json", "", func(t *testing.T, ev donation.Event) {
			if a := ev.Adjustments; len(a) != 1 || a[0].Kind != donation.PartialRefund || a[0].Amount.String() != "2.5" {
				t.Errorf("partial refund = %+v", a)
			}
		}},
		{"donation_refunded.json", "", func(t *testing.T, ev donation.Event) {
			if a := ev.Adjustments; len(a) != 1 || a[0].Kind != donation.Refund || a[0].Amount.String() != "25" {
				t.Errorf("refund = %+v", a)
			}
		}},
		{"donation_chargeback.json", "", func(t *testing.T, ev donation.Event) {
			if a := ev.Adjustments; len(a) != 1 || a[0].Kind != donation.Chargeback {
				t.Errorf("chargeback = %+v", a)
			}
		}},
		{"donation_chargeback_reversed.json", "", func(t *testing.T, ev donation.Event) {
			if a := ev.Adjustments; len(a) != 1 || a[0].Kind != donation.ChargebackReversal {
				t.Errorf("reversal = %+v", a)
			}
		}},
		{"donation_ach_returned.json", "", func(t *testing.T, ev donation.Event) {
			if a := ev.Adjustments; len(a) != 1 || a[0].Kind != donation.ACHReturn {
				t.Errorf("ach = %+v", a)
			}
		}},
		{"settlement_date.json", "", func(t *testing.T, ev donation.Event) {
			if a := ev.Adjustments; len(a) != 1 || a[0].Kind != donation.Settlement {
				t.Errorf("settlement = %+v", a)
			}
		}},
		{"commitment_created.json", "", func(t *testing.T, ev donation.Event) {
			c := ev.Commitment
			if c.ExternalID != "c89cc126-853d-42ec-85dd-d56834722413" || c.Amount.String() != "10.3" || c.Period != "monthly" || !c.CancelledAt.IsZero() {
				t.Errorf("created = %+v", c)
			}
		}},
		{"commitment_failed_to_process.json", "", func(t *testing.T, ev donation.Event) {
			if c := ev.Commitment; c.FailReason != "Declined" || c.FailedAt.IsZero() {
				t.Errorf("failed = %+v", c)
			}
		}},
		{"commitment_updated_cancelled.json", "commitment_updated:c89cc126-853d-42ec-85dd-d56834722413:2021-03-17T16:52:48Z", func(t *testing.T, ev donation.Event) {
			c := ev.Commitment
			if c.CancelledAt.Format(time.RFC3339) != "2021-03-17T00:00:00Z" || c.CancelReason != "failure" {
				t.Errorf("cancelled = %+v", c)
			}
		}},
		{"submission_lead.json", "", func(t *testing.T, ev donation.Event) {
			if ev.Donation != nil || ev.Contact.Custom["interests"] != `["canvassing","phones"]` || ev.Contact.Custom["volunteer"] != "yes" {
				t.Errorf("lead = %+v %v", ev.Donation, ev.Contact.Custom)
			}
		}},
	}
	for _, tt := range tests {
		dec, err := decode(t, fixture(t, tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if tt.key != "" && dec.Key != tt.key {
			t.Errorf("%s: key %q, want %q", tt.file, dec.Key, tt.key)
		}
		if len(dec.Events) == 0 {
			t.Errorf("%s: no events", tt.file)
			continue
		}
		t.Run(tt.file, func(t *testing.T) { tt.check(t, dec.Events[0]) })
	}
	// A submission with two donations records both.
	dec, _ := decode(t, fixture(t, "submission_created.json"))
	if len(dec.Events) != 2 || dec.Events[1].Donation.Fund != "Multifunded" {
		t.Errorf("submission: %d events", len(dec.Events))
	}
	// An unknown event is accepted with nothing to apply.
	dec, err := decode(t, fixture(t, "future_event.json"))
	if err != nil || len(dec.Events) != 0 {
		t.Errorf("unknown event: %d events, %v", len(dec.Events), err)
	}
}

func TestDocumentExamplesWithStrayCharacters(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"bad_commitment_failed_to_process_verbatim.json", "bad_commitment_updated_verbatim.json"} {
		_, err := decode(t, fixture(t, name))
		var se *flex.SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, donorsync.ErrInvalid) || se.Offset == 0 {
			t.Errorf("%s: error %v, want an invalid-JSON error with its byte offset", name, err)
		}
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, field string }{
		{`{"event":"donation_completed","payload":{"donation":{"id":"d1"},"amount_in_dollars":"lots"}}`, "payload.amount_in_dollars"},
		{`{"event":"donation_completed","payload":{"donation":{"id":"d1","fees":{"anedot_fees":{"amount":"x"}}}}}`, "payload.donation.fees.anedot_fees.amount"},
		{`{"event":"donation_completed","payload":{"amount_in_dollars":"5"}}`, "payload.donation.id"},
		{`{"event":"submission_created","payload":{"id":"s","donations":[{"id":"a"},{"gross_amount":"1"}]}}`, "payload.donations[1].id"},
		{`{"event":"commitment_updated","payload":{"id":"c","cancelled_on":"soon"}}`, "payload.cancelled_on"},
		{`{"payload":{}}`, "event"},
		{`{"event":"donation_completed"}`, "payload"},
		{`{"event":"submission_created","payload":{"custom_field_responses":"x"}}`, "payload.custom_field_responses"},
	}
	for _, tt := range tests {
		_, err := decode(t, []byte(tt.body))
		var fe *flex.Error
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: error %v, want one for field %s", tt.body, err, tt.field)
		}
	}
}

// TestCustomTemplate decodes a payload whose template renames attributes,
// with Options.Rename and Options.Adjust.
func TestCustomTemplate(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event":"donation_completed","payload":{"donation":{"id":"d9"},"gift_total":"$40.00",
		"donor_email":"Custom@Example.com","campaign_code":"spring"}}`)
	auth, _ := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: token})
	if _, err := anedot.NewSource(auth, anedot.Options{Rename: map[string]string{"x": "no_such_attribute"}}); err == nil {
		t.Error("a rename to an unknown attribute was accepted")
	}
	src := newSource(t, anedot.Options{
		Rename: map[string]string{"gift_total": "amount_in_dollars", "donor_email": "email"},
		Adjust: func(m *anedot.Payload, evs []donation.Event) ([]donation.Event, error) {
			raw, err := flexField(m.Raw, "campaign_code")
			for i := range evs {
				evs[i].Donation.Refcodes = map[string]string{"campaign": raw}
			}
			return evs, err
		},
	})
	dec, err := src.Decode(&donorsync.Delivery{Tenant: "acme", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	ev := dec.Events[0]
	if ev.Donation.Amount.String() != "40" || ev.Contact.Email != "custom@example.com" || ev.Donation.Refcodes["campaign"] != "spring" {
		t.Errorf("custom template decoded as amount %s email %q refcodes %v", ev.Donation.Amount, ev.Contact.Email, ev.Donation.Refcodes)
	}
}

// flexField reads one string attribute of a payload.
func flexField(payload []byte, name string) (string, error) {
	var v flex.String
	d := flex.NewDecoder(payload)
	err := d.Object(flex.NewNames(name), func(d *flex.Decoder, _ string) error { return d.String(&v) })
	return v.Value, err
}

func newIngester() *donorsync.Ingester {
	return &donorsync.Ingester{Store: memstore.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func receive(t *testing.T, g *donorsync.Ingester, src *anedot.Source, body []byte) *donorsync.Delivery {
	t.Helper()
	d := &donorsync.Delivery{Tenant: "acme", Body: body}
	if err := g.Receive(t.Context(), src, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func state(t *testing.T, g *donorsync.Ingester) (cs, ds, cms int, d []donation.Donation, c []donation.Commitment) {
	t.Helper()
	err := g.Store.View(t.Context(), func(tx donorsync.Tx) error {
		contacts, err1 := tx.Contacts(t.Context(), "acme", donorsync.Page{})
		dons, err2 := tx.Donations(t.Context(), "acme", donorsync.Page{})
		cm, err3 := tx.Commitments(t.Context(), "acme", donorsync.Page{})
		cs, ds, cms, d, c = len(contacts), len(dons), len(cm), dons, cm
		return errors.Join(err1, err2, err3)
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

func TestSubmissionAndDonationEitherOrder(t *testing.T) {
	t.Parallel()
	src := newSource(t, anedot.Options{})
	for _, order := range [][]string{
		{"submission_for_donation_completed.json", "donation_completed.json"},
		{"donation_completed.json", "submission_for_donation_completed.json"},
	} {
		g := newIngester()
		for _, f := range order {
			if d := receive(t, g, src, fixture(t, f)); d.Status != donorsync.Processed {
				t.Fatalf("%s: %s %s", f, d.Status, d.Error)
			}
		}
		contacts, donations, _, ds, _ := state(t, g)
		if contacts != 1 || donations != 1 {
			t.Fatalf("order %v: %d contacts, %d donations; want 1 and 1", order, contacts, donations)
		}
		d := ds[0]
		if d.Amount.String() != "25" || d.Net.Decimal.String() != "23.7" || d.Fees.Decimal.String() != "1.3" || d.Fund != "General Fund" ||
			d.Origin != "hosted" || d.Status != donation.Completed {
			t.Errorf("order %v: donation %+v", order, d)
		}
	}
}

// permute calls fn with every permutation of 0..n-1.
func permute(n int, fn func([]int)) {
	var rec func(prefix []int, rest []int)
	rec = func(prefix, rest []int) {
		if len(rest) == 0 {
			fn(prefix)
			return
		}
		for i := range rest {
			next := append(append([]int{}, rest[:i]...), rest[i+1:]...)
			rec(append(append([]int{}, prefix...), rest[i]), next)
		}
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	rec(nil, all)
}

func TestDonationLifecycleInEveryOrder(t *testing.T) {
	t.Parallel()
	src := newSource(t, anedot.Options{})
	files := []string{"donation_completed_hosted.json", "donation_partially_refunded.json", "donation_partially_refunded_again.json",
		"donation_chargeback.json", "donation_chargeback_reversed.json", "settlement_date.json"}
	bodies := make([][]byte, len(files))
	for i, f := range files {
		bodies[i] = fixture(t, f)
	}
	count := 0
	permute(len(files), func(order []int) {
		count++
		g := newIngester()
		for _, i := range order {
			receive(t, g, src, bodies[i])
			receive(t, g, src, bodies[i]) // and its redelivery
		}
		contacts, donations, _, ds, _ := state(t, g)
		if contacts != 1 || donations != 1 {
			t.Fatalf("order %v: %d contacts, %d donations", order, contacts, donations)
		}
		d := ds[0]
		if d.Status != donation.PartiallyRefunded || d.Refunded.String() != "7.5" || d.Amount.String() != "50" ||
			d.Net.Decimal.String() != "48" || d.SettledAt.Format(time.RFC3339) != "2021-05-02T00:00:00Z" {
			t.Fatalf("order %v: status %s refunded %s amount %s net %s settled %v", order, d.Status, d.Refunded, d.Amount, d.Net.Decimal, d.SettledAt)
		}
	})
	if count != 720 {
		t.Errorf("%d orders tried, want 720", count)
	}
	// Without the reversal the chargeback stands.
	g := newIngester()
	for _, f := range []string{"donation_chargeback.json", "donation_completed_hosted.json"} {
		receive(t, g, src, fixture(t, f))
	}
	if _, _, _, ds, _ := state(t, g); ds[0].Status != donation.ChargedBack {
		t.Errorf("status %s, want charged_back", ds[0].Status)
	}
}

func TestCommitmentLifecycleInEveryOrder(t *testing.T) {
	t.Parallel()
	src := newSource(t, anedot.Options{})
	files := []string{"commitment_created.json", "commitment_failed_to_process.json", "commitment_updated_cancelled.json"}
	permute(len(files), func(order []int) {
		g := newIngester()
		for _, i := range order {
			receive(t, g, src, fixture(t, files[i]))
		}
		contacts, _, commitments, _, cs := state(t, g)
		if contacts != 1 || commitments != 1 {
			t.Fatalf("order %v: %d contacts, %d commitments", order, contacts, commitments)
		}
		c := cs[0]
		if c.Status != donation.Cancelled || c.CancelReason != "failure" || c.FailReason != "Declined" || c.Amount.String() != "10.3" ||
			c.StartedAt.Format(time.RFC3339) != "2021-01-03T12:55:10Z" {
			t.Fatalf("order %v: commitment %+v", order, c)
		}
	})
	// Created then failed, not cancelled: failed.
	g := newIngester()
	for _, f := range files[:2] {
		receive(t, g, src, fixture(t, f))
	}
	if _, _, _, _, cs := state(t, g); cs[0].Status != donation.Failed {
		t.Errorf("status %s, want failed", cs[0].Status)
	}
}

// TestNewSourceFailsClosed: a Source cannot be made without secrets.
func TestNewSourceFailsClosed(t *testing.T) {
	t.Parallel()
	empty, _ := anedot.NewAuthenticator()
	for name, a := range map[string]*anedot.Authenticator{"nil": nil, "empty": empty, "zero": {}} {
		if _, err := anedot.NewSource(a, anedot.Options{}); err == nil {
			t.Errorf("NewSource with a %s Authenticator succeeded", name)
		}
	}
}
