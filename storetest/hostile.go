package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
)

// A wire is one platform's webhook as a host mounts it: the real Source
// and Handler over the store, on a route with the tenant in its path.
type wire struct {
	provider string
	mux      *http.ServeMux
	handler  *donorsync.Handler
	url      string
	// sign makes the request the platform would send with body.
	sign func(ctx context.Context, body []byte) (*http.Request, error)
}

// Credentials of the wires, long enough for every authenticator.
const (
	wireUser   = "donorsync-hostile"
	wireSecret = "k3Jq9vT2xW7mP4sN8bR6yH1dF5gL0cZa"
)

func newWire(t *testing.T, s donorsync.Store, provider, tenant string, queued bool) *wire {
	t.Helper()
	w := &wire{provider: provider, mux: http.NewServeMux(), url: "http://donorsync.test/webhooks/" + provider + "/" + tenant}
	var src donorsync.Source
	var err error
	switch provider {
	case actblue.Provider:
		c := actblue.Credential{Tenant: tenant, Username: wireUser, Password: wireSecret}
		src, err = newActBlue(c)
		w.sign = func(ctx context.Context, body []byte) (*http.Request, error) {
			return actblue.NewRequest(ctx, w.url, c, body)
		}
	case actionnetwork.Provider:
		c := actionnetwork.Credential{Tenant: tenant, Token: wireSecret}
		src, err = newActionNetwork(c)
		w.sign = func(ctx context.Context, body []byte) (*http.Request, error) {
			return actionnetwork.NewRequest(ctx, w.url, c, body)
		}
	case anedot.Provider:
		c := anedot.Credential{Tenant: tenant, Token: wireSecret}
		src, err = newAnedot(c)
		w.sign = func(ctx context.Context, body []byte) (*http.Request, error) {
			return anedot.NewRequest(ctx, w.url, c, body)
		}
	default:
		t.Fatalf("no wire for provider %q", provider)
	}
	if err != nil {
		t.Fatal(err)
	}
	// A deadline far from any store's commit, near enough that a body
	// that costs decoding seconds fails: a case about the deadline sets
	// its own.
	w.handler = &donorsync.Handler{Source: src, Ingester: newIngester(s), Queued: queued, Logger: newIngester(s).Logger,
		Deadline: 2 * time.Second}
	route := "POST /webhooks/" + provider + "/{tenant}"
	if provider == actionnetwork.Provider {
		route += "/{token}"
	}
	w.mux.Handle(route, w.handler)
	return w
}

func newActBlue(c actblue.Credential) (donorsync.Source, error) {
	a, err := actblue.NewAuthenticator(c)
	if err != nil {
		return nil, err
	}
	return actblue.NewSource(a, actblue.Options{})
}

func newActionNetwork(c actionnetwork.Credential) (donorsync.Source, error) {
	a, err := actionnetwork.NewAuthenticator(c)
	if err != nil {
		return nil, err
	}
	return actionnetwork.NewSource(a, actionnetwork.Options{})
}

func newAnedot(c anedot.Credential) (donorsync.Source, error) {
	a, err := anedot.NewAuthenticator(c)
	if err != nil {
		return nil, err
	}
	return anedot.NewSource(a, anedot.Options{})
}

// send posts body as the platform would, changed by edit when not nil,
// and returns the answer.
func (w *wire) send(t *testing.T, body []byte, edit func(*http.Request)) *http.Response {
	t.Helper()
	r, err := w.sign(ctx(t), body)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(r)
	}
	rec := httptest.NewRecorder()
	w.mux.ServeHTTP(rec, r)
	return rec.Result()
}

// drain applies, in queued mode, what the wire's Handler journaled.
func (w *wire) drain(t *testing.T, tenant string) {
	t.Helper()
	if !w.handler.Queued {
		return
	}
	wk := &donorsync.Worker{Ingester: w.handler.Ingester, Sources: []donorsync.Source{w.handler.Source}, Tenant: tenant}
	if _, err := wk.Drain(ctx(t)); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

// deliveries returns the tenant's journal, oldest first.
func deliveries(t *testing.T, s donorsync.Store, tenant string) []*donorsync.Delivery {
	t.Helper()
	var ds []*donorsync.Delivery
	view(t, s, func(tx donorsync.Tx) error {
		var err error
		ds, err = tx.Deliveries(ctx(t), tenant, donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 100}})
		return err
	})
	return ds
}

