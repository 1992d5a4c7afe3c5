package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/memstore"
)

// donorEmail is donor data that must not reach a log line.
const donorEmail = "peter.gibbons@initech.example"

// testChange returns a change of tenant at position, as a store gives it.
func testChange(tenant string, position int64) change.Change {
	return change.Change{
		ID: fmt.Sprintf("chg_%s_%d", tenant, position), Tenant: tenant, Position: position,
		Kind: change.ContactCreated, Key: fmt.Sprintf("con_%d", position), DeliveryID: "dlv_1",
		At:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Contact: &contact.Contact{ID: fmt.Sprintf("con_%d", position), Tenant: tenant, FirstName: "Peter", Email: donorEmail, Emails: []string{donorEmail}},
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testForwarder(t *testing.T, target string, timeout time.Duration) *forwarder {
	t.Helper()
	key, err := parseWebhookSecret("test", specSecret)
	if err != nil {
		t.Fatal(err)
	}
	return newForwarder(mustURL(t, target), key, timeout)
}

func TestForwardSends(t *testing.T) {
	r := newReceiver(t, specSecret, nil)
	c := testChange("default", 1)
	if err := testForwarder(t, r.URL+"/hook?token=abc", time.Second).forward(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	got := r.received()
	if len(got) != 1 || !got[0].ok {
		t.Fatalf("received %+v, want the change once", got)
	}
	want, _ := json.Marshal(c)
	if body, _ := json.Marshal(got[0].change); string(body) != string(want) {
		t.Errorf("received %s, want %s", body, want)
	}
}

// TestForwardFailures: an answer other than 2xx, a redirect, a timeout and
// a refused connection are errors, which show neither donor data nor the
// URL's query.
func TestForwardFailures(t *testing.T) {
	var redirected atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { redirected.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/fail":
			http.Error(w, "no such donor "+donorEmail, http.StatusInternalServerError)
		case "/moved":
			http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct{ url, want string }{
		{srv.URL + "/fail?token=secret-token", "answered 500 Internal Server Error"},
		{srv.URL + "/moved?token=secret-token", "answered 307 Temporary Redirect"},
		{srv.URL + "/slow?token=secret-token", "Client.Timeout exceeded"},
		{closed + "/?token=secret-token", "connection refused"},
	} {
		err := testForwarder(t, tc.url, 200*time.Millisecond).forward(t.Context(), testChange("default", 1))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "forward to http://127.0.0.1:") {
			t.Errorf("%s: %v, want an error naming the receiver and saying %q", tc.url, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), donorEmail) || strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%s: the error shows donor data or the URL's query: %v", tc.url, err)
		}
	}
	if redirected.Load() {
		t.Error("the forwarder followed a redirect")
	}
}

// TestForwardingFeed forwards two tenants' feeds of a memstore through a
// receiver that fails, then is slow, then answers: every change arrives,
// in order within its tenant.
func TestForwardingFeed(t *testing.T) {
	st := memstore.New()
	const n = 30
	var cs []change.Change
	for p := range int64(n) {
		cs = append(cs, testChange("a", p+1), testChange("b", p+1))
	}
	if err := st.Update(t.Context(), func(tx donorsync.Tx) error { return tx.AppendChanges(t.Context(), cs) }); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	r := newReceiver(t, specSecret, failThenSlow(3, 2))
	f := testForwarder(t, r.URL, 100*time.Millisecond)
	feed := &donorsync.Feed{Store: st, Name: "forward", Handle: f.forward, Batch: 7, Poll: 10 * time.Millisecond,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); feed.Run(ctx) }()
	r.waitDelivered(t, "a", n)
	r.waitDelivered(t, "b", n)
	cancel()
	<-done
	if repeats := checkOrder(t, r.received(), false); repeats != 0 {
		t.Errorf("%d changes delivered twice", repeats)
	}
	if failed := len(r.received()) - 2*n; failed != 5 {
		t.Errorf("%d requests beyond the changes, want the 5 that failed", failed)
	}
	if !strings.Contains(logs.String(), "answered 500") || !strings.Contains(logs.String(), "Client.Timeout exceeded") || strings.Contains(logs.String(), donorEmail) {
		t.Errorf("the log does not tell the failures, or shows donor data:\n%s", logs.String())
	}
}

// failThenSlow answers the first fail requests 500, the next slow ones 204
// after 2 s (longer than the tests' timeouts), and the others 204.
func failThenSlow(fail, slow int) func(int) (int, time.Duration) {
	return func(n int) (int, time.Duration) {
		switch {
		case n <= fail:
			return http.StatusInternalServerError, 0
		case n <= fail+slow:
			return http.StatusNoContent, 2 * time.Second
		}
		return http.StatusNoContent, 0
	}
}
