package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// The change feed. A transaction holds the changes it appends back, in
// every mode, and sends them as it commits, after every other write:
// positions are given there, through the tenant's row in change_heads,
// whose lock (where writers run side by side) is then held for the
// shortest time, and orders the tenant's transactions as they commit. A
// draft's changes are sent with its writes. A read of the feed in the
// transaction sends them first.

// A changeRow is a change held back.
type changeRow struct {
	tenant   string
	position int64 // given when sent
	at       int64
	data     []byte
	set      *int64 // the appended change's Position, set when sent
}

func (r changeRow) args(dst []any) []any { return append(dst, r.tenant, r.position, r.at, r.data) }

// A headRow adds n positions to a tenant's feed.
type headRow struct {
	tenant string
	n      int64
}

func (r headRow) args(dst []any) []any { return append(dst, r.tenant, r.n) }

// The statements that send the changes held back.
var (
	// addToHeads adds to each tenant's head and returns it.
	addToHeads = statement{"advance change heads", `INSERT INTO change_heads (tenant, position) VALUES `, `(?, ?)`,
		` ON CONFLICT (tenant) DO UPDATE SET position = change_heads.position + excluded.position`}.returning("tenant, position")
	insertChanges = statement{"append changes", `INSERT INTO changes (tenant, position, at, data) VALUES `, `(?, ?, ?, ?)`, ``}
)

// AppendChanges implements donorsync.Tx. The changes are encoded now and
// sent as the transaction commits, when their positions are given: the
// Position of each of cs is set then.
func (t *tx) AppendChanges(ctx context.Context, cs []change.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range cs {
		c := &cs[i]
		data, err := encodeChange(c)
		if err != nil {
			return fmt.Errorf("%s: change %q: %w", t.d.Name, c.ID, err)
		}
		t.changes = append(t.changes, changeRow{tenant: c.Tenant, at: micros(c.At), data: data, set: &c.Position})
	}
	return nil
}

// sendChanges sends the changes held back, at the positions their
// tenants' heads give.
func (t *tx) sendChanges(ctx context.Context) error {
	rows := t.changes
	if len(rows) == 0 {
		return nil
	}
	if t.drafts() {
		return fmt.Errorf("%s: %w", t.d.Name, errDraftRead)
	}
	t.changes = nil
	next, err := t.advanceHeads(ctx, rows)
	if err != nil {
		return err
	}
	for i := range rows {
		r := &rows[i]
		r.position = next[r.tenant]
		next[r.tenant]++
		*r.set = r.position
	}
	_, err = each(ctx, t, insertChanges, rows, changeRow.args, nil)
	return err
}

// advanceHeads advances the head of the tenant of each of rows by the
// number of its rows, in tenant order, and returns the first position
// each tenant's rows take.
func (t *tx) advanceHeads(ctx context.Context, rows []changeRow) (map[string]int64, error) {
	count := map[string]int64{}
	for _, r := range rows {
		count[r.tenant]++
	}
	heads := make([]headRow, 0, len(count))
	for tenant, n := range count {
		heads = append(heads, headRow{tenant, n})
	}
	// One order for every transaction: where writers run side by side,
	// they wait for one another's heads without deadlock.
	slices.SortFunc(heads, func(a, b headRow) int { return strings.Compare(a.tenant, b.tenant) })
	first := make(map[string]int64, len(heads))
	_, err := each(ctx, t, addToHeads, heads, headRow.args, func(rs *sql.Rows) error {
		var tenant string
		var head int64
		if err := rs.Scan(&tenant, &head); err != nil {
			return err
		}
		first[tenant] = head - count[tenant] + 1
		return nil
	})
	return first, err
}

// Changes implements donorsync.Tx.
func (t *tx) Changes(ctx context.Context, tenant string, after int64, limit int) ([]change.Change, error) {
	if err := t.readFeed(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := t.query(ctx, `SELECT position, at, data FROM changes WHERE tenant = ? AND position > ? ORDER BY position LIMIT ?`,
		tenant, after, limit)
	if err != nil {
		return nil, t.d.wrap("changes", err)
	}
	defer rows.Close()
	out := make([]change.Change, 0, min(limit, 100))
	for rows.Next() {
		var at int64
		var data []byte
		c := change.Change{Tenant: tenant}
		if err := rows.Scan(&c.Position, &at, &data); err != nil {
			return nil, t.d.wrap("changes", err)
		}
		if err := decodeChange(data, &c); err != nil {
			return nil, fmt.Errorf("%s: change %d of %q: stored data: %w", t.d.Name, c.Position, tenant, err)
		}
		c.At = fromMicros(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.wrap("changes", err)
	}
	return out, nil
}

// readFeed readies the transaction to read the feed: it sends the
// writes and the changes held back.
func (t *tx) readFeed(ctx context.Context) error {
	if err := t.readRecords(ctx); err != nil {
		return err
	}
	return t.sendChanges(ctx)
}

// storedChange is a change as its data column holds it: without the
// fields its other columns hold, which these empty fields hide.
type storedChange struct {
	*change.Change
	Tenant   *struct{} `json:"tenant,omitempty"`
	Position *struct{} `json:"position,omitempty"`
	At       *struct{} `json:"at,omitempty"`
}

// encodeChange returns the data column of c.
func encodeChange(c *change.Change) ([]byte, error) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			encodeBuffers.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(storedChange{Change: c}); err != nil {
		return nil, fmt.Errorf("encode change: %w: %w", donorsync.ErrInvalid, err)
	}
	return bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// decodeChange decodes the data column of a change into c.
func decodeChange(data []byte, c *change.Change) error {
	return json.Unmarshal(data, &storedChange{Change: c})
}
