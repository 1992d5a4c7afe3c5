package contact_test

import (
	"testing"

	"github.com/donorsync/donorsync/contact"
	"github.com/google/go-cmp/cmp"
)

func TestPhoneMatchable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want bool
	}{
		// Real-shaped numbers and their neighbours across each rule.
		{"(510) 501-6227", true},
		{"+1 510 501 6227", true},
		{"1-510-501-6227", true},
		{"(589) 742-7087 x5082", true}, // an area code not in service keeps the plan's form
		{"876-545-6789", true},         // Jamaica, in the plan
		{"800-201-0000", true},         // toll free
		{"(000) 000-0000", false},
		{"(100) 201-0000", false}, // area code starting 1
		{"(200) 201-0000", true},
		{"(201) 001-0000", false}, // office code starting 0
		{"(201) 101-0000", false}, // office code starting 1
		{"(201) 201-0000", true},
		{"555-555-5555", false},   // area code 555
		{"556-555-0100", false},   // office code 555
		{"212-555-0100", false},   // fictional
		{"212-555-0199", false},   // fictional
		{"212-555-1212", false},   // directory assistance
		{"212-554-0100", true},    // next to 555
		{"212-556-0199", true},    // next to 555
		{"411-201-0000", false},   // N11 area code
		{"911-201-0000", false},   // N11 area code
		{"412-201-0000", true},    // next to 411
		{"212-911-0000", false},   // N11 office code
		{"212-912-0000", true},    // next to 911
		{"290-201-0000", false},   // N9X area code
		{"299-201-0000", false},   // N9X area code
		{"280-201-0000", true},    // next to 290
		{"370-201-0000", false},   // 37X
		{"379-201-0000", false},   // 37X
		{"380-201-0000", true},    // next to 37X
		{"360-201-0000", true},    // next to 37X
		{"960-201-0000", false},   // 96X
		{"969-201-0000", false},   // 96X
		{"950-201-0000", true},    // next to 96X
		{"212-950-1234", false},   // carrier access
		{"212-958-1234", false},   // plant test
		{"212-959-1234", false},   // plant test
		{"212-957-1234", true},    // next to the test codes
		{"222-222-2222", false},   // one digit repeated
		{"222-222-2223", true},    // not quite
		{"999-999-9999", false},   // N9X, repeated
		{"123-456-7890", false},   // area code starting 1, and no E.164 form
		{"+1 234 567 890", false}, // +1 with nine digits
		{"+1 510 501 62270", false},
		{"555-5555", false},       // no area code: ambiguous, not E.164
		{"07911 123456", false},   // national form without a country code
		{"+44 7911 123456", true}, // E.164 outside the plan
		{"+33 1 42 68 53 00", true},
		{"+683 4002", true},        // Niue: seven digits in all
		{"+44 0000 000000", false}, // national part one digit repeated
		{"+49 1111 111111", false}, // national part one digit repeated
		{"+0 123 456 789", false},  // no country code starts with 0
		{"+1111111111111", false},
		{"+491234567890123", true},   // fifteen digits
		{"+4912345678901234", false}, // sixteen
		{"+123456789012345", false},  // +1 with fourteen digits
		{"12345", false},
		{"n/a", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := contact.NormalizePhone(tt.raw).Matchable(); got != tt.want {
			t.Errorf("NormalizePhone(%q) = %+v: Matchable %v, want %v", tt.raw, contact.NormalizePhone(tt.raw), got, tt.want)
		}
	}
}

func TestNormalizeKeepsPhonesThatAreNoNumber(t *testing.T) {
	t.Parallel()
	c := contact.Contact{Phone: "n/a", Phones: []contact.Phone{{Raw: "12345"}, {Raw: "(000) 000-0000"}, {Raw: "12345"}, {Raw: " "}}}
	c.Normalize()
	want := []contact.Phone{{Raw: "12345"}, {Raw: "n/a"}, {Number: "0000000000", Raw: "(000) 000-0000"}}
	if diff := cmp.Diff(want, c.Phones); diff != "" {
		t.Errorf("phones (-want +got):\n%s", diff)
	}
	again := c.Clone()
	again.Normalize()
	if diff := cmp.Diff(c.Phones, again.Phones); diff != "" {
		t.Errorf("Normalize is not idempotent (-once +twice):\n%s", diff)
	}
	// Merging keeps every raw form, in either order.
	other := contact.Contact{Phones: []contact.Phone{{Raw: "none"}, {Raw: "12345"}}}
	other.Normalize()
	ab, ba := c.Clone(), other.Clone()
	ab.Merge(other)
	ba.Merge(c)
	if diff := cmp.Diff(ab.Phones, ba.Phones); diff != "" || len(ab.Phones) != 4 {
		t.Errorf("merged phones %v; order matters (-ab +ba):\n%s", ab.Phones, diff)
	}
}