// slowBody is a body that arrives in pieces, as over a slow link.
type slowBody struct {
	data  []byte
	piece int
	pause func()
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	b.pause()
	n := copy(p[:min(len(p), b.piece)], b.data)
	b.data = b.data[n:]
	return n, nil
}

func (b *slowBody) Close() error { return nil }

// describeBody names a body in a failure message without printing a
// megabyte of it.
func describeBody(b []byte) string {
	if len(b) <= 120 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q... (%d bytes)", b[:120], len(b))
}

// fill repeats unit between prefix and suffix up to n bytes in all.
func fill(prefix, unit, sep, suffix string, n int) []byte {
	var b strings.Builder
	b.Grow(n)
	b.WriteString(prefix)
	for first := true; b.Len()+len(sep)+len(unit)+len(suffix) <= n; first = false {
		if !first {
			b.WriteString(sep)
		}
		b.WriteString(unit)
	}
	b.WriteString(suffix)
	return []byte(b.String())
}

// testHostileInput sends each hostile case through the real Handler of
// its platform, inline and queued: the answer, the journal and the records
// are the ones the case wants.
func testHostileInput(t *testing.T, s donorsync.Store) {
	for _, c := range hostileCases() {
		for _, queued := range []bool{false, true} {
			mode := "inline"
			if queued {
				mode = "queued"
			}
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				tenant := newTenant("hostile")
				w := newWire(t, s, c.provider, tenant, queued)
				if c.handler != nil {
					c.handler(w.handler)
				}
				var last string // the id of the last delivery journaled
				for _, body := range c.bodies() {
					last = w.checkAnswer(t, w.send(t, body, c.edit), c.status, body)
				}
				w.drain(t, tenant)
				checkJournal(t, s, tenant, last, c)
				if c.check != nil {
					c.check(t, snapshot(t, s, tenant))
				}
			})
		}
	}
}

// checkAnswer checks an answer's status and the headers it must carry,
// and returns the id of the delivery it names.
func (w *wire) checkAnswer(t *testing.T, resp *http.Response, status int, body []byte) string {
	t.Helper()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s answered %d %s for %s; want %d", w.provider, resp.StatusCode, msg, describeBody(body), status)
	}
	var answer struct{ Delivery string }
	if err := json.Unmarshal(msg, &answer); err != nil {
		t.Fatalf("answer %s: %v", msg, err)
	}
	switch {
	case status == http.StatusUnauthorized && w.provider == actblue.Provider:
		if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Basic ") {
			t.Fatalf("401 with WWW-Authenticate %q; want a Basic challenge", h)
		}
	case status == http.StatusServiceUnavailable:
		if resp.Header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
	}
	return answer.Delivery
}

// checkJournal checks the journal a case leaves: nothing, or one delivery
// for each body, the last (id) in the wanted status, its error naming what
// was wrong, and a quarantined delivery never retried.
func checkJournal(t *testing.T, s donorsync.Store, tenant, id string, c hostileCase) {
	t.Helper()
	ds := deliveries(t, s, tenant)
	if c.want == "" {
		if len(ds) != 0 {
			t.Fatalf("%d deliveries journaled (first %s); want none", len(ds), ds[0].Status)
		}
		return
	}
	if n := len(c.bodies()); len(ds) != n {
		t.Fatalf("%d deliveries journaled; want %d", len(ds), n)
	}
	var last *donorsync.Delivery
	view(t, s, func(tx donorsync.Tx) error {
		var err error
		last, err = tx.Delivery(ctx(t), tenant, id)
		return err
	})
	if last.Status != c.want {
		t.Fatalf("delivery %s (error %q); want %s", last.Status, last.Error, c.want)
	}
	for _, w := range c.errHas {
		if !strings.Contains(strings.ToLower(last.Error), strings.ToLower(w)) {
			t.Errorf("error %q does not name %q", last.Error, w)
		}
	}
	if last.Status == donorsync.Quarantined && last.Attempts > 1 {
		t.Errorf("quarantined after %d attempts; want at once", last.Attempts)
	}
}
