package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
)

// Claims: the deliveries due, oldest first, claimed until a time.

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
	until := instant(c.Until)
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
	var out []*donorsync.Delivery
	var err error
	if len(by.IDs) == 0 {
		q, args := dueQuery(c, by)
		out, err = t.scanDeliveries(ctx, q+lock, args...)
	} else {
		out, err = t.dueByID(ctx, c, by, lock)
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

// dueHead is the query of the deliveries due at a time (twice its first
// argument), without their bodies when noBody.
func dueHead(noBody bool) string {
	cols := deliveryColumns
	if noBody {
		cols = deliveryColumnsNoBody
	}
	return `SELECT ` + cols + ` FROM deliveries
		WHERE status IN ('pending', 'failed') AND next_attempt_at <= ? AND claimed_until <= ?`
}

// dueQuery returns the query of the deliveries c claims, oldest first,
// and its arguments.
func dueQuery(c donorsync.Claim, by batch.ClaimBy) (string, []any) {
	q := dueHead(by.NoBody)
	now := instant(c.Now)
	args := []any{now, now}
	if c.Tenant != "" {
		q += ` AND tenant = ?`
		args = append(args, c.Tenant)
	}
	return q + ` ORDER BY received_at, id LIMIT ?`, append(args, max(c.Limit, 0))
}

// dueByIDQuery is the query of the deliveries due among n of one tenant,
// named by id: its arguments are the time twice, the tenant, the ids.
func dueByIDQuery(noBody bool, n int) string {
	return dueHead(noBody) + ` AND tenant = ? AND id IN (` + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + `)`
}

// dueByID selects the deliveries due that by.IDs names: by tenant, in
// chunks that keep under the statement's parameters. It orders them and
// cuts them to c.Limit itself: with ORDER BY, SQLite's planner walks the
// queue's index for the order rather than look each id up.
func (t *tx) dueByID(ctx context.Context, c donorsync.Claim, by batch.ClaimBy, lock string) ([]*donorsync.Delivery, error) {
	ids := by.IDs
	now := instant(c.Now)
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
			ds, err := t.scanDeliveries(ctx, dueByIDQuery(by.NoBody, len(chunk))+lock, args...)
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
