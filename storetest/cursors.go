package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// testFeedCursors checks the lease of a consumer's cursor: claimed only
// with changes past it and free, by one claimant, renewed and moved only
// by its holder, never back, and taken over once its lease lapses.
func testFeedCursors(t *testing.T, s donorsync.Store) {
	tenant, consumer := newTenant("cursor"), newTenant("consumer")
	now := ts("2026-03-01T10:00:00Z")
	c := change.Claim{Consumer: consumer, Tenant: tenant, Token: "a", Now: now, Until: now.Add(time.Minute)}
	if _, err := claimCursor(t, s, c); !errors.Is(err, donorsync.ErrNotFound) {
		t.Fatalf("claim on an empty feed: %v, want ErrNotFound", err)
	}
	appendN(t, s, tenant, 3, now)
	cur, err := claimCursor(t, s, c)
	want := change.Cursor{Consumer: consumer, Tenant: tenant, Position: 0, Token: "a", LeasedUntil: c.Until}
	if err != nil || !cur.LeasedUntil.Equal(want.LeasedUntil) || cur.Consumer != want.Consumer ||
		cur.Tenant != want.Tenant || cur.Position != 0 || cur.Token != "a" {
		t.Fatalf("first claim: %+v, %v; want %+v", cur, err, want)
	}
	b := c
	b.Token, b.Now = "b", now.Add(30*time.Second)
	if _, err := claimCursor(t, s, b); !errors.Is(err, donorsync.ErrNotFound) {
		t.Errorf("claim of a leased cursor: %v, want ErrNotFound", err)
	}
	stolen := cur
	stolen.Token, stolen.Position = "b", 3
	if err := moveCursor(t, s, stolen); !errors.Is(err, donorsync.ErrConflict) {
		t.Errorf("move by a token without the lease: %v, want ErrConflict", err)
	}
	cur.Position = 2
	if err := moveCursor(t, s, cur); err != nil {
		t.Fatalf("move by the holder: %v", err)
	}
	back := cur
	back.Position, back.LeasedUntil = 1, time.Time{}
	if err := moveCursor(t, s, back); err != nil {
		t.Fatalf("release by the holder: %v", err)
	}
	got, err := claimCursor(t, s, b)
	if err != nil || got.Position != 2 || got.Token != "b" {
		t.Fatalf("claim after a release: %+v, %v; want position 2 (never moved back), token b", got, err)
	}
	// b's lease lapses unrenewed: a claims it again, and b has lost it.
	a2 := c
	a2.Token, a2.Now, a2.Until = "a2", b.Until.Add(time.Second), b.Until.Add(time.Minute)
	if got, err := claimCursor(t, s, a2); err != nil || got.Token != "a2" || got.Position != 2 {
		t.Fatalf("claim after the lease lapsed: %+v, %v", got, err)
	}
	got.Position = 3
	if err := moveCursor(t, s, got); !errors.Is(err, donorsync.ErrConflict) {
		t.Errorf("move by a lapsed holder after another claim: %v, want ErrConflict", err)
	}
	done := change.Cursor{Consumer: consumer, Tenant: tenant, Position: 3, Token: "a2"}
	if err := moveCursor(t, s, done); err != nil {
		t.Fatal(err)
	}
	c.Now, c.Until = a2.Until.Add(time.Hour), a2.Until.Add(2*time.Hour)
	if _, err := claimCursor(t, s, c); !errors.Is(err, donorsync.ErrNotFound) {
		t.Errorf("claim of a cursor at the head of its feed: %v, want ErrNotFound", err)
	}
}

