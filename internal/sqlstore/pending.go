package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// Writes held back. In batch mode a transaction holds its writes back as
// rows of the tables they go to, one per primary key, and sends each
// table's rows in a few multi-row statements when it commits, or when a
// read needs them (flush).

// keyRef is a contact key of one tenant.
type keyRef struct{ tenant, kind, value string }

// idRef is a record id of one tenant.
type idRef struct{ tenant, id string }

// actKey is the natural key of an activity or an adjustment, or of a
// delivery (its provider's key).
type actKey struct{ tenant, provider, key string }

func keyOf(k batch.Key) keyRef { return keyRef{k.Tenant, string(k.Kind), k.Value} }

func idOf(r batch.ID) idRef { return idRef{r.Tenant, r.ID} }

func (k keyRef) args(dst []any) []any { return append(dst, k.tenant, k.kind, k.value) }
func (r idRef) args(dst []any) []any  { return append(dst, r.tenant, r.id) }
func (k actKey) args(dst []any) []any { return append(dst, k.tenant, k.provider, k.key) }
func refArgs(r batch.Ref, dst []any) []any {
	return append(dst, r.Tenant, r.Provider, r.ExternalID)
}

func (k *keyRef) scan(rs *sql.Rows) error { return rs.Scan(&k.tenant, &k.kind, &k.value) }
func (r *idRef) scan(rs *sql.Rows) error  { return rs.Scan(&r.tenant, &r.id) }
func (k *actKey) scan(rs *sql.Rows) error { return rs.Scan(&k.tenant, &k.provider, &k.key) }

// The rows of the tables written to, as held back: each record as the
// transaction's cache shows it, never changed, and its data column.
type (
	contactRow struct {
		c    *contact.Contact
		data string
	}
	keyRow struct {
		keyRef
		owner string // the contact id
	}
	activityRow struct {
		actKey
		a        *contact.Activity
		expected bool // new: the transaction read it absent
	}
	adjustmentRow struct {
		actKey
		a        *donation.Adjustment
		expected bool // new: not in the list the transaction read
	}
	donationRow struct {
		d    *donation.Donation
		data string
	}
	commitmentRow struct {
		c    *donation.Commitment
		data string
	}
	deliveryUpdate struct {
		idRef
		status, err              string
		attempts                 int
		updated, next, claimedTo int64
		history                  string
	}
)

func (r keyRow) args(dst []any) []any { return append(dst, r.tenant, r.kind, r.value, r.owner) }

// The arguments of the rows of records, which the dialect encodes.
func (d *Dialect) contactRowArgs(r contactRow, dst []any) []any {
	return d.contactArgs(r.c, r.data, dst)
}
func (d *Dialect) activityRowArgs(r activityRow, dst []any) []any {
	return d.activityArgs(r.a, dst)
}
func (d *Dialect) adjustmentRowArgs(r adjustmentRow, dst []any) []any {
	return d.adjustmentArgs(r.a, dst)
}
func (d *Dialect) donationRowArgs(r donationRow, dst []any) []any {
	return d.donationArgs(r.d, r.data, dst)
}
func (d *Dialect) commitmentRowArgs(r commitmentRow, dst []any) []any {
	return d.commitmentArgs(r.c, r.data, dst)
}
func (r deliveryUpdate) args(dst []any) []any {
	return append(dst, r.tenant, r.id, r.status, r.attempts, r.err, r.updated, r.next, r.claimedTo, r.history)
}

// A table holds the rows of one table waiting to be written, one per
// primary key, in the order first written.
type table[K comparable, R any] struct {
	index map[K]int
	rows  []R
}

// put adds r under k; a later row for the same key replaces the earlier
// one when replace is set, and is dropped otherwise.
func (t *table[K, R]) put(k K, r R, replace bool) {
	if t.index == nil {
		t.index = map[K]int{}
	}
	if i, ok := t.index[k]; ok {
		if replace {
			t.rows[i] = r
		}
		return
	}
	t.index[k] = len(t.rows)
	t.rows = append(t.rows, r)
}

// pending are the writes held back.
type pending struct {
	contacts    table[idRef, contactRow]
	keys        table[keyRef, keyRow]
	activities  table[actKey, activityRow]
	adjustments table[actKey, adjustmentRow]
	donations   table[batch.Ref, donationRow]
	commitments table[batch.Ref, commitmentRow]
	deliveries  table[idRef, deliveryUpdate]
}

func (p *pending) empty() bool {
	return len(p.contacts.rows)+len(p.keys.rows)+len(p.activities.rows)+len(p.adjustments.rows)+
		len(p.donations.rows)+len(p.commitments.rows)+len(p.deliveries.rows) == 0
}

