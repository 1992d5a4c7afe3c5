package donorsync_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

// slowCommit holds the first transaction, once fn has run, until
// answered is closed, then signals committed: a commit slower than the
// Handler's deadline.
type slowCommit struct {
	*memstore.Store
	first     *atomic.Bool
	answered  chan struct{}
	committed chan struct{}
}

func (s slowCommit) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	if !s.first.CompareAndSwap(true, false) {
		return s.Store.Update(ctx, fn)
	}
	defer close(s.committed)
	return s.Store.Update(ctx, func(tx donorsync.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		<-s.answered
		return nil
	})
}

// TestAnswer503ThenRetry holds the Handler to what a 503 means, in both
// modes: nothing was committed, or the retry is answered 200 as a
// duplicate and changes nothing; the delivery is applied once.
func TestAnswer503ThenRetry(t *testing.T) {
	t.Parallel()
	for _, queued := range []bool{false, true} {
		for _, slow := range []bool{true, false} {
			name := map[bool]string{false: "inline", true: "queued"}[queued] + map[bool]string{false: "/commit fails", true: "/commit slow"}[slow]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				mem := memstore.New()
				var store donorsync.Store
				var heal func()
				if slow {
					s := slowCommit{mem, new(atomic.Bool), make(chan struct{}), make(chan struct{})}
					s.first.Store(true)
					store, heal = s, func() { close(s.answered); <-s.committed }
				} else {
					s := failingCommits{mem, new(atomic.Bool)}
					s.fail.Store(true)
					store, heal = s, func() { s.fail.Store(false) }
				}
				g := &donorsync.Ingester{Store: store, Logger: quiet}
				h := &donorsync.Handler{Source: giftSource(), Ingester: g, Logger: quiet, Queued: queued,
					Deadline: 20 * time.Millisecond, RetryAfter: time.Second}
				w := post(h, strings.NewReader("g1"), "secret")
				if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
					t.Fatalf("first answer %d Retry-After %q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
				}
				heal()
				h.Deadline = -1 // the retry waits as long as the store takes
				if w := post(h, strings.NewReader("g1"), "secret"); w.Code != http.StatusOK {
					t.Fatalf("retry: answer %d %s, want 200", w.Code, w.Body)
				}
				if queued {
					if _, err := (&donorsync.Worker{Ingester: g, Sources: []donorsync.Source{giftSource()}}).Drain(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				checkAppliedOnce(t, mem, slow)
			})
		}
	}
}

// checkAppliedOnce checks that tenant t1 holds one applied delivery, and
// a duplicate of it when the first attempt committed after all.
func checkAppliedOnce(t *testing.T, s donorsync.Store, duplicate bool) {
	t.Helper()
	err := s.View(t.Context(), func(tx donorsync.Tx) error {
		ds, err := tx.Deliveries(t.Context(), "t1", donorsync.DeliveryFilter{})
		if err != nil {
			return err
		}
		status := map[donorsync.DeliveryStatus]int{}
		for _, d := range ds {
			status[d.Status]++
		}
		want := map[donorsync.DeliveryStatus]int{donorsync.Processed: 1}
		if duplicate {
			want[donorsync.Duplicate] = 1
		}
		if len(status) != len(want) || status[donorsync.Processed] != 1 || status[donorsync.Duplicate] != want[donorsync.Duplicate] {
			t.Errorf("deliveries by status %v, want %v", status, want)
		}
		gifts, err := tx.Donations(t.Context(), "t1", donorsync.Page{})
		if err == nil && (len(gifts) != 1 || gifts[0].ExternalID != "g1") {
			t.Errorf("donations %v, want g1 once", gifts)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