// testFeedAnyTenant checks that a claim for any tenant finds each
// tenant with changes past the consumer's cursor.
func testFeedAnyTenant(t *testing.T, s donorsync.Store) {
	consumer := newTenant("consumer")
	now := time.Now().UTC().Truncate(time.Microsecond)
	mine := map[string]bool{newTenant("any"): true, newTenant("any"): true, newTenant("any"): true}
	for tenant := range mine {
		appendN(t, s, tenant, 2, now)
	}
	// The store may hold other tests' feeds: take each cursor to the end
	// of its feed until no cursor has changes past it.
	for range 10_000 {
		cur, err := claimCursor(t, s, change.Claim{Consumer: consumer, Token: "t", Now: now, Until: now.Add(time.Minute)})
		if errors.Is(err, donorsync.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		delete(mine, cur.Tenant)
		cs := changesOf(t, s, cur.Tenant)
		if len(cs) == 0 {
			t.Fatalf("claimed the cursor of %s at %d, past every change its feed keeps", cur.Tenant, cur.Position)
		}
		cur.Position, cur.LeasedUntil = cs[len(cs)-1].Position, time.Time{}
		if err := moveCursor(t, s, cur); err != nil {
			t.Fatal(err)
		}
	}
	if len(mine) > 0 {
		t.Errorf("claims for any tenant never gave the cursors of %v", mine)
	}
}

// testFeedConcurrentClaims checks that of 8 transactions claiming one
// cursor at once, one gets it.
func testFeedConcurrentClaims(t *testing.T, s donorsync.Store) {
	tenant, consumer := newTenant("claims"), newTenant("consumer")
	now := time.Now().UTC().Truncate(time.Microsecond)
	appendN(t, s, tenant, 1, now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Go(func() {
			_, err := claimCursor(t, s, change.Claim{Consumer: consumer, Tenant: tenant, Token: string(rune('a' + i)), Now: now, Until: now.Add(time.Minute)})
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, donorsync.ErrNotFound) && !errors.Is(err, donorsync.ErrConflict):
				t.Errorf("claim: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of 8 concurrent claims of one cursor got it, want 1", won)
	}
}

// testFeedPrune checks that only changes older than the bound that every
// consumer of their tenant has passed are pruned, at most limit at a
// time, and a feed without cursors not at all.
func testFeedPrune(t *testing.T, s donorsync.Store) {
	tenant, lonely := newTenant("prune"), newTenant("prune")
	old, recent := ts("2020-01-01T00:00:00Z"), time.Now().UTC().Truncate(time.Microsecond)
	appendN(t, s, tenant, 4, old)
	appendN(t, s, tenant, 2, recent)
	appendN(t, s, lonely, 3, old)
	fast, slow := newTenant("fast"), newTenant("slow")
	for consumer, pos := range map[string]int64{fast: 6, slow: 3} {
		cur, err := claimCursor(t, s, change.Claim{Consumer: consumer, Tenant: tenant, Token: "t", Now: recent, Until: recent.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		cur.Position, cur.LeasedUntil = pos, time.Time{}
		if err := moveCursor(t, s, cur); err != nil {
			t.Fatal(err)
		}
	}
	before := ts("2021-01-01T00:00:00Z")
	// The store may hold other tests' feeds: prune until nothing is left
	// to prune.
	for range 1000 {
		var n int
		update(t, s, func(tx donorsync.Tx) error {
			var err error
			n, err = tx.PruneChanges(ctx(t), before, 2)
			return err
		})
		if n > 2 {
			t.Fatalf("PruneChanges with limit 2 deleted %d changes", n)
		}
		if n == 0 {
			break
		}
	}
	if left := positions(changesOf(t, s, tenant)); len(left) != 3 || left[0] != 4 {
		t.Errorf("after pruning, %s holds positions %v, want 4, 5, 6 (slow consumer at 3, 5 and 6 recent)", tenant, left)
	}
	if left := changesOf(t, s, lonely); len(left) != 3 {
		t.Errorf("a feed without cursors was pruned: %d of 3 changes left", len(left))
	}
}

// testFeedJoinAfterPrune checks that a consumer that comes after its
// tenant's feed was pruned starts at the oldest change kept, and finds
// nothing to claim when every change was pruned.
func testFeedJoinAfterPrune(t *testing.T, s donorsync.Store) {
	tenant, first := newTenant("join"), newTenant("consumer")
	old := ts("2020-01-01T00:00:00Z")
	appendN(t, s, tenant, 4, old)
	cur, err := claimCursor(t, s, change.Claim{Consumer: first, Tenant: tenant, Token: "t", Now: old, Until: old.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	cur.Position, cur.LeasedUntil = 3, time.Time{}
	if err := moveCursor(t, s, cur); err != nil {
		t.Fatal(err)
	}
	pruneAll(t, s, ts("2021-01-01T00:00:00Z"))
	now := time.Now().UTC().Truncate(time.Microsecond)
	late := change.Claim{Consumer: newTenant("late"), Tenant: tenant, Token: "t", Now: now, Until: now.Add(time.Minute)}
	got, err := claimCursor(t, s, late)
	if err != nil || got.Position != 3 {
		t.Fatalf("a consumer after changes 1-3 were pruned: %+v, %v; want its cursor at 3, before the oldest kept", got, err)
	}
	for _, c := range []change.Cursor{cur, got} {
		c.Position, c.LeasedUntil = 4, time.Time{}
		if err := moveCursor(t, s, c); err != nil {
			t.Fatal(err)
		}
	}
	pruneAll(t, s, ts("2021-01-01T00:00:00Z"))
	later := late
	later.Consumer = newTenant("later")
	if got, err := claimCursor(t, s, later); !errors.Is(err, donorsync.ErrNotFound) {
		t.Errorf("a consumer after every change was pruned: %+v, %v; want ErrNotFound (nothing to handle)", got, err)
	}
}

// pruneAll prunes until nothing is left to prune before before.
func pruneAll(t *testing.T, s donorsync.Store, before time.Time) {
	t.Helper()
	for range 1000 {
		var n int
		update(t, s, func(tx donorsync.Tx) error {
			var err error
			n, err = tx.PruneChanges(ctx(t), before, 100)
			return err
		})
		if n == 0 {
			return
		}
	}
}

// testFeedPruneAwaitsReaders checks that pruning keeps the changes a
// consumer of every tenant's feed may not have seen: those of a feed on
// which it has no cursor yet, made since its last claim (or less than a
// minute before it); that its claim makes it a cursor on every feed,
// whichever it claims; and that such a cursor holds the feed's pruning
// back as any other does.
func testFeedPruneAwaitsReaders(t *testing.T, s donorsync.Store) {
	reader, other := newTenant("reader"), newTenant("other")
	seen, begun := newTenant("seen"), newTenant("begun")
	claimAny := func(now time.Time) {
		t.Helper()
		cur, err := claimCursor(t, s, change.Claim{Consumer: reader, Token: "r", Now: now, Until: now.Add(time.Minute)})
		if err != nil {
			t.Fatalf("the reader of every feed claims: %v", err)
		}
		cur.LeasedUntil = time.Time{} // handles nothing
		if err := moveCursor(t, s, cur); err != nil {
			t.Fatal(err)
		}
	}
	// A feed another consumer has handled, there when the reader claims.
	kept := newTenant("zkept") // after seen by name: the claim below takes seen
	appendN(t, s, kept, 2, ts("2021-06-01T00:00:00Z"))
	o, err := claimCursor(t, s, change.Claim{Consumer: other, Tenant: kept, Token: "o", Now: ts("2021-06-02T00:00:00Z"), Until: ts("2021-06-02T00:01:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	o.Position, o.LeasedUntil = 2, time.Time{}
	if err := moveCursor(t, s, o); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, seen, 1, ts("2022-01-01T00:00:00Z"))
	claimAny(ts("2022-01-01T00:00:00Z"))
	pruneAll(t, s, ts("2023-01-01T00:00:00Z"))
	if left := positions(changesOf(t, s, kept)); len(left) != 2 {
		t.Fatalf("pruning left %v of a feed the reader of every feed had not handled when it claimed (another feed, or this one); want 1, 2", left)
	}
	// A feed begun after the reader's last claim, handled to its end by
	// another consumer, and made long enough ago to be pruned.
	appendN(t, s, begun, 3, ts("2022-06-01T00:00:00Z"))
	cur, err := claimCursor(t, s, change.Claim{Consumer: other, Tenant: begun, Token: "o", Now: ts("2022-06-02T00:00:00Z"), Until: ts("2022-06-02T00:01:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	cur.Position, cur.LeasedUntil = 3, time.Time{}
	if err := moveCursor(t, s, cur); err != nil {
		t.Fatal(err)
	}
	pruneAll(t, s, ts("2023-01-01T00:00:00Z"))
	if left := positions(changesOf(t, s, begun)); len(left) != 3 {
		t.Fatalf("pruning left %v of a feed begun after the last claim of a consumer of every feed, who has seen none of it; want 1, 2, 3", left)
	}
	// Its next claim gives the reader a cursor on the feed, at its start,
	// which holds the pruning back until it moves.
	claimAny(ts("2022-07-01T00:00:00Z"))
	pruneAll(t, s, ts("2023-01-01T00:00:00Z"))
	if left := positions(changesOf(t, s, begun)); len(left) != 3 {
		t.Fatalf("pruning left %v of a feed whose reader's cursor is at its start; want 1, 2, 3", left)
	}
	mine, err := claimCursor(t, s, change.Claim{Consumer: reader, Tenant: begun, Token: "r2", Now: ts("2022-07-02T00:00:00Z"), Until: ts("2022-07-02T00:01:00Z")})
	if err != nil || mine.Position != 0 {
		t.Fatalf("the reader's cursor on the feed: %+v, %v; want it at 0, before every change", mine, err)
	}
	mine.Position, mine.LeasedUntil = 3, time.Time{}
	if err := moveCursor(t, s, mine); err != nil {
		t.Fatal(err)
	}
	pruneAll(t, s, ts("2023-01-01T00:00:00Z"))
	if left := positions(changesOf(t, s, begun)); len(left) != 0 {
		t.Errorf("pruning left %v of a feed every consumer has passed; want none", left)
	}
}