// updateDeliveries writes the outcomes of deliveries held back. The
// columns of a VALUES list are column1, column2, ... in both SQLite and
// PostgreSQL; the casts give them their types.
var updateDeliveries = statement{"update deliveries", `UPDATE deliveries SET status = v.column3, attempts = v.column4,
		error = v.column5, updated_at = v.column6, next_attempt_at = v.column7, claimed_until = v.column8,
		history = v.column9 FROM (VALUES `,
	`(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT))`,
	`) AS v WHERE deliveries.tenant = v.column1 AND deliveries.id = v.column2`}

// flush sends the writes held back.
func (t *tx) flush(ctx context.Context) error {
	p := t.w
	if p == nil || p.empty() {
		return nil
	}
	if t.drafts() {
		return fmt.Errorf("%s: %w", t.d.Name, errDraftRead)
	}
	t.w = &pending{}
	if _, err := each(ctx, t, putContacts, p.contacts.rows, t.d.contactRowArgs, nil); err != nil {
		return err
	}
	if err := t.flushKeys(ctx, p.keys.rows); err != nil {
		return err
	}
	if err := t.flushActivities(ctx, p.activities.rows); err != nil {
		return err
	}
	if err := t.flushAdjustments(ctx, p.adjustments.rows); err != nil {
		return err
	}
	if _, err := each(ctx, t, putDonations, p.donations.rows, t.d.donationRowArgs, nil); err != nil {
		return err
	}
	if _, err := each(ctx, t, putCommitments, p.commitments.rows, t.d.commitmentRowArgs, nil); err != nil {
		return err
	}
	return t.flushDeliveries(ctx, p.deliveries.rows)
}

// flushKeys writes contact keys, each of which must be new or the same
// contact's already.
func (t *tx) flushKeys(ctx context.Context, rows []keyRow) error {
	inserted, err := insertNew[keyRef](ctx, t, insertKeys, rows, keyRow.args)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if !inserted[r.keyRef] {
			// Taken before this transaction wrote it: unless it is ours
			// already, the race is lost.
			if err := t.keyIsOwners(ctx, r.keyRef, r.owner); err != nil {
				return err
			}
		}
	}
	return nil
}

// keyIsOwners reports a key conflict unless the contact key k, taken,
// is owner's.
func (t *tx) keyIsOwners(ctx context.Context, k keyRef, owner string) error {
	var id string
	if err := t.queryRow(ctx, selectKeyOwner, k.tenant, k.kind, k.value).Scan(&id); err != nil {
		return t.d.wrap("contact key", err)
	}
	if id != owner {
		return &donorsync.KeyConflictError{Key: dedup.Key{Kind: dedup.Kind(k.kind), Value: k.value}, Owner: id}
	}
	return nil
}

// flushAdjustments writes adjustments; those expected to be new must be.
func (t *tx) flushAdjustments(ctx context.Context, rows []adjustmentRow) error {
	inserted, err := insertNew[actKey](ctx, t, insertAdjustments, rows, t.d.adjustmentRowArgs)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.expected && !inserted[r.actKey] {
			// Its key was taken by an adjustment of another donation,
			// which this transaction did not read: what it derived from
			// the list it read is wrong.
			return fmt.Errorf("%s: adjustment %q is stored already under another donation: %w", t.d.Name, r.key, donorsync.ErrConflict)
		}
	}
	return nil
}

// flushActivities writes activities; those the transaction read absent
// must be new: where writers run side by side, another may have stored
// one since, and the change that tells it stored would be told twice.
func (t *tx) flushActivities(ctx context.Context, rows []activityRow) error {
	if !slices.ContainsFunc(rows, func(r activityRow) bool { return r.expected }) {
		_, err := each(ctx, t, putActivities, rows, t.d.activityRowArgs, nil)
		return err
	}
	inserted, err := insertNew[actKey](ctx, t, insertActivities, rows, t.d.activityRowArgs)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.expected && !inserted[r.actKey] {
			return fmt.Errorf("%s: activity %q of %s was stored meanwhile: %w", t.d.Name, r.key, r.provider, donorsync.ErrConflict)
		}
	}
	return nil
}

// flushDeliveries writes the outcomes of deliveries, which must exist.
func (t *tx) flushDeliveries(ctx context.Context, rows []deliveryUpdate) error {
	n, err := each(ctx, t, updateDeliveries, rows, deliveryUpdate.args, nil)
	if err != nil || int(n) == len(rows) {
		return err
	}
	for _, r := range rows {
		if _, err := t.Delivery(ctx, r.tenant, r.id); err != nil {
			return err
		}
	}
	return nil
}
