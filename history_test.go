package donorsync_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

// A delivery that failed twice, then was applied, keeps the two failures
// in its history; one applied at once has none.
func TestHistoryKeepsEarlierOutcomes(t *testing.T) {
	t.Parallel()
	fail := new(atomic.Bool)
	mem := memstore.New()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := &donorsync.Ingester{Store: failingDonations{mem, fail}, Logger: discard, Backoff: func(int) time.Duration { return 0 },
		Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	src := providerSources(t)["actblue"]
	body := readFile(t, "actblue/testdata/contribution.json")
	d := &donorsync.Delivery{Tenant: "t1", Body: body}
	if err := g.Enqueue(context.Background(), src, d); err != nil {
		t.Fatal(err)
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Batch: 1}
	fail.Store(true)
	for i := range 3 {
		fail.Store(i < 2)
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var got *donorsync.Delivery
	if err := mem.View(context.Background(), func(tx donorsync.Tx) error {
		var err error
		got, err = tx.Delivery(context.Background(), "t1", d.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Status != donorsync.Processed || got.Attempts != 3 || len(got.History) != 2 {
		t.Fatalf("delivery %s after %d attempts, history %+v; want processed at the third, after two failures", got.Status, got.Attempts, got.History)
	}
	for i, a := range got.History {
		if a.Status != donorsync.Failed || a.Error == "" || a.At.IsZero() || (i > 0 && !a.At.After(got.History[i-1].At)) {
			t.Errorf("attempt %d = %+v; want a failure with its error and time, in order", i, a)
		}
	}
	// Replayed, the processed outcome joins the history.
	again, err := g.Replay(context.Background(), src, "t1", d.ID)
	if err != nil || again.Status != donorsync.Processed || len(again.History) != 3 || again.History[2].Status != donorsync.Processed {
		t.Fatalf("replay: %+v, %v; want the history to gain the earlier processed outcome", again, err)
	}
}
