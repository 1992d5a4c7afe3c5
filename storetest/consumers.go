package storetest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// handled records what Feeds handled, per tenant of the test.
type handled struct {
	mu       sync.Mutex
	prefix   string
	inFlight map[string]int
	got      map[string][]int64
	twice    []string
	failed   map[int64]bool // positions that fail their first attempt
}

func (h *handled) handle(_ context.Context, c change.Change) error {
	if !strings.HasPrefix(c.Tenant, h.prefix) {
		return nil // another test's feed
	}
	h.mu.Lock()
	h.inFlight[c.Tenant]++
	if h.inFlight[c.Tenant] > 1 {
		h.twice = append(h.twice, c.Tenant)
	}
	fail := c.Position%13 == 0 && !h.failed[c.Position]
	if fail {
		h.failed[c.Position] = true
	} else {
		h.got[c.Tenant] = append(h.got[c.Tenant], c.Position)
	}
	h.mu.Unlock()
	time.Sleep(100 * time.Microsecond)
	h.mu.Lock()
	h.inFlight[c.Tenant]--
	h.mu.Unlock()
	if fail {
		return errors.New("storetest: failing once")
	}
	return nil
}

// done reports whether every tenant's changes 1..n were handled.
func (h *handled) done(tenants []string, n int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, tn := range tenants {
		if len(h.got[tn]) < n {
			return false
		}
	}
	return true
}

func newFeed(s donorsync.Store, name string, h *handled) *donorsync.Feed {
	return &donorsync.Feed{Store: s, Name: name, Handle: h.handle, Batch: 7, Poll: 5 * time.Millisecond,
		Lease: 2 * time.Second, Backoff: func(int) time.Duration { return time.Millisecond },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// runFeeds runs fs until h has every change of tenants, or 30 seconds.
func runFeeds(t *testing.T, h *handled, tenants []string, n int, fs ...*donorsync.Feed) {
	t.Helper()
	c, cancel := context.WithCancel(ctx(t))
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(func() {
			if err := f.Run(c); err != nil {
				t.Errorf("Feed.Run: %v", err)
			}
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for !h.done(tenants, n) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
}

// testFeedConsumers runs two Feeds of one name over three tenants' feeds:
// every change is handled once, in order per tenant, a failing change
// again until it succeeds, never two of one tenant at once; then a
// cursor leased by a consumer that died is taken over once its lease
// lapses.
func testFeedConsumers(t *testing.T, s donorsync.Store) {
	prefix := newTenant("consumers")
	tenants := []string{prefix + "-a", prefix + "-b", prefix + "-c"}
	const n = 40
	for _, tn := range tenants {
		appendN(t, s, tn, n, time.Now().UTC())
	}
	h := &handled{prefix: prefix, inFlight: map[string]int{}, got: map[string][]int64{}, failed: map[int64]bool{}}
	name := newTenant("consumer")
	runFeeds(t, h, tenants, n, newFeed(s, name, h), newFeed(s, name, h))
	for _, tn := range tenants {
		if got := h.got[tn]; !inOrder(got, 0, n) {
			t.Errorf("tenant %s: handled %v, want 1..%d once each, in order", tn, got, n)
		}
	}
	if len(h.twice) > 0 {
		t.Errorf("two changes of one tenant handled at once: %v", h.twice)
	}

	// A consumer that claimed a cursor and died: the Feed goes on once
	// its lease has lapsed.
	appendN(t, s, tenants[0], n, time.Now().UTC())
	now := time.Now()
	if _, err := claimCursor(t, s, change.Claim{Consumer: name, Tenant: tenants[0], Token: "dead", Now: now, Until: now.Add(300 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	runFeeds(t, h, tenants[:1], 2*n, newFeed(s, name, h))
	if got := h.got[tenants[0]]; !inOrder(got, 0, 2*n) {
		t.Errorf("after a lease lapsed: handled %v, want 1..%d", got, 2*n)
	}
}

// inOrder reports whether got is from+1..to, each once.
func inOrder(got []int64, from, to int64) bool {
	if int64(len(got)) != to-from {
		return false
	}
	for i, p := range got {
		if p != from+int64(i)+1 {
			return false
		}
	}
	return true
}
