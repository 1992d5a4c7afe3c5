package contact_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"5105016227", "+15105016227"},
		{"(589) 742-7087 x5082", "+15897427087"},
		{"589.742.7087 ext. 12", "+15897427087"},
		{"1-202-444-4444", "+12024444444"},
		{"12024444444", "+12024444444"},
		{"+44 20 7946 0958", "+442079460958"},
		{"742-7087", "7427087"},
		{"12345", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := contact.NormalizePhone(tt.in)
		if got.Number != tt.want || got.Raw != strings.TrimSpace(tt.in) {
			t.Errorf("NormalizePhone(%q) = %+v, want number %q and the raw value", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeAddress(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want contact.Address }{
		{
			contact.Address{Line1: " 1 Main  St ", State: "california", PostalCode: "904041234", Country: "United States"},
			contact.Address{Line1: "1 Main St", State: "CA", PostalCode: "90404-1234", Country: "US"},
		},
		{
			contact.Address{State: "ny", PostalCode: "10001-0001", Country: "us"},
			contact.Address{State: "NY", PostalCode: "10001-0001", Country: "US"},
		},
		{ // a malformed postal code is kept raw
			contact.Address{State: "District of Columbia", PostalCode: "904043"},
			contact.Address{State: "DC", PostalCode: "904043"},
		},
		{ // outside the US nothing is re-coded
			contact.Address{State: "Ontario", PostalCode: "K1A 0B1", Country: "CA"},
			contact.Address{State: "Ontario", PostalCode: "K1A 0B1", Country: "CA"},
		},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, contact.NormalizeAddress(tt.in)); diff != "" {
			t.Errorf("NormalizeAddress(%+v) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestNormalizeNameAndEmail(t *testing.T) {
	t.Parallel()
	names := map[string]string{
		"MARY-ANN":     "Mary-Ann",
		"o'neil":       "O'Neil",
		" McDonald  ":  "McDonald",
		"JOHN  SMITH":  "John Smith",
		"":             "",
		"ÉLODIE":       "Élodie",
		"van der Berg": "van der Berg", // mixed case is kept
	}
	for in, want := range names {
		if got := contact.NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	emails := map[string]string{
		" Jane.Doe@Example.COM ": "jane.doe@example.com",
		"no-at-sign":             "",
		"@example.com":           "",
		"a@":                     "",
		"a b@example.com":        "",
	}
	for in, want := range emails {
		if got := contact.NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeFillsLists(t *testing.T) {
	t.Parallel()
	c := contact.Contact{Email: "A@X.org", Phone: "(202) 444-4444 x1", Custom: map[string]string{"a": " ", "b": " v "}, Tags: []string{"b", " a", "b"}}
	c.Normalize()
	want := contact.Contact{
		Email: "a@x.org", Emails: []string{"a@x.org"},
		Phone: "+12024444444", Phones: []contact.Phone{{Number: "+12024444444", Raw: "(202) 444-4444 x1"}},
		Custom: map[string]string{"b": "v"}, Tags: []string{"a", "b"},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
	again := c.Clone()
	again.Normalize()
	if diff := cmp.Diff(c, again); diff != "" {
		t.Errorf("Normalize is not idempotent (-once +twice):\n%s", diff)
	}
}

func obs(at time.Time, c contact.Contact) contact.Contact {
	c.Normalize()
	c.Stamp(at)
	return c
}

func TestMergeNewestWinsEmptyNeverErases(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	old := obs(t1, contact.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@x.org", Employer: "Acme",
		Address: contact.Address{Line1: "1 Main St", City: "Springfield", State: "IL", PostalCode: "62701"}})
	newer := obs(t2, contact.Contact{FirstName: "Janet", Email: "jane@x.org", Phone: "2024444444",
		Address: contact.Address{PostalCode: "62702"}})

	for _, order := range [][]contact.Contact{{old, newer}, {newer, old}} {
		var c contact.Contact
		for _, o := range order {
			c.Merge(o)
		}
		if c.FirstName != "Janet" || c.LastName != "Doe" || c.Employer != "Acme" || c.Phone != "+12024444444" {
			t.Errorf("merged = %+v %s %s %s", c.FirstName, c.LastName, c.Employer, c.Phone)
		}
		// A partial address never replaces a complete one.
		if c.Address.Line1 != "1 Main St" || c.Address.PostalCode != "62701" {
			t.Errorf("address = %+v, want the complete one", c.Address)
		}
		if !c.Seen[contact.FieldFirstName].Equal(t2) || !c.Seen[contact.FieldLastName].Equal(t1) {
			t.Errorf("seen = %v", c.Seen)
		}
	}
}

// TestMergeOrderIndependent checks that merging random observations in
// every order gives one result (rule 3 of the design).
func TestMergeOrderIndependent(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	for round := 0; round < 200; round++ {
		var list []contact.Contact
		for i := 0; i < 5; i++ {
			at := base.Add(time.Duration(r.IntN(3)) * time.Hour) // equal times happen
			list = append(list, obs(at, contact.Contact{
				FirstName: pick("", "Ann", "Anne", "ANN"),
				LastName:  pick("", "Lee", "Li"),
				Email:     pick("", "a@x.org", "b@x.org"),
				Phone:     pick("", "2024444444", "(202) 555-0100"),
				Address: contact.Address{
					Line1:      pick("", "1 Main St", "2 Oak Ave"),
					PostalCode: pick("", "62701", "10001"),
				},
				Custom:  map[string]string{pick("k", "j"): pick("", "1", "2")},
				Tags:    []string{pick("", "t1", "t2")},
				Sources: []contact.Source{{Provider: pick("actblue", "anedot"), DonorID: pick("", "9")}},
			}))
		}
		var want contact.Contact
		for _, o := range list {
			want.Merge(o)
		}
		for p := 0; p < 20; p++ {
			r.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
			var got contact.Contact
			for _, o := range list {
				got.Merge(o)
				got.Merge(o) // idempotent
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("round %d: order changes the result (-first +shuffled):\n%s", round, diff)
			}
		}
	}
}

func TestContactRedactsItself(t *testing.T) {
	t.Parallel()
	c := contact.Contact{ID: "ct_1", Tenant: "t", FirstName: "Secretname", Email: "secret@x.org", Emails: []string{"secret@x.org"},
		Address: contact.Address{Line1: "77 Hidden Rd"}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("contact", "contact", c)
	out := buf.String() + fmt.Sprintf("%v %+v %#v %s", c, c, c, c)
	for _, secret := range []string{"Secretname", "secret@x.org", "Hidden"} {
		if strings.Contains(out, secret) {
			t.Errorf("output contains %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "ct_1") {
		t.Errorf("output lacks the id: %s", out)
	}
}
