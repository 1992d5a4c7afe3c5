package sqlstore

import (
	"context"
	"sync"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// A RecordCache keeps, from one writing transaction to the next, the
// records they read ahead and wrote, so that a batch that meets a donor, a
// donation or a commitment seen shortly before reads it from memory rather
// than from the database.
//
// It is only for a store whose writing transactions all run on one
// connection that nothing else writes with: what that connection committed
// is then what the record cache holds. Writes committed by any other
// connection (another process, another Store on the same file) are noticed
// through SQLite's data_version, which changes on a connection when
// another one commits, and empty the record cache; so does a transaction
// of its own whose writes it did not follow, and a commit whose outcome is
// unknown.
//
// A View may preload records for the writer (donorsync.Preloader): they
// are kept when no writing transaction has changed records, and the record
// cache has not been emptied, since the View began, so that they are what
// the writer would read; a writing transaction that commits afterwards
// puts what it wrote over them. The record cache counts such changes in
// its epoch.
//
// It holds each kind of record in two generations, each up to that kind's
// limit (see NewRecordCache): when the newer is full, the older is
// dropped, and a record read from the older moves to the newer. A nil
// *RecordCache keeps nothing.
type RecordCache struct {
	mu      sync.Mutex
	conn    any   // the driver connection the records were read on
	version int64 // its data_version then
	valid   bool
	epoch   uint64 // changes each time records may have changed

	owners      gen[keyRef, string]
	contacts    gen[idRef, *contact.Contact]
	donations   gen[batch.Ref, *donation.Donation]
	adjustments gen[batch.Ref, []donation.Adjustment]
	commitments gen[batch.Ref, *donation.Commitment]
	activities  gen[actKey, *contact.Activity]

	stats RecordCacheStats
}

// RecordCacheStats counts what a record cache did.
type RecordCacheStats struct {
	Hits   int // records answered from memory
	Misses int // records read from the database
	Resets int // times the record cache was emptied

	Preloaded int // records a View read and the record cache kept
	Drafts    int // drafts a writing transaction sent
	Stale     int // preloads dropped and drafts refused: records changed since they began
}

// NewRecordCache returns a record cache of up to limit contacts in each generation,
// with four times as many contact keys and a quarter as many donations
// (with their adjustments), commitments and activities: a donor gives
// again within minutes far more often than a gift is refunded; limit must
// be positive.
func NewRecordCache(limit int) *RecordCache {
	// Epochs start at 1; 0 is none (see draft.committed).
	m := &RecordCache{epoch: 1}
	m.owners.limit = 4 * limit // a contact has a few keys
	m.contacts.limit = limit
	m.donations.limit = max(limit/4, 1)
	m.adjustments.limit = max(limit/4, 1)
	m.commitments.limit = max(limit/4, 1)
	m.activities.limit = max(limit/4, 1)
	return m
}

// Stats returns the counts so far.
func (m *RecordCache) Stats() RecordCacheStats {
	if m == nil {
		return RecordCacheStats{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Len returns how many records of all kinds the record cache holds.
func (m *RecordCache) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.owners.len() + m.contacts.len() + m.donations.len() + m.adjustments.len() + m.commitments.len() +
		m.activities.len()
}

// resetLocked empties the record cache. Its caller holds m.mu.
func (m *RecordCache) resetLocked() {
	m.owners.clear()
	m.contacts.clear()
	m.donations.clear()
	m.adjustments.clear()
	m.commitments.clear()
	m.activities.clear()
	m.valid = false
	m.epoch++
	m.stats.Resets++
}

// reset empties the record cache.
func (m *RecordCache) reset() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resetLocked()
}

// check makes the record cache current for a transaction on conn, whose
// data_version is read by version: a record cache kept on another connection,
// or on this one before another connection committed, is emptied.
// The transaction holds the write lock, so nothing else commits before
// it ends.
func (m *RecordCache) check(ctx context.Context, conn any, version func(context.Context) (int64, error)) error {
	v, err := version(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.valid && (m.conn != conn || m.version != v) {
		m.resetLocked()
	}
	m.conn, m.version, m.valid = conn, v, true
	return nil
}

// absorb takes the records of a committed transaction's cache, which
// holds what it read and, over it, what it wrote; stale are the
// adjustment lists it wrote to without holding them; sent is the draft
// it sent, if any.
func (m *RecordCache) absorb(c *txCache, stale []batch.Ref, sent *draft) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.valid {
		return
	}
	m.epoch++
	if sent != nil {
		sent.committed = m.epoch
	}
	for k, v := range c.owners {
		m.owners.put(k, v)
	}
	for k, v := range c.contacts {
		m.contacts.put(k, v)
	}
	for k, v := range c.donations {
		m.donations.put(k, v)
	}
	for k, v := range c.adjustments {
		m.adjustments.put(k, v)
	}
	for k, v := range c.commitments {
		m.commitments.put(k, v)
	}
	for k, v := range c.activities {
		m.activities.put(k, v)
	}
	for _, r := range stale {
		m.adjustments.del(r)
	}
}

// epochNow returns the record cache's epoch; 0 for a nil RecordCache.
func (m *RecordCache) epochNow() uint64 {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.epoch
}

// offer keeps the records of a View's cache that the record cache does not hold,
// when the record cache is current and its epoch is still the one read before the
// View began: no record has changed since, so the View read them as they
// are. Otherwise it drops them all.
func (m *RecordCache) offer(c *txCache, epoch uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.valid || m.epoch != epoch {
		m.stats.Stale++
		return
	}
	n := putNew(&m.owners, c.owners) + putNew(&m.contacts, c.contacts) + putNew(&m.donations, c.donations) +
		putNew(&m.adjustments, c.adjustments) + putNew(&m.commitments, c.commitments) + putNew(&m.activities, c.activities)
	m.stats.Preloaded += n
}

// unchanged reports whether the record cache is current and no record has
// changed since d began (its epoch is still d's), or, when d follows
// another draft, since that draft committed; it counts d refused
// otherwise.
func (m *RecordCache) unchanged(d *draft) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	since := d.epoch
	if d.after != nil {
		since = d.after.committed // 0, never an epoch, until it commits
	}
	if !m.valid || m.epoch != since {
		m.stats.Stale++
		return false
	}
	m.stats.Drafts++
	// Sent: the draft it followed is needed no more, and is let go, so
	// that a chain of drafts holds two at the most.
	d.after = nil
	return true
}

// followsCommitted reports whether the draft d follows no draft, or one
// that has committed.
func (m *RecordCache) followsCommitted(d *draft) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return d.after == nil || d.after.committed != 0
}

