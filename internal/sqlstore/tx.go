package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
)

// tx serves the Store contract and the whole batch protocol; each store
// declares which parts of the protocol the engine may use.
var (
	_ donorsync.Tx                                        = (*tx)(nil)
	_ batch.Recorder[*donorsync.Delivery]                 = (*tx)(nil)
	_ batch.Claimer[donorsync.Claim, *donorsync.Delivery] = (*tx)(nil)
	_ batch.Lister[donorsync.Claim, *donorsync.Delivery]  = (*tx)(nil)
	_ batch.Prefetcher                                    = (*tx)(nil)
	_ batch.Prober                                        = (*tx)(nil)
	_ batch.Preloader                                     = (*tx)(nil)
	_ batch.TryLocker                                     = (*tx)(nil)
	_ batch.DraftSender                                   = (*tx)(nil)
)

// A role is what a transaction is for, fixed when it begins.
type role int

const (
	// writing is a store's transaction (Run): it commits. When it keeps
	// records (rc not nil) it reads ahead from the record cache and
	// passes it what it read and wrote once committed.
	writing role = iota
	// viewing is a View of a store that keeps no records.
	viewing
	// preloading is a View that preloads for rc: what it reads ahead is
	// offered to the record cache once it ends.
	preloading
	// drafting is a Draft for the writer of rc: it reads what is
	// committed, holds back every write, and is rolled back.
	drafting
	// draftingAfter is a Draft after another, whose cache (after) tells
	// what records will be once the other is sent.
	draftingAfter
)

// A mode is how a transaction reads and writes records just now.
type mode int

const (
	// plainMode, until Prefetch: each read queries the database, each
	// write is sent as it comes.
	plainMode mode = iota
	// batchMode, after Prefetch (or SendDraft): reads are answered from
	// the transaction's cache c where it holds the record, writes are
	// held back in w (and shown in c) until flush sends them, at commit
	// or when a read needs them.
	batchMode
)

// tx is a transaction: plain SQL over the schema, no business logic.
type tx struct {
	tx    *sql.Tx
	d     *Dialect
	stmts *Stmts          // nil: statements are sent as text
	held  map[string]bool // names locked

	role role
	// rc is the writer's record cache: the one a writing transaction
	// keeps, a preloading View feeds, a draft reads; nil when none.
	rc      *RecordCache
	conn    any      // the driver connection, where a writer keeps rc
	checked bool     // rc was made current for this writer
	after   *txCache // in a draft after another, the other's cache

	mode mode
	c    *txCache // in batch mode: what was read ahead and written since
	w    *pending // in batch mode: the writes held back

	changes []changeRow // appended, held back in every mode (feed.go)

	// untracked says the transaction wrote records its cache does not
	// show (outside batch mode, or merged): the record cache is then
	// emptied when it commits. stale are the adjustment lists it wrote
	// to without holding them; sent is the draft it sent, if any.
	untracked bool
	stale     []batch.Ref
	sent      *draft
}

// keeps reports whether t is a writer that keeps records between
// transactions.
func (t *tx) keeps() bool { return t.role == writing && t.rc != nil }

// drafts reports whether t is a draft, whose writes are never its own.
func (t *tx) drafts() bool { return t.role == drafting || t.role == draftingAfter }

// recordCache returns the record cache t reads ahead from, if any: a
// writer's once made current, a View's or a draft's, as current as what
// they read or else dropped.
func (t *tx) recordCache() *RecordCache {
	if t.role == viewing || t.role == writing && !t.checked {
		return nil
	}
	return t.rc
}

// checkRecordCache makes the record cache of a writer that keeps one
// current, once.
func (t *tx) checkRecordCache(ctx context.Context) error {
	if !t.keeps() || t.checked {
		return nil
	}
	if err := t.rc.check(ctx, t.conn, t.dataVersion); err != nil {
		return err
	}
	t.checked = true
	return nil
}

// dataVersion returns the connection's data_version.
func (t *tx) dataVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := t.queryRow(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, t.d.wrap("data version", err)
	}
	return v, nil
}

// remember passes what a committed writer read and wrote to its record
// cache.
func (t *tx) remember() {
	switch {
	case !t.keeps():
	case t.untracked:
		t.rc.reset()
	case t.checked && t.mode == batchMode:
		t.rc.absorb(t.c, t.stale, t.sent)
	}
}

// readRecords readies the transaction to read records from the
// database: it sends the writes held back. A draft after another cannot:
// what it would read may be what the other is writing.
func (t *tx) readRecords(ctx context.Context) error {
	if t.role == draftingAfter {
		return fmt.Errorf("%s: %w", t.d.Name, errDraftMiss)
	}
	return t.flush(ctx)
}

func (t *tx) notFound(what, id string) error {
	return fmt.Errorf("%s: %s %q: %w", t.d.Name, what, id, donorsync.ErrNotFound)
}

// Lock implements donorsync.Tx.
func (t *tx) Lock(ctx context.Context, names []string) error {
	if t.d.Lock == nil || len(names) == 0 {
		return ctx.Err()
	}
	// A lock is held until the transaction ends: take only new ones.
	var fresh []string
	for _, n := range names {
		if !t.held[n] {
			fresh = append(fresh, n)
		}
	}
	if len(fresh) == 0 {
		return ctx.Err()
	}
	if err := t.d.Lock(ctx, t.tx, fresh); err != nil {
		return t.d.wrap("lock", err)
	}
	if t.held == nil {
		t.held = make(map[string]bool, len(fresh))
	}
	for _, n := range fresh {
		t.held[n] = true
	}
	return nil
}

// TryLock implements batch.TryLocker, where the dialect can take locks
// without waiting; elsewhere it declines with batch.ErrSkip.
func (t *tx) TryLock(ctx context.Context, names []string) ([]bool, error) {
	if t.d.TryLock == nil {
		return nil, batch.ErrSkip
	}
	held := make([]bool, len(names))
	var fresh []string
	var at []int
	for i, n := range names {
		if t.held[n] {
			held[i] = true
			continue
		}
		fresh, at = append(fresh, n), append(at, i)
	}
	if len(fresh) == 0 {
		return held, ctx.Err()
	}
	got, err := t.d.TryLock(ctx, t.tx, fresh)
	if err != nil {
		return nil, t.d.wrap("try lock", err)
	}
	if len(got) != len(fresh) {
		return nil, fmt.Errorf("%s: try lock: %d answers for %d locks", t.d.Name, len(got), len(fresh))
	}
	if t.held == nil {
		t.held = make(map[string]bool, len(fresh))
	}
	for j, ok := range got {
		if ok {
			held[at[j]] = true
			t.held[fresh[j]] = true
		}
	}
	return held, nil
}
