package actblue_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/internal/interleave"
)

// BenchmarkVerifyDecode measures, in one run, verify (Basic Auth) + parse +
// normalise of the 2.3 KB contribution fixture, beside the baseline of
// json.Unmarshal of the same bytes into map[string]any. The ratio metric
// is the first over the second; the goal is at most 0.5.
func BenchmarkVerifyDecode(b *testing.B) {
	body := fixture(b, "contribution.json")
	a, err := actblue.NewAuthenticator(cred)
	if err != nil {
		b.Fatal(err)
	}
	src, err := actblue.NewSource(a, actblue.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/actblue/acme", nil)
	r.SetPathValue("tenant", "acme")
	r.SetBasicAuth(cred.Username, cred.Password)

	ours := func() {
		tenant, _, err := src.Authenticate(r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := src.Decode(&donorsync.Delivery{Tenant: tenant, Body: body}); err != nil {
			b.Fatal(err)
		}
	}
	baseline := func() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("map-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			baseline()
		}
	})
	b.Run("actblue", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			ours()
		}
	})
	b.Run("ratio", func(b *testing.B) {
		// The two in turns, so that both see the same machine state.
		b.ReportMetric(interleave.Ratio(b, ours, baseline), "actblue/map")
	})
}
