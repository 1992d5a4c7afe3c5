package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// newChanges returns n changes of tenant, each of its own id.
func newChanges(tenant string, n int) []change.Change {
	cs := make([]change.Change, n)
	for i := range cs {
		cs[i] = change.Change{ID: donorsync.NewID("ch"), Tenant: tenant, Kind: change.ContactsMerged,
			Key: fmt.Sprint("ct_", i), From: "ct_x", DeliveryID: "dl_1", At: time.Now().UTC().Truncate(time.Microsecond)}
	}
	return cs
}

// TestFeedPositionsFollowCommitOrder: of two transactions appending to a
// tenant's feed at once, the one that commits second has the higher
// positions, and waits for the first to commit before it does.
func TestFeedPositionsFollowCommitOrder(t *testing.T) {
	_, pool := freshSchema(t)
	s := newStore(t, pool())
	ctx := t.Context()
	first, second := newChanges("t1", 2), newChanges("t1", 3)
	numbered, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.Update(ctx, func(tx donorsync.Tx) error {
			if err := tx.AppendChanges(ctx, first); err != nil {
				return err
			}
			// Reading the feed sends the changes: their positions are
			// given, and the tenant's head is held until commit.
			if _, err := tx.Changes(ctx, "t1", 0, 10); err != nil {
				return err
			}
			close(numbered)
			<-release
			return nil
		})
	}()
	<-numbered
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- s.Update(ctx, func(tx donorsync.Tx) error { return tx.AppendChanges(ctx, second) })
	}()
	time.Sleep(200 * time.Millisecond) // the second reaches the head and waits
	select {
	case err := <-secondDone:
		t.Fatalf("the second transaction committed (%v) while the first held the head", err)
	default:
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	if first[0].Position != 1 || first[1].Position != 2 || second[0].Position != 3 || second[2].Position != 5 {
		t.Errorf("positions %d, %d and %d..%d; want 1, 2 and 3..5", first[0].Position, first[1].Position, second[0].Position, second[2].Position)
	}
}

// TestFeedReadersSeeNoGap: while 8 writers append 200 changes to one
// tenant's feed in transactions of random sizes, a reader following the
// feed always finds the changes after the last position it saw starting
// at the next one, numbered without gaps; in the end the feed holds every
// change, once, at positions 1 to 200.
func TestFeedReadersSeeNoGap(t *testing.T) {
	_, pool := freshSchema(t)
	s := newStore(t, pool())
	ctx := t.Context()
	const writers, total = 8, 200
	sizes := make(chan int, total)
	for n := total; n > 0; {
		k := min(n, 1+rand.IntN(7))
		sizes <- k
		n -= k
	}
	close(sizes)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for n := range sizes {
				cs := newChanges("t1", n)
				if err := s.Update(ctx, func(tx donorsync.Tx) error { return tx.AppendChanges(ctx, cs) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	read := make(chan []change.Change)
	go func() { read <- follow(t, s, stop) }()
	wg.Wait()
	close(stop)
	seen := <-read
	if len(seen) != total {
		t.Fatalf("the reader saw %d changes, want %d", len(seen), total)
	}
	ids := map[string]bool{}
	for i, c := range seen {
		if c.Position != int64(i+1) || ids[c.ID] {
			t.Fatalf("change %d at position %d (id seen before: %t)", i, c.Position, ids[c.ID])
		}
		ids[c.ID] = true
	}
}

// follow reads the feed of t1 from its start, a page after the last
// position seen at a time, until stop is closed and the feed is read to
// its end, and returns what it read; it fails t when a page does not
// follow on from the last position seen, or has a gap.
func follow(t *testing.T, s donorsync.Store, stop <-chan struct{}) []change.Change {
	var seen []change.Change
	for stopped := false; ; {
		select {
		case <-stop:
			stopped = true
		default:
		}
		var page []change.Change
		err := s.View(context.Background(), func(tx donorsync.Tx) error {
			var err error
			page, err = tx.Changes(context.Background(), "t1", int64(len(seen)), 50)
			return err
		})
		if err != nil {
			t.Error(err)
			return seen
		}
		for i, c := range page {
			if want := int64(len(seen) + i + 1); c.Position != want {
				t.Errorf("read position %d after %d: a gap, or a change read twice", c.Position, want-1)
				return seen
			}
		}
		seen = append(seen, page...)
		if stopped && len(page) == 0 {
			return seen
		}
	}
}
