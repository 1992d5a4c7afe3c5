package metricstest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/observe"
	"github.com/google/go-cmp/cmp"
)

// recorder is an Observer that counts what it is told.
type recorder struct {
	mu       sync.Mutex
	requests map[string]int // provider tenant code outcome [auth failure]
	applied  map[string]int // provider tenant status queued attempts
}

func (r *recorder) Request(_ context.Context, e observe.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := fmt.Sprintf("%s %s %d %s", e.Provider, e.Tenant, e.Status, e.Outcome)
	if e.AuthFailure != "" {
		key += " " + string(e.AuthFailure)
	}
	r.requests[key]++
}

func (r *recorder) Applied(_ context.Context, e observe.Apply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied[fmt.Sprintf("%s %s %s queued=%v attempts=%d", e.Provider, e.Tenant, e.Outcome, e.Queued, e.Attempts)]++
}

// TestScript checks that Script sends what its documentation says.
func TestScript(t *testing.T) {
	t.Parallel()
	r := &recorder{requests: map[string]int{}, applied: map[string]int{}}
	clock := NewClock(Start)
	g := NewIngester(clock)
	g.Observer = r
	Script(t, g, clock)
	wantRequests := map[string]int{
		"actblue t1 200 processed": 1, "actblue t1 200 duplicate": 1, "actblue t1 200 quarantined": 1,
		"actblue t1 200 failed": 1, "actblue t1 200 pending": 1,
		"actblue  401 unauthorized unknown_tenant": 1, "actblue  401 unauthorized wrong_credential": 1,
		"actblue  401 unauthorized malformed": 1, "actblue  413 too_large": 1, "actblue  405 method": 1,
		"actblue t1 400 unreadable": 1, "actblue t1 503 busy": 1,
		"anedot t1 200 processed": 1, "anedot  401 unauthorized wrong_credential": 1,
		"anedot  401 unauthorized unknown_tenant": 1, "anedot  401 unauthorized malformed": 1,
		"actionnetwork t1 200 processed": 1, "actionnetwork  401 unauthorized wrong_credential": 1,
		"actionnetwork  401 unauthorized unknown_tenant": 1, "actionnetwork  401 unauthorized malformed": 1,
		"nosource  401 unauthorized unspecified": 1,
		"actblue t2 200 processed":               1, "actblue t2 200 pending": 1,
	}
	wantApplied := map[string]int{
		"actblue t1 processed queued=false attempts=1": 1, "actblue t1 failed queued=false attempts=1": 1,
		"anedot t1 processed queued=false attempts=1": 1, "actionnetwork t1 processed queued=false attempts=1": 1,
		"actblue t2 processed queued=false attempts=1": 1,
		"actblue t1 processed queued=true attempts=1":  1, "actblue t1 processed queued=true attempts=2": 1,
		"nosource t1 dead queued=true attempts=0": 1,
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if diff := cmp.Diff(wantRequests, r.requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantApplied, r.applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if got, want := clock.Now(), Start.Add(time.Hour); !got.Equal(want) {
		t.Errorf("clock at %v; want %v", got, want)
	}
	stats, err := g.JournalStats(context.Background(), "", Start)
	if err != nil {
		t.Fatal(err)
	}
	wantStats := donorsync.JournalStats{
		Received: map[donorsync.DeliveryStatus]int{donorsync.Processed: 6, donorsync.Duplicate: 1, donorsync.Quarantined: 1,
			donorsync.Dead: 1, donorsync.Pending: 1},
		Backlog:       map[donorsync.DeliveryStatus]int{donorsync.Pending: 1},
		OldestPending: Start.Add(time.Hour),
		Last: []donorsync.Freshness{fresh("t1", "actblue", Start), fresh("t1", "actionnetwork", Start),
			fresh("t1", "anedot", Start), fresh("t1", "nosource", Start), fresh("t2", "actblue", Start.Add(time.Hour))},
	}
	if diff := cmp.Diff(wantStats, stats); diff != "" {
		t.Errorf("JournalStats (-want +got):\n%s", diff)
	}
}

func fresh(tenant, provider string, at time.Time) donorsync.Freshness {
	return donorsync.Freshness{Tenant: tenant, Provider: provider, ReceivedAt: at}
}
