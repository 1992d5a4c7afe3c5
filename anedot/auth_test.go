package anedot_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/internal/interleave"
	"github.com/donorsync/donorsync/memstore"
)

// verify runs v.Authenticate on a request routed through a mux, so that the
// tenant path value is set.
func verify(t testing.TB, v *anedot.Authenticator, path, sig string, body []byte) (string, error) {
	t.Helper()
	var tenant string
	var err error
	mux := http.NewServeMux()
	handle := func(w http.ResponseWriter, r *http.Request) {
		var reader io.Reader
		tenant, reader = v.Authenticate(r)
		if _, err = io.Copy(io.Discard, reader); err != nil {
			tenant = ""
		}
	}
	mux.HandleFunc("POST /webhooks/anedot/{tenant}", handle)
	mux.HandleFunc("POST /single", handle)
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if sig != "" {
		r.Header.Set(anedot.SignatureHeader, sig)
	}
	mux.ServeHTTP(httptest.NewRecorder(), r)
	return tenant, err
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	body := fixture(t, "donation_completed.json")
	v, err := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: token}, anedot.Credential{Tenant: "other", Token: "other-token"})
	if err != nil {
		t.Fatal(err)
	}
	good := anedot.Sign(token, body)
	path := "/webhooks/anedot/acme"
	if tenant, err := verify(t, v, path, good, body); err != nil || tenant != "acme" {
		t.Fatalf("valid signature: %q, %v", tenant, err)
	}
	if _, err := verify(t, v, path, "sha256="+good, body); err != nil {
		t.Errorf("sha256= prefix rejected: %v", err)
	}
	if _, err := verify(t, v, path, strings.ToUpper(good), body); err != nil {
		t.Errorf("upper-case hex rejected: %v", err)
	}
	bad := map[string]struct {
		path, sig string
		body      []byte
	}{
		"no signature":           {path, "", body},
		"wrong secret":           {path, anedot.Sign("wrong", body), body},
		"another tenant's token": {path, anedot.Sign("other-token", body), body},
		"unknown tenant":         {"/webhooks/anedot/nobody", good, body},
		"signed for another":     {"/webhooks/anedot/other", good, body},
		"bad hex":                {path, strings.Repeat("zz", 32), body},
		"too short":              {path, good[:62], body},
		"too long":               {path, good + "00", body},
		"changed body":           {path, good, append(bytes.Clone(body), ' ')},
		"re-serialised body":     {path, good, bytes.ReplaceAll(body, []byte("\n"), nil)},
		"empty prefix only":      {path, "sha256=", body},
	}
	for name, c := range bad {
		if _, err := verify(t, v, c.path, c.sig, c.body); !errors.Is(err, donorsync.ErrUnauthorized) {
			t.Errorf("%s: error %v, want ErrUnauthorized", name, err)
		}
	}
}

