// Package metricstest drives a scripted mix of webhook requests through
// real Handlers of the three providers, for the tests of the metrics
// modules: each of them checks the counts its Observer recorded against
// those Script documents.
package metricstest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/memstore"
)

// Start is the time of the Clock of Script when it starts.
var Start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// A Clock is a fake clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const secret = "FixtureSecretFixtureSecret12"

// NewIngester returns an Ingester on a new memstore, whose clock is
// clock, for Script.
func NewIngester(clock *Clock) *donorsync.Ingester {
	return &donorsync.Ingester{Store: &flaky{Store: memstore.New()}, Now: clock.Now, Logger: discard,
		Backoff: func(int) time.Duration { return 0 }}
}

// Script sends this mix of requests to Handlers of g, an Ingester of
// NewIngester(clock), then drains its queue with a Worker:
//
// At Start, tenant t1 (inline unless said):
//
//   - actblue: processed; duplicate; quarantined (an invalid amount);
//     failed (the store fails to store its donations) and then
//     processed by the Worker on its second attempt; pending (queued)
//     and then processed by the Worker; refused: unknown_tenant,
//     wrong_credential, malformed (401), too_large (413), method (405),
//     unreadable (400), busy (503);
//   - anedot: processed; refused: wrong_credential, unknown_tenant,
//     malformed (401);
//   - actionnetwork: processed; refused: wrong_credential,
//     unknown_tenant (401), malformed (401, no token in the path);
//   - nosource, a provider no Worker decodes: refused: unspecified
//     (401); one delivery enqueued, which the Worker buries (dead).
//
// At Start + 1h, tenant t2: actblue: processed. The Worker runs then;
// after it, tenant t2 sends an actblue delivery to a queued Handler,
// which stays pending.
//
// The clock is then at Start + 1h. Requests refused before their
// delivery was made (every refusal here) are reported without a tenant.
func Script(t testing.TB, g *donorsync.Ingester, clock *Clock) {
	t.Helper()
	st, ok := g.Store.(*flaky)
	if !ok {
		t.Fatal("metricstest: Script wants an Ingester of NewIngester")
	}
	src := sources(t)
	mux := http.NewServeMux()
	handler := func(src donorsync.Source) *donorsync.Handler {
		return &donorsync.Handler{Source: src, Ingester: g, Logger: discard}
	}
	queued, small := handler(src["actblue"]), handler(src["actblue"])
	queued.Queued, small.MaxBytesInFlight = true, 10
	mux.Handle("/actblue/{tenant}", handler(src["actblue"]))
	mux.Handle("/queued/{tenant}", queued)
	mux.Handle("/small/{tenant}", small)
	mux.Handle("/anedot/{tenant}", handler(src["anedot"]))
	mux.Handle("/actionnetwork/{tenant}/{token}", handler(src["actionnetwork"]))
	mux.Handle("/actionnetwork/{tenant}/", handler(src["actionnetwork"]))
	mux.Handle("/nosource/{tenant}", handler(NoSource{}))
	s := &sender{t: t, mux: mux}

	s.actblue(t1, "contribution.json") // processed
	s.actblue(t1, "contribution.json") // duplicate
	s.actblue(t1, "bad_amount.json")   // quarantined
	st.failing(true)
	s.actblue(t1, "two_lineitems.json") // failed, processed on retry
	st.failing(false)
	s.queued(t1, "recurring.json")                                       // pending
	s.actblue(unknown, "refund.json")                                    // unknown_tenant
	s.actblue(wrong, "refund.json")                                      // wrong_credential
	s.raw(http.MethodPost, "/actblue/t1", strings.NewReader("{}"), 0)    // malformed
	s.raw(http.MethodPost, "/actblue/t1", strings.NewReader("x"), 2<<20) // too_large
	s.raw(http.MethodGet, "/actblue/t1", nil, 0)                         // method
	s.unreadable()                                                       // unreadable
	s.busy()                                                             // busy

	sub := s.fixture("anedot", "commitment_created.json")
	s.send(anedot.NewRequest(context.Background(), "http://x/anedot/t1", anedot.Credential{Token: secret}, sub))
	s.send(anedot.NewRequest(context.Background(), "http://x/anedot/t1", anedot.Credential{Token: "another-secret-1234567"}, sub))
	s.send(anedot.NewRequest(context.Background(), "http://x/anedot/nobody", anedot.Credential{Token: secret}, sub))
	s.raw(http.MethodPost, "/anedot/t1", bytes.NewReader(sub), 0)

	sig := s.fixture("actionnetwork", "signature.json")
	s.send(actionnetwork.NewRequest(context.Background(), "http://x/actionnetwork/t1", actionnetwork.Credential{Token: secret}, sig))
	s.send(actionnetwork.NewRequest(context.Background(), "http://x/actionnetwork/t1", actionnetwork.Credential{Token: secret + "x"}, sig))
	s.send(actionnetwork.NewRequest(context.Background(), "http://x/actionnetwork/nobody", actionnetwork.Credential{Token: secret}, sig))
	s.raw(http.MethodPost, "/actionnetwork/t1/", bytes.NewReader(sig), 0)

	s.raw(http.MethodPost, "/nosource/t1", strings.NewReader("{}"), 0) // unspecified
	if err := g.Enqueue(context.Background(), NoSource{}, &donorsync.Delivery{Tenant: "t1", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Hour)
	s.actblue(credential{"t2", "fixtures-t2", secret}, "refund.json") // processed

	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src["actblue"]}}
	if _, err := w.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.queued(credential{"t2", "fixtures-t2", secret}, "cancellation.json") // pending
}

