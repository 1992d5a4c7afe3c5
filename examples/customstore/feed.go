package customstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// feedSchema is the change feed: each change as JSON, numbered per
// organisation; the last number given in each; and the cursors of the
// CRM's consumers.
const feedSchema = `
CREATE TABLE IF NOT EXISTS crm_events (
	org TEXT NOT NULL, seq INTEGER NOT NULL, made TEXT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (org, seq));
CREATE TABLE IF NOT EXISTS crm_event_heads (org TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS crm_event_readers (
	reader TEXT NOT NULL, org TEXT NOT NULL, seq INTEGER NOT NULL, token TEXT NOT NULL, held_until TEXT NOT NULL,
	PRIMARY KEY (reader, org));
`

// AppendChanges numbers each change after the last of its organisation.
// Transactions run one at a time here; a store that runs writers in
// parallel must hold the head row's lock until commit (an UPDATE does),
// so that numbers follow the order of commits.
func (t *tx) AppendChanges(ctx context.Context, cs []change.Change) error {
	for i := range cs {
		c := &cs[i]
		err := t.QueryRowContext(ctx, `INSERT INTO crm_event_heads VALUES (?, 1)
			ON CONFLICT (org) DO UPDATE SET seq = seq + 1 RETURNING seq`, c.Tenant).Scan(&c.Position)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO crm_events VALUES (?, ?, ?, ?)`, c.Tenant, c.Position, when(c.At), record(c)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Changes(ctx context.Context, tenant string, after int64, limit int) ([]change.Change, error) {
	if limit <= 0 {
		limit = 100
	}
	return all[change.Change](ctx, t, `SELECT event FROM crm_events WHERE org = ? AND seq > ? ORDER BY seq LIMIT ?`, tenant, after, limit)
}

// ClaimCursor finds an organisation with events past the reader's cursor
// (a cursor it has not made yet starts before the oldest event kept) and
// a free lease, and leases it. Transactions run one at a time, so no other claim sees the
// cursor between the read and the write.
func (t *tx) ClaimCursor(ctx context.Context, c change.Claim) (change.Cursor, error) {
	if c.Tenant == "" {
		// A reader of every organisation: a row of none says so, and when
		// it last claimed (held_until, a minute early), so that
		// PruneChanges keeps the events of the organisations it has not
		// begun on that were made since.
		if _, err := t.ExecContext(ctx, `INSERT INTO crm_event_readers VALUES (?, '', 0, '', ?)
			ON CONFLICT (reader, org) DO UPDATE SET held_until = excluded.held_until`, c.Consumer, when(c.Now.Add(-time.Minute))); err != nil {
			return change.Cursor{}, err
		}
	}
	// The reader's cursors on the organisations it has none on yet, before
	// the oldest event kept: from now on PruneChanges counts them.
	if _, err := t.ExecContext(ctx, `INSERT INTO crm_event_readers
		SELECT ?, h.org, coalesce((SELECT min(seq) - 1 FROM crm_events e WHERE e.org = h.org), h.seq), '', ''
		FROM crm_event_heads h WHERE (? = '' OR h.org = ?)
		AND NOT EXISTS (SELECT 1 FROM crm_event_readers r WHERE r.reader = ? AND r.org = h.org)`,
		c.Consumer, c.Tenant, c.Tenant, c.Consumer); err != nil {
		return change.Cursor{}, err
	}
	cur := change.Cursor{Consumer: c.Consumer, Token: c.Token, LeasedUntil: c.Until}
	err := t.QueryRowContext(ctx, `SELECT h.org, coalesce(r.seq, (SELECT min(seq) - 1 FROM crm_events e WHERE e.org = h.org), h.seq) FROM crm_event_heads h
		LEFT JOIN crm_event_readers r ON r.reader = ? AND r.org = h.org
		WHERE (? = '' OR h.org = ?) AND h.seq > coalesce(r.seq, (SELECT min(seq) - 1 FROM crm_events e WHERE e.org = h.org), h.seq)
		AND coalesce(r.held_until, '') <= ?
		ORDER BY h.org LIMIT 1`, c.Consumer, c.Tenant, c.Tenant, when(c.Now)).Scan(&cur.Tenant, &cur.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return cur, fmt.Errorf("customstore: no events for reader %q: %w", c.Consumer, donorsync.ErrNotFound)
	}
	if err != nil {
		return cur, err
	}
	_, err = t.ExecContext(ctx, `INSERT INTO crm_event_readers VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (reader, org) DO UPDATE SET token = excluded.token, held_until = excluded.held_until`,
		cur.Consumer, cur.Tenant, cur.Position, cur.Token, when(cur.LeasedUntil))
	return cur, err
}

// MoveCursor moves the cursor forward, only for the holder of its lease.
func (t *tx) MoveCursor(ctx context.Context, cur change.Cursor) error {
	res, err := t.ExecContext(ctx, `UPDATE crm_event_readers SET seq = max(seq, ?), held_until = ?
		WHERE reader = ? AND org = ? AND token = ?`, cur.Position, when(cur.LeasedUntil), cur.Consumer, cur.Tenant, cur.Token)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("customstore: reader %q of %q: lease lost: %w", cur.Consumer, cur.Tenant, donorsync.ErrConflict)
	}
	return nil
}

// PruneChanges deletes old events every reader of their organisation
// has read, but those a reader of every organisation that has not begun
// on it may not have seen: made less than a minute before its last claim.
func (t *tx) PruneChanges(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.ExecContext(ctx, `DELETE FROM crm_events WHERE rowid IN (
		SELECT e.rowid FROM crm_events e
		JOIN (SELECT org, min(seq) AS seq FROM crm_event_readers WHERE org <> '' GROUP BY org) r ON r.org = e.org
		WHERE e.seq <= r.seq AND e.made < ?
		AND NOT EXISTS (SELECT 1 FROM crm_event_readers a WHERE a.org = '' AND a.held_until < e.made
			AND NOT EXISTS (SELECT 1 FROM crm_event_readers b WHERE b.reader = a.reader AND b.org = e.org))
		LIMIT ?)`, when(before), limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
