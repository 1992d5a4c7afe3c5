package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/donorsync/donorsync"
)

// The journal: deliveries, as received, claimed and settled.

// RecordDelivery implements donorsync.Tx.
func (t *tx) RecordDelivery(ctx context.Context, d *donorsync.Delivery) (string, error) {
	if err := t.RecordDeliveries(ctx, []*donorsync.Delivery{d}); err != nil {
		return "", err
	}
	return d.DuplicateOf, nil
}

// The statements of RecordDeliveries.
var (
	insertDeliveries = statement{"record deliveries", `INSERT INTO deliveries (` + deliveryColumns + `) VALUES `,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ``}
	// The rows are inserted in order, so that of two with one key, the
	// first is journaled and the second left out.
	insertFirstDeliveries = statement{insertDeliveries.what, insertDeliveries.head, insertDeliveries.row,
		` ON CONFLICT (tenant, provider, key) WHERE status <> 'duplicate' DO NOTHING`}.returning("tenant, id")
	insertDuplicates = statement{"record duplicate deliveries", insertDeliveries.head, insertDeliveries.row, ``}
	findDeliveries   = statement{"find deliveries", `SELECT tenant, provider, key, id FROM deliveries
		WHERE (tenant, provider, key) IN (VALUES `, `(?, ?, ?)`, `) AND status <> 'duplicate'`}
)

