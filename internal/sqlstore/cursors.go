package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// The cursors of the feed's consumers. A claim takes, of the cursors
// with changes past them and a free lease, the one claimed least
// recently, so that the tenants of a consumer take turns. Where writers
// run side by side the claim skips the cursors another claim has locked
// (Dialect.ForUpdate), and reads the heads without locking them: writers
// hold them until they commit.

// ClaimCursor implements donorsync.Tx.
func (t *tx) ClaimCursor(ctx context.Context, c change.Claim) (change.Cursor, error) {
	if err := t.readFeed(ctx); err != nil {
		return change.Cursor{}, err
	}
	if c.Tenant == "" {
		// The consumer reads every tenant's feed: a row of no tenant says
		// so, and when it last claimed, for PruneChanges. Rewritten once a
		// minute at most, to spare the writes, and so that the claims of
		// the consumer's replicas seldom wait for one another on its lock
		// (an upsert would lock it each time).
		if err := t.exec(ctx, "claim cursor", `INSERT INTO change_cursors (consumer, tenant, position, token, leased_until, claimed_at)
			VALUES (?, '', 0, '', 0, ?) ON CONFLICT (consumer, tenant) DO NOTHING`, c.Consumer, micros(c.Now)); err != nil {
			return change.Cursor{}, err
		}
		if err := t.exec(ctx, "claim cursor", `UPDATE change_cursors SET claimed_at = ?
			WHERE consumer = ? AND tenant = '' AND claimed_at < ?`, micros(c.Now), c.Consumer, micros(c.Now)-60_000_000); err != nil {
			return change.Cursor{}, err
		}
	}
	if err := t.createCursors(ctx, c.Consumer, c.Tenant); err != nil {
		return change.Cursor{}, err
	}
	pick := `SELECT c.tenant FROM change_cursors c WHERE c.consumer = ? AND c.leased_until <= ?
		AND c.position < (SELECT h.position FROM change_heads h WHERE h.tenant = c.tenant)`
	args := []any{c.Token, micros(c.Until), micros(c.Now), c.Consumer, c.Consumer, micros(c.Now)}
	if c.Tenant != "" {
		pick += ` AND c.tenant = ?`
		args = append(args, c.Tenant)
	}
	pick += ` ORDER BY c.claimed_at, c.tenant LIMIT 1` + t.d.ForUpdate
	cur := change.Cursor{Consumer: c.Consumer, Token: c.Token, LeasedUntil: c.Until}
	err := t.queryRow(ctx, `UPDATE change_cursors SET token = ?, leased_until = ?, claimed_at = ?
		WHERE consumer = ? AND tenant = (`+pick+`) RETURNING tenant, position`, args...).Scan(&cur.Tenant, &cur.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return change.Cursor{}, fmt.Errorf("%s: no cursor of %q with changes to handle: %w", t.d.Name, c.Consumer, donorsync.ErrNotFound)
	}
	if err != nil {
		return change.Cursor{}, t.d.wrap("claim cursor", err)
	}
	return cur, nil
}

// createCursors creates the cursors consumer lacks on the feed of
// tenant, or on every feed when tenant is "", each before the oldest
// change its feed keeps (at its head when every change was pruned).
func (t *tx) createCursors(ctx context.Context, consumer, tenant string) error {
	q := `INSERT INTO change_cursors (consumer, tenant, position, token, leased_until, claimed_at)
		SELECT ?, h.tenant, coalesce((SELECT min(c.position) - 1 FROM changes c WHERE c.tenant = h.tenant), h.position),
			'', 0, 0 FROM change_heads h
		WHERE NOT EXISTS (SELECT 1 FROM change_cursors c WHERE c.consumer = ? AND c.tenant = h.tenant)`
	args := []any{consumer, consumer}
	if tenant != "" {
		q += ` AND h.tenant = ?`
		args = append(args, tenant)
	}
	// In tenant order: claims creating cursors at once wait for one
	// another's rows without deadlock.
	return t.exec(ctx, "create cursors", q+` ORDER BY h.tenant ON CONFLICT DO NOTHING`, args...)
}

// MoveCursor implements donorsync.Tx.
func (t *tx) MoveCursor(ctx context.Context, cur change.Cursor) error {
	res, err := t.execContext(ctx, `UPDATE change_cursors SET position = CASE WHEN position > ? THEN position ELSE ? END,
		leased_until = ? WHERE consumer = ? AND tenant = ? AND token = ? AND token <> ''`,
		cur.Position, cur.Position, instant(cur.LeasedUntil), cur.Consumer, cur.Tenant, cur.Token)
	if err != nil {
		return t.d.wrap("move cursor", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.d.wrap("move cursor", err)
	}
	if n == 0 {
		return fmt.Errorf("%s: cursor of %q on %q: lease lost: %w", t.d.Name, cur.Consumer, cur.Tenant, donorsync.ErrConflict)
	}
	return nil
}

// PruneChanges implements donorsync.Tx.
func (t *tx) PruneChanges(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := t.readFeed(ctx); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	// Of the feeds with cursors, the changes every cursor has passed,
	// but those made less than a minute before the last claim of a
	// consumer of every feed that has no cursor on theirs.
	res, err := t.execContext(ctx, `DELETE FROM changes WHERE (tenant, position) IN (
		SELECT ch.tenant, ch.position FROM changes ch
		JOIN (SELECT tenant, min(position) AS passed FROM change_cursors WHERE tenant <> '' GROUP BY tenant) m
			ON m.tenant = ch.tenant
		WHERE ch.position <= m.passed AND ch.at < ?
		AND NOT EXISTS (SELECT 1 FROM change_cursors r WHERE r.tenant = '' AND r.claimed_at < ch.at + 60000000
			AND NOT EXISTS (SELECT 1 FROM change_cursors c WHERE c.consumer = r.consumer AND c.tenant = ch.tenant))
		LIMIT ?)`, micros(before), limit)
	if err != nil {
		return 0, t.d.wrap("prune changes", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.d.wrap("prune changes", err)
	}
	return int(n), nil
}
