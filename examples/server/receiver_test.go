package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync/change"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// A receiver is the receiver of forwarded changes a host application
// would run: it verifies each request with the Standard Webhooks library
// (signature, and timestamp within 5 minutes), and with verify, the
// example of docs/forwarding.md, and keeps what it got.
type receiver struct {
	*httptest.Server
	t      *testing.T
	wh     *standardwebhooks.Webhook
	secret string
	// answer says, by the number of the request (from 1), the status to
	// answer and how long to wait before; nil answers 204 at once.
	answer func(n int) (status int, delay time.Duration)

	mu  sync.Mutex
	got []received // every request signed right, in the order they came
}

// A received is a request a receiver got.
type received struct {
	change change.Change
	ok     bool // answered 2xx without delay
}

// newReceiver starts a receiver of the changes signed with secret.
func newReceiver(t *testing.T, secret string, answer func(n int) (int, time.Duration)) *receiver {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, wh: wh, secret: secret, answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var c change.Change
	switch {
	case err != nil:
		r.t.Errorf("receiver: reading the body: %v", err)
	case req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json":
		r.t.Errorf("receiver: %s with Content-Type %q, want POST of application/json", req.Method, req.Header.Get("Content-Type"))
	case r.wh.Verify(body, req.Header) != nil:
		r.t.Errorf("receiver: %v (webhook-id %s)", r.wh.Verify(body, req.Header), req.Header.Get("webhook-id"))
	case verify(r.secret, req.Header, body) != nil:
		r.t.Errorf("receiver: %v (webhook-id %s)", verify(r.secret, req.Header, body), req.Header.Get("webhook-id"))
	case json.Unmarshal(body, &c) != nil || c.ID == "" || c.ID != req.Header.Get("webhook-id"):
		r.t.Errorf("receiver: webhook-id %q for the body %.200s", req.Header.Get("webhook-id"), body)
	default:
		status, delay := r.record(c)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
			}
		}
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(http.StatusBadRequest)
}

// record keeps c, and returns the answer to give.
func (r *receiver) record(c change.Change) (int, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	status, delay := http.StatusNoContent, time.Duration(0)
	if r.answer != nil {
		status, delay = r.answer(len(r.got) + 1)
	}
	r.got = append(r.got, received{change: c, ok: status/100 == 2 && delay == 0})
	return status, delay
}

// received returns the requests got so far.
func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// delivered returns, by tenant, the positions of the changes answered
// 2xx, each once.
func (r *receiver) delivered() map[string]map[int64]change.Change {
	out := map[string]map[int64]change.Change{}
	for _, g := range r.received() {
		if !g.ok {
			continue
		}
		if out[g.change.Tenant] == nil {
			out[g.change.Tenant] = map[int64]change.Change{}
		}
		out[g.change.Tenant][g.change.Position] = g.change
	}
	return out
}

// waitDelivered waits until the receiver has answered 2xx to each change
// of tenant up to position head, while it gets more of them: long enough
// for the lease of a killed server (10 s) to lapse on a loaded machine.
func (r *receiver) waitDelivered(t *testing.T, tenant string, head int64) {
	t.Helper()
	deadline, requests := time.Now().Add(60*time.Second), 0
	for {
		if n := len(r.received()); n > requests {
			deadline, requests = time.Now().Add(60*time.Second), n
		}
		got := r.delivered()[tenant]
		missing := int64(0)
		for p := int64(1); p <= head; p++ {
			if _, ok := got[p]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tenant %s: %d of the changes 1 to %d never delivered (%d requests received)", tenant, missing, head, len(r.received()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkOrder checks that each tenant's changes came in order: each
// request the change after the one before, or the same one again, from
// position 1. Where restarts may repeat a batch, a change may also come
// again after later ones; it returns how many requests repeated a change
// answered 2xx before.
func checkOrder(t *testing.T, got []received, restarts bool) (repeats int) {
	t.Helper()
	last := map[string]int64{}
	seen := map[string]map[int64]bool{}
	for i, g := range got {
		c := g.change
		if seen[c.Tenant] == nil {
			seen[c.Tenant] = map[int64]bool{}
		}
		p, prev := c.Position, last[c.Tenant]
		switch {
		case p == prev+1, p == prev:
		case restarts && p <= prev && (p == 1 || seen[c.Tenant][p-1]):
		default:
			t.Errorf("request %d: tenant %s: change at position %d after %d", i+1, c.Tenant, p, prev)
		}
		if g.ok && seen[c.Tenant][p] {
			repeats++
		}
		seen[c.Tenant][p] = seen[c.Tenant][p] || g.ok
		last[c.Tenant] = p
	}
	return repeats
}

// verify checks the Standard Webhooks signature of a request with the
// headers h and the body: the example of docs/forwarding.md, verbatim.
func verify(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, timestamp := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sent, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("no webhook-timestamp")
	}
	if age := time.Since(time.Unix(sent, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return errors.New("webhook-timestamp too far from now")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no valid webhook-signature")
}
