package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
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
	return append(dst, d.Tenant, d.ID, d.Provider, d.Kind, d.Key, body, encoding, micros(d.ReceivedAt), string(d.Status), d.DuplicateOf,
		d.Attempts, d.Error, micros(d.UpdatedAt), micros(d.NextAttemptAt), micros(d.ClaimedUntil), encodeHistory(d.History))
}

// UpdateDelivery implements donorsync.Tx.
func (t *tx) UpdateDelivery(ctx context.Context, d *donorsync.Delivery) error {
	if t.mode == batchMode {
		t.w.deliveries.put(idRef{d.Tenant, d.ID}, deliveryUpdate{idRef{d.Tenant, d.ID}, string(d.Status), d.Error, d.Attempts,
			micros(d.UpdatedAt), micros(d.NextAttemptAt), micros(d.ClaimedUntil), encodeHistory(d.History)}, true)
		return nil
	}
	res, err := t.execContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?, error = ?, updated_at = ?,
		next_attempt_at = ?, claimed_until = ?, history = ? WHERE tenant = ? AND id = ?`, string(d.Status), d.Attempts, d.Error,
		micros(d.UpdatedAt), micros(d.NextAttemptAt), micros(d.ClaimedUntil), encodeHistory(d.History), d.Tenant, d.ID)
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
	d.ReceivedAt, d.UpdatedAt, d.Status = fromMicros(received), fromMicros(updated), donorsync.DeliveryStatus(status)
	d.NextAttemptAt, d.ClaimedUntil = fromMicros(next), fromMicros(claimed)
	if d.Body == nil {
		d.Body = []byte{}
	}
	return &d, nil
}

// ClaimDeliveries implements donorsync.Tx.
func (t *tx) ClaimDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	return t.ClaimBatch(ctx, c, batch.ClaimBy{})
}

// A claim is a delivery claimed until a time.
type claim struct {
	idRef
	until int64
}

func (c claim) args(dst []any) []any { return append(dst, c.tenant, c.id, c.until) }

// claimDeliveries claims deliveries. The time is an argument like the
// ids, so that the statement's text is the same in every claim (and is
// kept prepared).
var claimDeliveries = statement{"claim deliveries", `UPDATE deliveries SET claimed_until = v.column3 FROM (VALUES `,
	`(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT))`,
	`) AS v WHERE deliveries.tenant = v.column1 AND deliveries.id = v.column2`}

// ClaimBatch implements batch.Claimer.
func (t *tx) ClaimBatch(ctx context.Context, c donorsync.Claim, by batch.ClaimBy) ([]*donorsync.Delivery, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	out, err := t.due(ctx, c, by, t.d.ForUpdate)
	if err != nil {
		return nil, t.d.wrap("claim deliveries", err)
	}
	claims := make([]claim, len(out))
	until := micros(c.Until)
	for i, d := range out {
		d.ClaimedUntil = c.Until
		claims[i] = claim{idRef{d.Tenant, d.ID}, until}
	}
	if by.Settling {
		// The writer's turn (SQLite) or the rows' locks (PostgreSQL,
		// ForUpdate) keep other claims away until the outcomes commit.
		return out, nil
	}
	if _, err := each(ctx, t, claimDeliveries, claims, claim.args, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// DueDeliveries implements batch.Lister.
func (t *tx) DueDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	out, err := t.due(ctx, c, batch.ClaimBy{}, "")
	if err != nil {
		return nil, t.d.wrap("due deliveries", err)
	}
	return out, nil
}

// due selects the deliveries c claims, oldest first, appending lock to
// each query.
func (t *tx) due(ctx context.Context, c donorsync.Claim, by batch.ClaimBy, lock string) ([]*donorsync.Delivery, error) {
	cols := deliveryColumns
	if by.NoBody {
		cols = deliveryColumnsNoBody
	}
	q := `SELECT ` + cols + ` FROM deliveries
		WHERE status IN ('pending', 'failed') AND next_attempt_at <= ? AND claimed_until <= ?`
	now := micros(c.Now)
	var out []*donorsync.Delivery
	var err error
	if len(by.IDs) == 0 {
		args := []any{now, now}
		if c.Tenant != "" {
			q += ` AND tenant = ?`
			args = append(args, c.Tenant)
		}
		out, err = t.scanDeliveries(ctx, q+` ORDER BY received_at, id LIMIT ?`+lock, append(args, max(c.Limit, 0))...)
	} else {
		out, err = t.dueByID(ctx, c, by.IDs, q, lock)
	}
	if err != nil {
		return nil, err
	}
	if by.NoBody {
		for _, d := range out {
			d.Body = nil
		}
	}
	return out, nil
}

// dueByID runs q, the query of due, for the deliveries ids names: by
// tenant, in chunks that keep under the statement's parameters. It orders
// them and cuts them to c.Limit itself: with ORDER BY, SQLite's planner
// walks the queue's index for the order rather than look each id up.
func (t *tx) dueByID(ctx context.Context, c donorsync.Claim, ids []batch.ID, q, lock string) ([]*donorsync.Delivery, error) {
	now := micros(c.Now)
	per := t.d.MaxParams
	if per <= 0 {
		per = 8000
	}
	per -= 3
	byTenant := map[string][]any{}
	var tenants []string
	for _, id := range ids {
		if c.Tenant != "" && id.Tenant != c.Tenant {
			continue
		}
		if _, ok := byTenant[id.Tenant]; !ok {
			tenants = append(tenants, id.Tenant)
		}
		byTenant[id.Tenant] = append(byTenant[id.Tenant], id.ID)
	}
	var out []*donorsync.Delivery
	for _, tenant := range tenants {
		ids := byTenant[tenant]
		for len(ids) > 0 {
			chunk := ids[:min(per, len(ids))]
			ids = ids[len(chunk):]
			args := append([]any{now, now, tenant}, chunk...)
			ds, err := t.scanDeliveries(ctx, q+` AND tenant = ? AND id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`+lock, args...)
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
		}
	}
	slices.SortFunc(out, func(a, b *donorsync.Delivery) int {
		if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out[:min(len(out), max(c.Limit, 0))], nil
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

// Delivery implements donorsync.Tx.
func (t *tx) Delivery(ctx context.Context, tenant, id string) (*donorsync.Delivery, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	d, err := t.scanDelivery(t.queryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant = ? AND id = ?`, tenant, id))
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
// a status, gives the order either way; no index holds the provider or
// the kind, which filter the rows walked until the page is full (see
// docs/adapters.md for what that costs).
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
		where(`status = ?`, string(f.Status))
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
