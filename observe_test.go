package donorsync_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/memstore"
	"github.com/donorsync/donorsync/observe"
	"github.com/google/go-cmp/cmp"
)

// counter is an Observer that counts what it is told.
type counter struct {
	mu       sync.Mutex
	requests map[string]int // provider status outcome [auth failure]
	applied  map[string]int // provider status queued attempts
}

func newCounter() *counter {
	return &counter{requests: map[string]int{}, applied: map[string]int{}}
}

func (c *counter) Request(_ context.Context, r observe.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := r.Provider + " " + http.StatusText(r.Status) + " " + string(r.Outcome)
	if r.AuthFailure != "" {
		key += " " + string(r.AuthFailure)
	}
	if r.Status != http.StatusOK && r.Tenant != "" {
		key += " tenant=" + r.Tenant
	}
	if r.Duration <= 0 || (r.Status == http.StatusOK) != (r.Journal > 0) || (r.Status == http.StatusOK && r.Tenant != "t1") {
		key += " (bad timing or tenant)"
	}
	c.requests[key]++
}

func (c *counter) Applied(_ context.Context, a observe.Apply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mode := "inline"
	if a.Queued {
		mode = "queued"
	}
	key := a.Provider + " " + string(a.Outcome) + " " + mode
	if a.Batch < 1 || a.Duration <= 0 || a.Attempts < 1 && a.Outcome != observe.Dead {
		key += " (bad batch or timing)"
	}
	c.applied[key]++
}

