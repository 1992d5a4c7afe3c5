package sqlstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/contact"
)

// marshal encodes into a buffer it reuses: what it returns must be what
// json.Marshal returns, and stay so after later calls.
func TestMarshalIsJSONMarshal(t *testing.T) {
	values := []any{
		&contact.Contact{ID: "ct_1", Tenant: "t1", FirstName: "Ann <&>", Email: "ann@example.org",
			Custom: map[string]string{"b": "2", "a": "1\u2028"}, Seen: map[string]time.Time{"email": time.Date(2024, 6, 7, 15, 49, 33, 0, time.UTC)}},
		map[string]any{"html": "<script>", "n": 1.5},
		[]string{strings.Repeat("x", 70<<10)}, // larger than a buffer kept
		"",
	}
	var got []string
	for _, v := range values {
		s, err := marshal(v)
		if err != nil {
			t.Fatalf("marshal(%T): %v", v, err)
		}
		got = append(got, s)
	}
	for i, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got[i] != string(want) {
			t.Errorf("marshal(%T) = %.80q, want json.Marshal's %.80q", v, got[i], want)
		}
	}
	if _, err := marshal(func() {}); err == nil {
		t.Error("marshal of a func: no error")
	}
}