// RecordDeliveries implements batch.Recorder: one statement journals them
// all, leaving out those whose key is taken; only when some are left out
// does a query find the deliveries that hold their keys, and a statement
// journal them as duplicates.
func (t *tx) RecordDeliveries(ctx context.Context, ds []*donorsync.Delivery) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	inserted, err := insertNew[idRef](ctx, t, insertFirstDeliveries, ds, t.deliveryArgs)
	if err != nil || len(inserted) == len(ds) {
		return err
	}
	var dups []*donorsync.Delivery
	first := map[actKey]string{}
	var keys []actKey
	for _, d := range ds {
		if inserted[idRef{d.Tenant, d.ID}] {
			continue
		}
		dups = append(dups, d)
		k := actKey{d.Tenant, d.Provider, d.Key}
		if _, ok := first[k]; !ok {
			first[k] = ""
			keys = append(keys, k)
		}
	}
	_, err = each(ctx, t, findDeliveries, keys, actKey.args, func(rs *sql.Rows) error {
		var k actKey
		var id string
		if err := rs.Scan(&k.tenant, &k.provider, &k.key, &id); err != nil {
			return err
		}
		first[k] = id
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range dups {
		id := first[actKey{d.Tenant, d.Provider, d.Key}]
		if id == "" {
			// Its key was taken, and is free again: the delivery that held
			// it was rolled back meanwhile.
			return fmt.Errorf("%s: record deliveries: key %q of %s: %w", t.d.Name, d.Key, d.Provider, donorsync.ErrConflict)
		}
		d.Status, d.DuplicateOf = donorsync.Duplicate, id
	}
	_, err = each(ctx, t, insertDuplicates, dups, t.deliveryArgs, nil)
	return err
}

// deliveryArgs appends the row of d in the deliveries table, its body
// encoded by the dialect's codec.
func (t *tx) deliveryArgs(d *donorsync.Delivery, dst []any) []any {
	body, encoding := encodeBody(t.d.Bodies, d.Body)
	if body == nil {
		body = []byte{}
	}
	return append(dst, d.Tenant, d.ID, d.Provider, d.Kind, d.Key, body, encoding, instant(d.ReceivedAt), string(d.Status), d.DuplicateOf,
		d.Attempts, d.Error, instant(d.UpdatedAt), instant(d.NextAttemptAt), instant(d.ClaimedUntil), encodeHistory(d.History))
}

// UpdateDelivery implements donorsync.Tx.
func (t *tx) UpdateDelivery(ctx context.Context, d *donorsync.Delivery) error {
	if t.mode == batchMode {
		t.w.deliveries.put(idRef{d.Tenant, d.ID}, deliveryUpdate{idRef{d.Tenant, d.ID}, string(d.Status), d.Error, d.Attempts,
			instant(d.UpdatedAt), instant(d.NextAttemptAt), instant(d.ClaimedUntil), encodeHistory(d.History)}, true)
		return nil
	}
	res, err := t.execContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?, error = ?, updated_at = ?,
		next_attempt_at = ?, claimed_until = ?, history = ? WHERE tenant = ? AND id = ?`, string(d.Status), d.Attempts, d.Error,
		instant(d.UpdatedAt), instant(d.NextAttemptAt), instant(d.ClaimedUntil), encodeHistory(d.History), d.Tenant, d.ID)
	if err != nil {
		return t.d.wrap("update delivery", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return t.notFound("delivery", d.ID)
	}
	return nil
}

const deliveryColumns = `tenant, id, provider, kind, key, body, body_encoding, received_at, status, duplicate_of, attempts, error, updated_at,
	next_attempt_at, claimed_until, history`

// deliveryColumnsNoBody is deliveryColumns with an empty body.
var deliveryColumnsNoBody = strings.Replace(deliveryColumns, " body, body_encoding,", " NULL, 0,", 1)

// scanDelivery scans a row of deliveryColumns (or deliveryColumnsNoBody),
// decoding its body.
func (t *tx) scanDelivery(row interface{ Scan(...any) error }) (*donorsync.Delivery, error) {
	var d donorsync.Delivery
	var received, updated, next, claimed int64
	var encoding int
	var status, history string
	if err := row.Scan(&d.Tenant, &d.ID, &d.Provider, &d.Kind, &d.Key, &d.Body, &encoding, &received, &status, &d.DuplicateOf,
		&d.Attempts, &d.Error, &updated, &next, &claimed, &history); err != nil {
		return nil, err
	}
	if err := decodeHistory(history, &d.History); err != nil {
		return nil, err
	}
	body, err := decodeBody(t.d.Bodies, d.Body, encoding)
	if err != nil {
		return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	d.Body = body
	d.ReceivedAt, d.UpdatedAt, d.Status = fromInstant(received), fromInstant(updated), donorsync.DeliveryStatus(status)
	d.NextAttemptAt, d.ClaimedUntil = fromInstant(next), fromInstant(claimed)
	if d.Body == nil {
		d.Body = []byte{}
	}
	return &d, nil
}

// scanDeliveries runs a query selecting deliveryColumns (or
// deliveryColumnsNoBody) and returns its rows.
func (t *tx) scanDeliveries(ctx context.Context, q string, args ...any) ([]*donorsync.Delivery, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*donorsync.Delivery
	for rows.Next() {
		d, err := t.scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// deliveryByID selects a tenant's delivery by id.
const deliveryByID = `SELECT ` + deliveryColumns + ` FROM deliveries WHERE tenant = ? AND id = ?`

// Delivery implements donorsync.Tx.
func (t *tx) Delivery(ctx context.Context, tenant, id string) (*donorsync.Delivery, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	d, err := t.scanDelivery(t.queryRow(ctx, deliveryByID, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, t.notFound("delivery", id)
	}
	if err != nil {
		return nil, t.d.wrap("delivery", err)
	}
	return d, nil
}

// Deliveries implements donorsync.Tx.
func (t *tx) Deliveries(ctx context.Context, tenant string, f donorsync.DeliveryFilter) ([]*donorsync.Delivery, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	q, args := deliveriesQuery(tenant, f)
	out, err := t.scanDeliveries(ctx, q, args...)
	if err != nil {
		return nil, t.d.wrap("deliveries", err)
	}
	return out, nil
}

// deliveriesQuery returns the query listing the deliveries of tenant that
// f selects, and its arguments. Only the conditions f sets are written,
// so that each combination is a statement with a plan of its own. The
// primary key (tenant, id), or deliveries_status (tenant, status, id) for
// a status but processed, gives the order either way; no index holds the
// provider or the kind, which filter the rows walked until the page is
// full (see docs/adapters.md for what that costs), nor which deliveries
// are processed: nearly all are, and a listing of those filters the
// primary key's walk as quickly.
func deliveriesQuery(tenant string, f donorsync.DeliveryFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT ` + deliveryColumns + ` FROM deliveries WHERE tenant = ?`)
	args := []any{tenant}
	where := func(cond string, arg ...any) {
		b.WriteString(` AND ` + cond)
		args = append(args, arg...)
	}
	order := ` ORDER BY id`
	switch {
	case f.NewestFirst && f.After != "":
		where(`id < ?`, f.After)
	case f.After != "":
		where(`id > ?`, f.After)
	}
	if f.NewestFirst {
		order += ` DESC`
	}
	if !f.Since.IsZero() {
		where(`received_at >= ?`, micros(f.Since))
	}
	if f.Status != "" {
		cond, arg := statusIs(f.Status)
		where(cond, arg...)
	}
	if f.Provider != "" {
		where(`provider = ?`, f.Provider)
	}
	switch prefix, ok := strings.CutSuffix(f.Kind, "*"); {
	case f.Kind == "" || f.Kind == "*":
	case f.Kind == donorsync.NoKind:
		where(`kind = ''`)
	case ok:
		where(`substr(kind, 1, length(CAST(? AS TEXT))) = ?`, prefix, prefix)
	default:
		where(`kind = ?`, f.Kind)
	}
	b.WriteString(order + ` LIMIT ?`)
	return b.String(), append(args, limit(f.Page))
}

// statusIs returns the condition that a delivery has status s, and its
// arguments. For a status but processed it repeats the condition of
// deliveries_status, which leaves the processed deliveries out: SQLite
// reads a partial index only for a query whose conditions include the
// index's own. The statuses a delivery can have are constants, so that
// each listing of one is a statement of its own.
func statusIs(s donorsync.DeliveryStatus) (string, []any) {
	switch s {
	case donorsync.Processed:
		return `status = 'processed'`, nil
	case donorsync.Pending, donorsync.Duplicate, donorsync.Failed, donorsync.Quarantined, donorsync.Dead:
		return `status = '` + string(s) + `' AND status <> 'processed'`, nil
	}
	return `status = ? AND status <> 'processed'`, []any{string(s)}
}