// putNew puts into g the entries of from it does not hold, and returns how
// many.
func putNew[K comparable, V any](g *gen[K, V], from map[K]V) int {
	n := 0
	for k, v := range from {
		if !g.has(k) {
			g.put(k, v)
			n++
		}
	}
	return n
}

// gen is a map of at most about 2×limit entries in two generations.
type gen[K comparable, V any] struct {
	cur, old map[K]V
	limit    int
}

func (g *gen[K, V]) len() int { return len(g.cur) + len(g.old) }

func (g *gen[K, V]) clear() { g.cur, g.old = nil, nil }

func (g *gen[K, V]) get(k K) (V, bool) {
	if v, ok := g.cur[k]; ok {
		return v, true
	}
	v, ok := g.old[k]
	if ok {
		delete(g.old, k)
		g.put(k, v)
	}
	return v, ok
}

func (g *gen[K, V]) has(k K) bool {
	if _, ok := g.cur[k]; ok {
		return true
	}
	_, ok := g.old[k]
	return ok
}

func (g *gen[K, V]) put(k K, v V) {
	if g.cur == nil {
		g.cur = make(map[K]V)
	}
	if _, ok := g.cur[k]; !ok && len(g.cur) >= g.limit {
		g.old, g.cur = g.cur, make(map[K]V, g.limit)
	}
	delete(g.old, k)
	g.cur[k] = v
}

func (g *gen[K, V]) del(k K) {
	delete(g.cur, k)
	delete(g.old, k)
}