// credential is an ActBlue credential, and the tenant in the path.
type credential struct{ tenant, user, password string }

var (
	t1      = credential{"t1", "fixtures", secret}
	unknown = credential{"nobody", "fixtures", secret}
	wrong   = credential{"t1", "fixtures", "wrong-password-of-the-right-length"}
)

// sources returns a Source of each provider: ActBlue for tenants t1 and
// t2, the others for t1.
func sources(t testing.TB) map[string]donorsync.Source {
	t.Helper()
	ab, err1 := actblue.NewAuthenticator(actblue.Credential{Tenant: "t1", Username: "fixtures", Password: secret},
		actblue.Credential{Tenant: "t2", Username: "fixtures-t2", Password: secret})
	an, err2 := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "t1", Token: secret})
	ad, err3 := anedot.NewAuthenticator(anedot.Credential{Tenant: "t1", Token: secret})
	abs, err4 := actblue.NewSource(ab, actblue.Options{})
	ans, err5 := actionnetwork.NewSource(an, actionnetwork.Options{})
	ads, err6 := anedot.NewSource(ad, anedot.Options{})
	if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
		t.Fatal(err)
	}
	return map[string]donorsync.Source{"actblue": abs, "actionnetwork": ans, "anedot": ads}
}

// A sender sends requests to mux.
type sender struct {
	t   testing.TB
	mux *http.ServeMux
}

func (s *sender) send(r *http.Request, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	s.mux.ServeHTTP(httptest.NewRecorder(), r)
}

func (s *sender) actblue(c credential, fixture string) {
	s.t.Helper()
	s.send(actblue.NewRequest(context.Background(), "http://x/actblue/"+c.tenant,
		actblue.Credential{Username: c.user, Password: c.password}, s.fixture("actblue", fixture)))
}

func (s *sender) queued(c credential, fixture string) {
	s.t.Helper()
	s.send(actblue.NewRequest(context.Background(), "http://x/queued/"+c.tenant,
		actblue.Credential{Username: c.user, Password: c.password}, s.fixture("actblue", fixture)))
}

// raw sends a request without credentials; length, when not 0, is the
// Content-Length it declares.
func (s *sender) raw(method, path string, body io.Reader, length int64) {
	r := httptest.NewRequest(method, path, body)
	if length != 0 {
		r.ContentLength = length
	}
	s.send(r, nil)
}

// unreadable sends an authenticated ActBlue request whose body breaks
// off.
func (s *sender) unreadable() {
	s.t.Helper()
	r, err := actblue.NewRequest(context.Background(), "http://x/actblue/t1",
		actblue.Credential{Username: t1.user, Password: t1.password}, []byte("{}"))
	if err == nil {
		r.Body, r.ContentLength = io.NopCloser(io.MultiReader(strings.NewReader("{"), errReader{})), -1
	}
	s.send(r, err)
}

// busy sends a gift to a Handler with no room for its body.
func (s *sender) busy() {
	s.t.Helper()
	s.send(actblue.NewRequest(context.Background(), "http://x/small/t1",
		actblue.Credential{Username: t1.user, Password: t1.password}, s.fixture("actblue", "contribution.json")))
}

// fixture reads a file of a provider package's testdata.
func (s *sender) fixture(provider, name string) []byte {
	s.t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		s.t.Fatal("metricstest: no source file to find the fixtures from")
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", provider, "testdata", name))
	if err != nil {
		s.t.Fatal(err)
	}
	return data
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// NoSource is the provider "nosource", which refuses every request
// without saying why and which no Worker decodes.
type NoSource struct{}

// Provider returns "nosource".
func (NoSource) Provider() string { return "nosource" }

// Authenticate refuses the request.
func (NoSource) Authenticate(*http.Request) (string, io.Reader, error) {
	return "", nil, donorsync.ErrUnauthorized
}

// Decode gives a key and no events.
func (NoSource) Decode(*donorsync.Delivery) (donorsync.Decoded, error) {
	return donorsync.Decoded{Key: "k"}, nil
}

// flaky is a Store whose transactions fail to store a donation while it
// is failing.
type flaky struct {
	donorsync.Store
	mu   sync.Mutex
	fail bool
}

func (f *flaky) failing(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func (f *flaky) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return f.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(&flakyTx{tx, f}) })
}

type flakyTx struct {
	donorsync.Tx
	f *flaky
}

func (tx *flakyTx) PutDonation(ctx context.Context, d donation.Donation) error {
	tx.f.mu.Lock()
	fail := tx.f.fail
	tx.f.mu.Unlock()
	if fail {
		return errors.New("metricstest: the store is failing")
	}
	return tx.Tx.PutDonation(ctx, d)
}

var discard = slog.New(slog.DiscardHandler)
