package memstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// feed is a tenant's change feed and its consumers' cursors.
type feed struct {
	changes []change.Change          // by position
	head    int64                    // the position of the last change appended
	cursors map[string]change.Cursor // by consumer
	claimed map[string]time.Time     // when each consumer last claimed its cursor
}

// AppendChanges implements donorsync.Tx.
func (t *tx) AppendChanges(ctx context.Context, cs []change.Change) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	for i := range cs {
		f := &t.tenant(cs[i].Tenant).feed
		n, head := len(f.changes), f.head
		t.undo = append(t.undo, func() { f.changes, f.head = f.changes[:n], head })
		f.head++
		cs[i].Position = f.head
		f.changes = append(f.changes, cs[i].Clone())
	}
	return nil
}

// Changes implements donorsync.Tx.
func (t *tx) Changes(ctx context.Context, tenant string, after int64, limit int) ([]change.Change, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	cs := t.tenant(tenant).feed.changes
	i := sort.Search(len(cs), func(i int) bool { return cs[i].Position > after })
	cs = cs[i:min(len(cs), i+limit)]
	out := make([]change.Change, len(cs))
	for i, c := range cs {
		out[i] = c.Clone()
	}
	return out, nil
}

// ClaimCursor implements donorsync.Tx.
func (t *tx) ClaimCursor(ctx context.Context, c change.Claim) (change.Cursor, error) {
	if err := t.check(ctx, true); err != nil {
		return change.Cursor{}, err
	}
	if c.Tenant == "" {
		if t.s.readers == nil {
			t.s.readers = map[string]time.Time{}
		}
		set(t, t.s.readers, c.Consumer, c.Now)
	}
	names := make([]string, 0, len(t.s.tenants))
	for name := range t.s.tenants {
		if c.Tenant == "" || name == c.Tenant {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	// Of the cursors with changes past them and a free lease, the one
	// claimed least recently, so that the tenants take turns.
	var pick *feed
	var cur change.Cursor
	for _, name := range names {
		f := &t.s.tenants[name].feed
		c2, ok := f.cursors[c.Consumer]
		if !ok && f.head > 0 {
			// Made on every feed the claim looks at, before the oldest
			// change kept: PruneChanges counts it from now on.
			c2 = change.Cursor{Consumer: c.Consumer, Tenant: name, Position: f.head}
			if len(f.changes) > 0 {
				c2.Position = f.changes[0].Position - 1
			}
			t.putCursor(f, c2)
		}
		if c2.Position >= f.head || c2.LeasedUntil.After(c.Now) {
			continue
		}
		if pick == nil || f.claimed[c.Consumer].Before(pick.claimed[c.Consumer]) {
			pick, cur = f, c2
		}
	}
	if pick == nil {
		return change.Cursor{}, fmt.Errorf("memstore: no cursor of %q with changes to handle: %w", c.Consumer, donorsync.ErrNotFound)
	}
	cur.Token, cur.LeasedUntil = c.Token, c.Until
	t.putCursor(pick, cur)
	if pick.claimed == nil {
		pick.claimed = map[string]time.Time{}
	}
	set(t, pick.claimed, c.Consumer, c.Now)
	return cur, nil
}

// MoveCursor implements donorsync.Tx.
func (t *tx) MoveCursor(ctx context.Context, cur change.Cursor) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	f := &t.tenant(cur.Tenant).feed
	stored, ok := f.cursors[cur.Consumer]
	if !ok || stored.Token != cur.Token {
		return fmt.Errorf("memstore: cursor of %q on %q: lease lost: %w", cur.Consumer, cur.Tenant, donorsync.ErrConflict)
	}
	cur.Position = max(cur.Position, stored.Position)
	t.putCursor(f, cur)
	return nil
}

func (t *tx) putCursor(f *feed, cur change.Cursor) {
	if f.cursors == nil {
		f.cursors = make(map[string]change.Cursor)
	}
	set(t, f.cursors, cur.Consumer, cur)
}

// PruneChanges implements donorsync.Tx.
func (t *tx) PruneChanges(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := t.check(ctx, true); err != nil {
		return 0, err
	}
	pruned := 0
	for _, tn := range t.s.tenants {
		f := &tn.feed
		if len(f.cursors) == 0 {
			continue
		}
		passed := f.head
		for _, cur := range f.cursors {
			passed = min(passed, cur.Position)
		}
		n := 0
		for n < len(f.changes) && pruned < limit && f.changes[n].Position <= passed && f.changes[n].At.Before(before) &&
			!t.awaited(f, f.changes[n]) {
			n++
			pruned++
		}
		if n > 0 {
			old := f.changes
			t.undo = append(t.undo, func() { f.changes = old })
			f.changes = slices.Clone(f.changes[n:])
		}
	}
	return pruned, nil
}

// awaited reports whether a consumer of every tenant's feed may not have
// seen c, of feed f: it has no cursor on f, and its last claim came less
// than a minute after c was made.
func (t *tx) awaited(f *feed, c change.Change) bool {
	for consumer, claimed := range t.s.readers {
		if _, ok := f.cursors[consumer]; !ok && claimed.Before(c.At.Add(time.Minute)) {
			return true
		}
	}
	return false
}