// TestObserverCountsEveryOutcome sends a scripted mix of deliveries and
// refusals through the Handlers of the three providers, inline and
// queued, and checks what the Observer was told, exactly.
func TestObserverCountsEveryOutcome(t *testing.T) {
	t.Parallel()
	obs := newCounter()
	g := &donorsync.Ingester{Store: memstore.New(), Observer: obs, Logger: discard}
	src := providerSources(t)
	const secret = "FixtureSecretFixtureSecret12"
	mux := http.NewServeMux()
	mux.Handle("/actblue/{tenant}", &donorsync.Handler{Source: src["actblue"], Ingester: g, Logger: discard})
	mux.Handle("/queued/{tenant}", &donorsync.Handler{Source: src["actblue"], Ingester: g, Queued: true, Logger: discard})
	mux.Handle("/small/{tenant}", &donorsync.Handler{Source: src["actblue"], Ingester: g, MaxBytesInFlight: 10, Logger: discard})
	mux.Handle("/anedot/{tenant}", &donorsync.Handler{Source: src["anedot"], Ingester: g, Logger: discard})
	mux.Handle("/actionnetwork/{tenant}/{token}", &donorsync.Handler{Source: src["actionnetwork"], Ingester: g, Logger: discard})
	mux.Handle("/actionnetwork/{tenant}/", &donorsync.Handler{Source: src["actionnetwork"], Ingester: g, Logger: discard})

	gift := readFile(t, "actblue/testdata/contribution.json")
	send := func(r *http.Request, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		mux.ServeHTTP(httptest.NewRecorder(), r)
	}
	ab := func(path, user, pass string, body []byte) {
		send(actblue.NewRequest(context.Background(), "http://x"+path, actblue.Credential{Username: user, Password: pass}, body))
	}
	ab("/actblue/t1", "fixtures", secret, gift)                                            // processed
	ab("/actblue/t1", "fixtures", secret, gift)                                            // duplicate
	ab("/actblue/t1", "fixtures", secret, readFile(t, "actblue/testdata/bad_amount.json")) // quarantined
	ab("/queued/t1", "fixtures", secret, readFile(t, "actblue/testdata/recurring.json"))   // pending
	ab("/actblue/nobody", "fixtures", secret, gift)                                        // unknown tenant
	ab("/actblue/t1", "fixtures", "wrong-password-of-the-right-length", gift)              // wrong credential
	noAuth := httptest.NewRequest(http.MethodPost, "/actblue/t1", bytes.NewReader(gift))
	send(noAuth, nil) // malformed
	tooLarge := httptest.NewRequest(http.MethodPost, "/actblue/t1", strings.NewReader("x"))
	tooLarge.ContentLength = 2 << 20
	send(tooLarge, nil)
	send(httptest.NewRequest(http.MethodGet, "/actblue/t1", nil), nil) // method
	ab("/small/t1", "fixtures", secret, gift)                          // busy
	broken, _ := actblue.NewRequest(context.Background(), "http://x/actblue/t1", actblue.Credential{Username: "fixtures", Password: secret}, nil)
	broken.Body, broken.ContentLength = io.NopCloser(iotest.ErrReader(io.ErrUnexpectedEOF)), -1
	send(broken, nil) // unreadable

	sub := readFile(t, "anedot/testdata/commitment_created.json")
	send(anedot.NewRequest(context.Background(), "http://x/anedot/t1", anedot.Credential{Token: secret}, sub))                   // processed
	send(anedot.NewRequest(context.Background(), "http://x/anedot/t1", anedot.Credential{Token: "another-secret-1234567"}, sub)) // wrong
	send(anedot.NewRequest(context.Background(), "http://x/anedot/nobody", anedot.Credential{Token: secret}, sub))               // unknown tenant
	unsigned := httptest.NewRequest(http.MethodPost, "/anedot/t1", bytes.NewReader(sub))
	send(unsigned, nil) // malformed

	sig := readFile(t, "actionnetwork/testdata/signature.json")
	send(actionnetwork.NewRequest(context.Background(), "http://x/actionnetwork/t1", actionnetwork.Credential{Token: secret}, sig))       // processed
	send(actionnetwork.NewRequest(context.Background(), "http://x/actionnetwork/t1", actionnetwork.Credential{Token: secret + "x"}, sig)) // wrong
	send(actionnetwork.NewRequest(context.Background(), "http://x/actionnetwork/nobody", actionnetwork.Credential{Token: secret}, sig))   // unknown tenant

	// The Worker applies the pending delivery; a delivery of a provider
	// no Source decodes is dead.
	if err := g.Enqueue(context.Background(), noSource{}, &donorsync.Delivery{Tenant: "t1", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src["actblue"]}}
	if _, err := w.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}

	wantRequests := map[string]int{
		"actblue OK processed": 1, "actblue OK duplicate": 1, "actblue OK quarantined": 1, "actblue OK pending": 1,
		"actblue Unauthorized unauthorized unknown_tenant": 1, "actblue Unauthorized unauthorized wrong_credential": 1,
		"actblue Unauthorized unauthorized malformed": 1, "actblue Request Entity Too Large too_large": 1,
		"actblue Method Not Allowed method": 1, "actblue Service Unavailable busy tenant=t1": 1,
		"actblue Bad Request unreadable tenant=t1": 1,
		"anedot OK processed":                      1, "anedot Unauthorized unauthorized wrong_credential": 1,
		"anedot Unauthorized unauthorized unknown_tenant": 1, "anedot Unauthorized unauthorized malformed": 1,
		"actionnetwork OK processed": 1, "actionnetwork Unauthorized unauthorized wrong_credential": 1,
		"actionnetwork Unauthorized unauthorized unknown_tenant": 1,
	}
	wantApplied := map[string]int{
		"actblue processed inline": 1, "anedot processed inline": 1, "actionnetwork processed inline": 1,
		"actblue processed queued": 1, "nosource dead queued": 1,
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if diff := cmp.Diff(wantRequests, obs.requests); diff != "" {
		t.Errorf("requests observed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantApplied, obs.applied); diff != "" {
		t.Errorf("applies observed (-want +got):\n%s", diff)
	}
}

// noSource is a provider no Worker has a Source for.
type noSource struct{}

func (noSource) Provider() string { return "nosource" }
func (noSource) Authenticate(*http.Request) (string, io.Reader, error) {
	return "", nil, donorsync.ErrUnauthorized
}
func (noSource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	return donorsync.Decoded{Key: "k"}, nil
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var discard = slog.New(slog.DiscardHandler)

// TestOutcomesNameStatuses holds the outcomes of a journaled delivery to
// the statuses they report: the Handler and the Ingester convert one to
// the other.
func TestOutcomesNameStatuses(t *testing.T) {
	for _, p := range []struct {
		s donorsync.DeliveryStatus
		o observe.Outcome
	}{
		{donorsync.Processed, observe.Processed}, {donorsync.Pending, observe.Pending},
		{donorsync.Duplicate, observe.Duplicate}, {donorsync.Quarantined, observe.Quarantined},
		{donorsync.Failed, observe.Failed}, {donorsync.Dead, observe.Dead},
	} {
		if string(p.s) != string(p.o) {
			t.Errorf("status %q is outcome %q", p.s, p.o)
		}
	}
}