func TestSecretRotation(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	v, _ := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: "old"})
	v.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	if err := v.Add(anedot.Credential{Tenant: "acme", Token: "new"}); err != nil {
		t.Fatal(err)
	}
	v.Expire("acme", "old", now.Add(time.Hour))
	body := []byte(`{"event":"x","payload":{}}`)
	for _, tok := range []string{"old", "new"} {
		if _, err := verify(t, v, "/single", anedot.Sign(tok, body), body); err != nil {
			t.Errorf("during the overlap, %s rejected: %v", tok, err)
		}
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if _, err := verify(t, v, "/single", anedot.Sign("old", body), body); err == nil {
		t.Error("expired secret accepted")
	}
	if _, err := verify(t, v, "/single", anedot.Sign("new", body), body); err != nil {
		t.Errorf("new secret rejected: %v", err)
	}
	if _, err := anedot.NewAuthenticator(anedot.Credential{Tenant: "t"}); err == nil {
		t.Error("a secret without a token was accepted")
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/anedot/{tenant}", &donorsync.Handler{
		Source:   newSource(t, anedot.Options{}),
		Ingester: &donorsync.Ingester{Store: store, Logger: quiet},
		Logger:   quiet,
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(sig string, body []byte) (int, string) {
		r, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/webhooks/anedot/acme", bytes.NewReader(body))
		if sig != "" {
			r.Header.Set(anedot.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// The document's example with stray characters: kept, quarantined, 200.
	verbatim := fixture(t, "bad_commitment_failed_to_process_verbatim.json")
	status, body := post(anedot.Sign(token, verbatim), verbatim)
	if status != http.StatusOK || !strings.Contains(body, `"quarantined"`) {
		t.Errorf("invalid JSON: %d %s, want 200 quarantined", status, body)
	}
	// Every authentication failure gets one identical answer.
	ok := fixture(t, "donation_completed.json")
	var first string
	for _, sig := range []string{"", "nothex", anedot.Sign("wrong", ok), anedot.Sign(token, ok)[:10]} {
		status, body := post(sig, ok)
		if status != http.StatusUnauthorized || (first != "" && body != first) {
			t.Errorf("signature %q: %d %s", sig, status, body)
		}
		first = body
	}
	status, body = post(anedot.Sign(token, ok), ok)
	if status != http.StatusOK || !strings.Contains(body, `"processed"`) {
		t.Errorf("valid delivery: %d %s", status, body)
	}

	_ = store.View(t.Context(), func(tx donorsync.Tx) error {
		ds, _ := tx.Deliveries(t.Context(), "acme", donorsync.DeliveryFilter{})
		if len(ds) != 2 {
			t.Fatalf("%d deliveries journaled, want 2 (rejected requests store nothing)", len(ds))
		}
		for _, d := range ds {
			if d.Status == donorsync.Quarantined && (!bytes.Equal(d.Body, verbatim) || !strings.Contains(d.Error, "invalid JSON at byte")) {
				t.Errorf("quarantined delivery: error %q, body kept %v", d.Error, bytes.Equal(d.Body, verbatim))
			}
		}
		return nil
	})
}

// BenchmarkVerify measures HMAC verification of a delivery, as the
// Handler reads its body, beside reading the same body and taking its
// SHA-256, in one run. The goal: at most 1.3 times the hash, and at most
// one allocation.
func BenchmarkVerify(b *testing.B) {
	body := fixture(b, "donation_completed.json")
	v, _ := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: token})
	r := httptest.NewRequest(http.MethodPost, "/webhooks/anedot/acme", nil)
	r.SetPathValue("tenant", "acme")
	r.Header.Set(anedot.SignatureHeader, anedot.Sign(token, body))
	br := bytes.NewReader(body)
	r.Body = io.NopCloser(br)
	buf := make([]byte, 0, len(body)+1)
	verifyOnce := func() {
		br.Reset(body)
		_, reader := v.Authenticate(r)
		if _, err := readAll(reader, buf); err != nil {
			b.Fatal(err)
		}
	}
	var sink [32]byte
	plain := bytes.NewReader(body)
	hashOnce := func() {
		plain.Reset(body)
		read, _ := readAll(plain, buf)
		sink = sha256.Sum256(read)
	}

	b.Run("sha256-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			hashOnce()
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			verifyOnce()
		}
	})
	b.Run("ratio", func(b *testing.B) {
		b.ReportMetric(interleave.Ratio(b, verifyOnce, hashOnce), "verify/sha256")
	})
	_ = sink
}

// TestAuthenticateWhileReading checks the signature over a body that
// arrives a byte at a time, and only at its end.
func TestAuthenticateWhileReading(t *testing.T) {
	t.Parallel()
	body := fixture(t, "donation_completed.json")
	v, err := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: token}, anedot.Credential{Tenant: "acme", Token: "second"})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		sig  string
		want error
	}{
		"signed by the second secret": {anedot.Sign("second", body), nil},
		"signed by another":           {anedot.Sign("other", body), donorsync.ErrUnauthorized},
	} {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/anedot/acme", iotest.OneByteReader(bytes.NewReader(body)))
		r.SetPathValue("tenant", "acme")
		r.Header.Set(anedot.SignatureHeader, tc.sig)
		_, reader := v.Authenticate(r)
		got, err := io.ReadAll(io.LimitReader(reader, int64(len(body))))
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s: reading the body before its end: %d bytes, %v; want the body, no error yet", name, len(got), err)
		}
		if _, err := reader.Read(make([]byte, 1)); err != io.EOF && tc.want == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: at the end of the body: %v, want %v", name, err, map[bool]error{true: io.EOF, false: tc.want}[tc.want == nil])
		}
	}
}

// readAll reads r to its end into buf, as the Handler reads a body into a
// buffer of its declared length.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
