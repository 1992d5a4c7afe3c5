package dedup_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
)

func TestDefaultPolicy(t *testing.T) {
	t.Parallel()
	withEmail := contact.Contact{Emails: []string{"a@x.org"}}
	noEmail := contact.Contact{}
	otherEmail := contact.Contact{Emails: []string{"b@x.org"}}
	phone := dedup.Key{Kind: dedup.Phone, Value: "+12025550100"}
	tests := []struct {
		name      string
		in, found contact.Contact
		key       dedup.Key
		want      dedup.Match
	}{
		{"email", withEmail, withEmail, dedup.Key{Kind: dedup.Email, Value: "a@x.org"}, dedup.Strong},
		{"donor id", noEmail, otherEmail, dedup.Key{Kind: dedup.DonorID, Value: "actionnetwork:1"}, dedup.Strong},
		{"phone, no email on the delivery", noEmail, otherEmail, phone, dedup.Weak},
		{"phone, no email on the stored contact", withEmail, noEmail, phone, dedup.Weak},
		{"phone shared by two emails", withEmail, otherEmail, phone, dedup.NoMatch},
	}
	for _, tt := range tests {
		if got := (dedup.DefaultPolicy{}).Match(tt.in, tt.key, tt.found); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestKeysAndBodyKey(t *testing.T) {
	t.Parallel()
	c := contact.Contact{Email: "A@x.org", Phone: "510 501 6227", Sources: []contact.Source{{Provider: "actblue"}, {Provider: "anedot", DonorID: "d9"}}}
	c.Normalize()
	var got []string
	for _, k := range dedup.Keys(c) {
		got = append(got, k.String())
	}
	if want := "email:a@x.org phone:+15105016227 donor:anedot:d9"; strings.Join(got, " ") != want {
		t.Errorf("keys = %v, want %s", got, want)
	}
	a, b := dedup.BodyKey([]byte("x")), dedup.BodyKey([]byte("y"))
	if a == b || !strings.HasPrefix(a, "sha256:") || len(a) != len("sha256:")+64 {
		t.Errorf("body keys %q %q", a, b)
	}
}

func ExampleKeys() {
	c := contact.Contact{Email: " Jane@Example.ORG", Phone: "(510) 501-6227 x12"}
	c.Normalize()
	for _, k := range dedup.Keys(c) {
		fmt.Println(k)
	}
	// Output:
	// email:jane@example.org
	// phone:+15105016227
}
