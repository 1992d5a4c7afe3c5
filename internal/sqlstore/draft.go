package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
)

var (
	errNoRecordCache    = errors.New("draft: the store keeps no records between transactions")
	errDraftRead        = errors.New("draft: a read needs the writes held back sent first")
	errDraftUntracked   = errors.New("draft: writes outside batch mode")
	errDraftAfterUnheld = errors.New("draft: after a draft that wrote to adjustments it did not read")
	errDraftTooFar      = errors.New("draft: after a draft that follows one not committed yet")
	errDraftMiss        = errors.New("draft: after another, a read of a record it did not read ahead")
)

// A draft is what a transaction of Draft held back.
type draft struct {
	rc    *RecordCache
	epoch uint64 // the record cache's, before the draft began
	after *draft // the draft it follows, until sent; with the record cache locked
	c     *txCache
	w     *pending
	stale []batch.Ref
	// changes are the changes appended, their positions given when the
	// draft is sent.
	changes []changeRow
	sent    atomic.Bool
	// committed is the record cache's epoch once the transaction that
	// sent the draft committed, 0 before; set with the record cache
	// locked.
	committed uint64
}

// Draft runs fn in a transaction of db that only reads and holds back
// every write, for a writing transaction of the store whose record cache
// is rc to send (batch.Drafter). The records fn reads are answered from
// after's cache (what it read and wrote), when after is not nil, then
// from rc, then from the database; after must follow no draft, or one
// that has committed. fn must Prefetch before it writes: a write outside
// batch mode fails, as does a read that would need the writes held back
// sent first.
func Draft(ctx context.Context, db *sql.DB, rc *RecordCache, d *Dialect, after batch.Draft, fn func(donorsync.Tx) error) (batch.Draft, error) {
	if rc == nil {
		return nil, fmt.Errorf("%s: %w: %w", d.Name, batch.ErrSkip, errNoRecordCache)
	}
	t := &tx{d: d, role: drafting, rc: rc}
	dr := &draft{rc: rc, epoch: rc.epochNow()} // before the draft's snapshot is taken
	if after != nil {
		p, err := follow(rc, d, after)
		if err != nil {
			return nil, err
		}
		t.role, t.after, dr.after = draftingAfter, p.c, p
	}
	if err := run(ctx, db, t, nil, fn); err != nil {
		return nil, err
	}
	if t.mode != batchMode || t.untracked {
		return nil, fmt.Errorf("%s: %w", d.Name, errDraftUntracked)
	}
	dr.c, dr.w, dr.stale, dr.changes = t.c, t.w, t.stale, t.changes
	return dr, nil
}

// follow returns after as the draft a new draft of rc follows, when it
// can be.
func follow(rc *RecordCache, d *Dialect, after batch.Draft) (*draft, error) {
	p, ok := after.(*draft)
	if !ok || p.rc != rc {
		return nil, fmt.Errorf("%s: draft after a draft of another store", d.Name)
	}
	if len(p.stale) > 0 {
		// Lists it wrote to without reading them: what they hold once it
		// commits is known to the database only.
		return nil, fmt.Errorf("%s: %w", d.Name, errDraftAfterUnheld)
	}
	if !rc.followsCommitted(p) {
		return nil, fmt.Errorf("%s: %w", d.Name, errDraftTooFar)
	}
	return p, nil
}

// SendDraft implements batch.DraftSender: it takes the draft's cache
// and writes held back as its own when the record cache is current and
// nothing has changed records since the draft began, or since the draft
// it follows committed. It does so only before the transaction reads or
// writes in batch mode itself.
func (t *tx) SendDraft(ctx context.Context, dr batch.Draft) (bool, error) {
	d, ok := dr.(*draft)
	if !ok || !t.keeps() || d.rc != t.rc || t.mode != plainMode || t.untracked {
		return false, nil
	}
	if err := t.checkRecordCache(ctx); err != nil {
		return false, err
	}
	if !t.rc.unchanged(d) || !d.sent.CompareAndSwap(false, true) {
		return false, nil
	}
	t.mode, t.c, t.w, t.stale, t.sent = batchMode, d.c, d.w, d.stale, d
	t.changes = append(t.changes, d.changes...)
	return true, nil
}
