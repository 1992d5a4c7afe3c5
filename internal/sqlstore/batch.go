package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// Batch mode. After Prefetch, a transaction answers lookups of what it has
// read ahead (and of what it has written since) from memory, and holds
// its writes back, sending them as multi-row statements when it commits or
// when a read needs them. Each lookup it cannot answer from memory first
// sends the writes held back, then queries: what a transaction reads is
// always what it wrote.

// keyRef is a contact key of one tenant.
type keyRef struct{ tenant, kind, value string }

// idRef is a record id of one tenant.
type idRef struct{ tenant, id string }

// cache holds what a transaction has read ahead and written since. A nil
// pointer or an empty owner records a known absence.
type cache struct {
	owners      map[keyRef]string
	contacts    map[idRef]*contact.Contact
	donations   map[batch.Ref]*donation.Donation
	adjustments map[batch.Ref][]donation.Adjustment // complete lists, by key
	commitments map[batch.Ref]*donation.Commitment
}

func newCache() *cache {
	return &cache{
		owners:      map[keyRef]string{},
		contacts:    map[idRef]*contact.Contact{},
		donations:   map[batch.Ref]*donation.Donation{},
		adjustments: map[batch.Ref][]donation.Adjustment{},
		commitments: map[batch.Ref]*donation.Commitment{},
	}
}

// rows are the rows of one table waiting to be written, one per primary
// key, in the order first written.
type rows[K comparable] struct {
	index map[K]int
	rows  [][]any
}

// put adds row under k; a later row for the same key replaces the earlier
// one when replace is set, and is dropped otherwise.
func (r *rows[K]) put(k K, row []any, replace bool) {
	if r.index == nil {
		r.index = map[K]int{}
	}
	if i, ok := r.index[k]; ok {
		if replace {
			r.rows[i] = row
		}
		return
	}
	r.index[k] = len(r.rows)
	r.rows = append(r.rows, row)
}

type actKey struct{ tenant, provider, key string }

// pending are the writes held back.
type pending struct {
	contacts    rows[idRef]
	keys        rows[keyRef] // tenant, kind, value, contact id
	activities  rows[actKey]
	adjustments rows[actKey] // tenant, provider, key, donation id, data, expected to be new
	donations   rows[batch.Ref]
	commitments rows[batch.Ref]
	deliveries  rows[idRef]
}

func (p *pending) empty() bool {
	return len(p.contacts.rows)+len(p.keys.rows)+len(p.activities.rows)+len(p.adjustments.rows)+
		len(p.donations.rows)+len(p.commitments.rows)+len(p.deliveries.rows) == 0
}

// each runs one statement per chunk of rows: build returns the statement
// for n rows. When scan is not nil the statement returns rows, passed to
// scan; otherwise changed counts the rows it changed.
func (t *tx) each(ctx context.Context, what string, all [][]any, build func(n int) string, scan func(*sql.Rows) error) (changed int64, err error) {
	if len(all) == 0 {
		return 0, nil
	}
	limit := t.d.MaxParams
	if limit <= 0 {
		limit = 8000
	}
	per := max(1, limit/len(all[0]))
	for len(all) > 0 {
		n := min(per, len(all))
		if t.stmts != nil && n < per {
			// Statements are kept prepared: a remainder is sent in
			// chunks of powers of two, so that a few statements of each
			// kind serve every batch size.
			n = 1 << (bits.Len(uint(n)) - 1)
		}
		chunk := all[:n]
		all = all[len(chunk):]
		args := make([]any, 0, len(chunk)*len(chunk[0]))
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := build(len(chunk))
		if scan == nil {
			res, err := t.execContext(ctx, q, args...)
			if err != nil {
				return changed, t.d.wrap(what, err)
			}
			n, _ := res.RowsAffected()
			changed += n
			continue
		}
		rs, err := t.query(ctx, q, args...)
		if err != nil {
			return changed, t.d.wrap(what, err)
		}
		for rs.Next() {
			if err := scan(rs); err != nil {
				rs.Close()
				return changed, t.d.wrap(what, err)
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return changed, t.d.wrap(what, err)
		}
	}
	return changed, nil
}

// tuples returns n parenthesised groups of row, joined by commas.
func tuples(row string, n int) string {
	var b strings.Builder
	b.Grow(n * (len(row) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// sql1 builds a statement for n rows: head, n groups of row, then tail.
func sql1(head, row, tail string) func(int) string {
	return func(n int) string { return head + tuples(row, n) + tail }
}

// insertNew runs an INSERT ... ON CONFLICT DO NOTHING that returns the
// first three columns of each row it inserts, and reports those rows by
// their first three columns (see first3).
func (t *tx) insertNew(ctx context.Context, what string, rows [][]any, build func(n int) string) (map[[3]string]bool, error) {
	inserted := map[[3]string]bool{}
	_, err := t.each(ctx, what, rows, build, func(rs *sql.Rows) error {
		var k [3]string
		if err := rs.Scan(&k[0], &k[1], &k[2]); err != nil {
			return err
		}
		inserted[k] = true
		return nil
	})
	return inserted, err
}

// first3 is the key of a row held back for insertNew: its first three
// columns, all text.
func first3(r []any) [3]string { return [3]string{r[0].(string), r[1].(string), r[2].(string)} }

// flush sends the writes held back.
func (t *tx) flush(ctx context.Context) error {
	p := t.w
	if p == nil || p.empty() {
		return nil
	}
	if t.draft {
		return fmt.Errorf("%s: %w", t.d.Name, errDraftRead)
	}
	t.w = &pending{}
	if _, err := t.each(ctx, "put contacts", p.contacts.rows, sql1(`INSERT INTO contacts (tenant, id, data) VALUES `, `(?, ?, ?)`,
		` ON CONFLICT (tenant, id) DO UPDATE SET data = excluded.data`), nil); err != nil {
		return err
	}
	if len(p.keys.rows) > 0 {
		inserted, err := t.insertNew(ctx, "put contact keys", p.keys.rows, sql1(`INSERT INTO contact_keys (tenant, kind, value, contact_id) VALUES `,
			`(?, ?, ?, ?)`, ` ON CONFLICT DO NOTHING RETURNING tenant, kind, value`))
		if err != nil {
			return err
		}
		for _, r := range p.keys.rows {
			if inserted[first3(r)] {
				continue
			}
			k := keyRef{r[0].(string), r[1].(string), r[2].(string)}
			// Taken before this transaction wrote it: unless it is ours
			// already, the race is lost.
			var owner string
			if err := t.queryRow(ctx, `SELECT contact_id FROM contact_keys WHERE tenant = ? AND kind = ? AND value = ?`,
				k.tenant, k.kind, k.value).Scan(&owner); err != nil {
				return t.d.wrap("contact key", err)
			}
			if owner != r[3].(string) {
				return &donorsync.KeyConflictError{Key: dedup.Key{Kind: dedup.Kind(k.kind), Value: k.value}, Owner: owner}
			}
		}
	}
	if _, err := t.each(ctx, "put activities", p.activities.rows, sql1(`INSERT INTO activities (tenant, provider, key, contact_id, data) VALUES `,
		`(?, ?, ?, ?, ?)`, ` ON CONFLICT DO NOTHING`), nil); err != nil {
		return err
	}
	if len(p.adjustments.rows) > 0 {
		all := make([][]any, len(p.adjustments.rows))
		for i, r := range p.adjustments.rows {
			all[i] = r[:5]
		}
		inserted, err := t.insertNew(ctx, "put adjustments", all, sql1(`INSERT INTO adjustments (tenant, provider, key, donation_id, data) VALUES `,
			`(?, ?, ?, ?, ?)`, ` ON CONFLICT DO NOTHING RETURNING tenant, provider, key`))
		if err != nil {
			return err
		}
		for _, r := range p.adjustments.rows {
			if r[5].(bool) && !inserted[first3(r)] {
				// Its key was taken by an adjustment of another donation,
				// which this transaction did not read: what it derived
				// from the list it read is wrong.
				return fmt.Errorf("%s: adjustment %q is stored already under another donation: %w", t.d.Name, r[2], donorsync.ErrConflict)
			}
		}
	}
	upsert := ` ON CONFLICT (tenant, provider, external_id) DO UPDATE SET id = excluded.id, contact_id = excluded.contact_id, data = excluded.data`
	if _, err := t.each(ctx, "put donations", p.donations.rows, sql1(`INSERT INTO donations (tenant, provider, external_id, id, contact_id, data) VALUES `,
		`(?, ?, ?, ?, ?, ?)`, upsert), nil); err != nil {
		return err
	}
	if _, err := t.each(ctx, "put commitments", p.commitments.rows, sql1(`INSERT INTO commitments (tenant, provider, external_id, id, contact_id, data) VALUES `,
		`(?, ?, ?, ?, ?, ?)`, upsert), nil); err != nil {
		return err
	}
	// The columns of a VALUES list are column1, column2, ... in both
	// SQLite and PostgreSQL; the casts give them their types.
	n, err := t.each(ctx, "update deliveries", p.deliveries.rows, sql1(`UPDATE deliveries SET status = v.column3, attempts = v.column4,
		error = v.column5, updated_at = v.column6, next_attempt_at = v.column7, claimed_until = v.column8 FROM (VALUES `,
		`(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))`,
		`) AS v WHERE deliveries.tenant = v.column1 AND deliveries.id = v.column2`), nil)
	if err != nil {
		return err
	}
	if int(n) != len(p.deliveries.rows) {
		for _, r := range p.deliveries.rows {
			if _, err := t.Delivery(ctx, r[0].(string), r[1].(string)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Prefetch implements batch.Prefetcher.
func (t *tx) Prefetch(ctx context.Context, p batch.Wants) (map[batch.Key]string, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	if t.c == nil {
		t.c = newCache()
	}
	if t.w == nil {
		t.w = &pending{}
	}
	if t.rc != nil && !t.checked {
		if err := t.rc.check(ctx, t.conn, t.dataVersion); err != nil {
			return nil, err
		}
		t.checked = true
	}
	if err := t.prefetchKeys(ctx, p.Keys); err != nil {
		return nil, err
	}
	if err := t.prefetchContacts(ctx, p.Contacts); err != nil {
		return nil, err
	}
	if err := t.prefetchDonations(ctx, p.Donations); err != nil {
		return nil, err
	}
	if err := t.prefetchCommitments(ctx, p.Commitments); err != nil {
		return nil, err
	}
	var owners map[batch.Key]string
	for _, k := range p.Keys {
		if id := t.c.owners[keyRef{k.Tenant, string(k.Kind), k.Value}]; id != "" {
			if owners == nil {
				owners = make(map[batch.Key]string, len(p.Keys))
			}
			owners[k] = id
		}
	}
	return owners, nil
}

// Preload implements batch.Preloader in a View that preloads for a
// writer's record cache; in any other transaction it declines (batch.ErrSkip).
func (t *tx) Preload(ctx context.Context, p batch.Wants) error {
	if t.feed == nil {
		return batch.ErrSkip
	}
	owners, err := t.Prefetch(ctx, p)
	if err != nil || t.d.SingleWriter { // the owners were read with their keys
		return err
	}
	ids := make([]batch.ID, 0, len(owners))
	for k, id := range owners {
		ids = append(ids, batch.ID{Tenant: k.Tenant, ID: id})
	}
	return t.prefetchContacts(ctx, ids)
}

// unique returns the distinct items of all, each as a row of arguments.
func unique[T comparable](all []T, row func(T) []any) [][]any {
	seen := make(map[T]bool, len(all))
	var out [][]any
	for _, v := range all {
		if !seen[v] {
			seen[v] = true
			out = append(out, row(v))
		}
	}
	return out
}

func (t *tx) prefetchKeys(ctx context.Context, keys []batch.Key) error {
	args := unique(keys, func(k batch.Key) []any { return []any{k.Tenant, string(k.Kind), k.Value} })
	var owners []batch.ID
	args = t.unheld(args, func(a []any) bool {
		id, ok := t.c.owners[keyRef{a[0].(string), a[1].(string), a[2].(string)}]
		if ok && id != "" {
			owners = append(owners, batch.ID{Tenant: a[0].(string), ID: id})
		}
		return ok
	})
	args = t.inherit(args, func(c *cache, a []any) bool {
		k := keyRef{a[0].(string), a[1].(string), a[2].(string)}
		id, ok := c.owners[k]
		if ok {
			t.c.owners[k] = id
			if id != "" {
				owners = append(owners, batch.ID{Tenant: k.tenant, ID: id})
			}
		}
		return ok
	})
	args = t.recall(args, func(m *RecordCache, a []any) bool {
		k := keyRef{a[0].(string), a[1].(string), a[2].(string)}
		id, ok := m.owners.get(k)
		if ok {
			t.c.owners[k] = id
			if id != "" {
				owners = append(owners, batch.ID{Tenant: k.tenant, ID: id})
			}
		}
		return ok
	})
	for _, a := range args {
		t.c.owners[keyRef{a[0].(string), a[1].(string), a[2].(string)}] = ""
	}
	_, err := t.each(ctx, "prefetch contact keys", args, sql1(`SELECT tenant, kind, value, contact_id FROM contact_keys
		WHERE (tenant, kind, value) IN (VALUES `, `(?, ?, ?)`, `)`), func(rs *sql.Rows) error {
		var k keyRef
		var id string
		if err := rs.Scan(&k.tenant, &k.kind, &k.value, &id); err != nil {
			return err
		}
		t.c.owners[k] = id
		owners = append(owners, batch.ID{Tenant: k.tenant, ID: id})
		return nil
	})
	if err != nil || !t.d.SingleWriter {
		// Where writers run side by side, the owners are read once
		// locked (see Ingester).
		return err
	}
	// Writers run one at a time: read the owners now, each once (a
	// contact is often found by several of its keys).
	return t.prefetchContacts(ctx, owners)
}

func (t *tx) prefetchContacts(ctx context.Context, ids []batch.ID) error {
	args := unique(ids, func(r batch.ID) []any { return []any{r.Tenant, r.ID} })
	args = t.unheld(args, func(a []any) bool {
		_, ok := t.c.contacts[idRef{a[0].(string), a[1].(string)}]
		return ok
	})
	args = t.inherit(args, func(from *cache, a []any) bool {
		r := idRef{a[0].(string), a[1].(string)}
		c, ok := from.contacts[r]
		if ok {
			t.c.contacts[r] = c
		}
		return ok
	})
	args = t.recall(args, func(m *RecordCache, a []any) bool {
		r := idRef{a[0].(string), a[1].(string)}
		c, ok := m.contacts.get(r)
		if ok {
			t.c.contacts[r] = c
		}
		return ok
	})
	for _, a := range args {
		t.c.contacts[idRef{a[0].(string), a[1].(string)}] = nil
	}
	_, err := t.each(ctx, "prefetch contacts", args, sql1(`SELECT tenant, id, data FROM contacts WHERE (tenant, id) IN (VALUES `,
		`(?, ?)`, `)`), func(rs *sql.Rows) error {
		var r idRef
		c, err := scanJSON[contact.Contact](rs, &r.tenant, &r.id)
		if err != nil {
			return err
		}
		t.c.contacts[r] = c
		return nil
	})
	return err
}

// unheld returns the rows of arguments of a read ahead whose records the
// transaction's cache does not hold (held reports whether it does), when
// writers run one at a time: what the cache holds is then current still
// (read, or written, by this transaction, or by the draft it follows).
// Where writers run side by side, records are read again once locked.
func (t *tx) unheld(args [][]any, held func(row []any) bool) [][]any {
	if !t.d.SingleWriter {
		return args
	}
	return slices.DeleteFunc(args, held)
}

// inherit answers, in a draft after another, what it can of the rows of
// arguments of a read ahead from the other's cache: found copies a row's
// record into the transaction's cache and reports whether the other held
// it. It returns the rows left to read.
func (t *tx) inherit(args [][]any, found func(c *cache, row []any) bool) [][]any {
	if t.after == nil {
		return args
	}
	return slices.DeleteFunc(args, func(a []any) bool { return found(t.after, a) })
}

// scanJSON scans a row of key columns followed by a data column, and
// decodes the data into a new T.
func scanJSON[T any](rs *sql.Rows, keys ...*string) (*T, error) {
	var data []byte
	dest := make([]any, 0, len(keys)+1)
	for _, k := range keys {
		dest = append(dest, k)
	}
	if err := rs.Scan(append(dest, &data)...); err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("record %q: stored data: %w", *keys[len(keys)-1], err)
	}
	return v, nil
}

func refRow(r batch.Ref) []any { return []any{r.Tenant, r.Provider, r.ExternalID} }

// rowRef is the Ref of a row made by refRow.
func rowRef(a []any) batch.Ref {
	return batch.Ref{Tenant: a[0].(string), Provider: a[1].(string), ExternalID: a[2].(string)}
}

func (t *tx) prefetchDonations(ctx context.Context, refs []batch.Ref) error {
	args := unique(refs, refRow)
	args = t.unheld(args, func(a []any) bool {
		r := rowRef(a)
		_, ok := t.c.donations[r]
		_, listed := t.c.adjustments[r]
		return ok && listed
	})
	args = t.inherit(args, func(c *cache, a []any) bool {
		r := rowRef(a)
		d, ok := c.donations[r]
		list, listed := c.adjustments[r]
		if ok && listed {
			t.c.donations[r] = d
			t.c.adjustments[r] = slices.Clip(list)
		}
		return ok && listed
	})
	args = t.recall(args, func(m *RecordCache, a []any) bool {
		r := rowRef(a)
		d, ok := m.donations.get(r)
		list, listed := m.adjustments.get(r)
		if ok && listed {
			t.c.donations[r] = d
			t.c.adjustments[r] = slices.Clip(list)
		}
		return ok && listed
	})
	for _, a := range args {
		r := rowRef(a)
		t.c.donations[r] = nil
		t.c.adjustments[r] = nil
	}
	_, err := t.each(ctx, "prefetch donations", args, sql1(`SELECT tenant, provider, external_id, data FROM donations
		WHERE (tenant, provider, external_id) IN (VALUES `, `(?, ?, ?)`, `)`), func(rs *sql.Rows) error {
		var r batch.Ref
		d, err := scanJSON[donation.Donation](rs, &r.Tenant, &r.Provider, &r.ExternalID)
		if err != nil {
			return err
		}
		t.c.donations[r] = d
		return nil
	})
	if err != nil {
		return err
	}
	_, err = t.each(ctx, "prefetch adjustments", args, sql1(`SELECT tenant, provider, donation_id, data FROM adjustments
		WHERE (tenant, provider, donation_id) IN (VALUES `, `(?, ?, ?)`, `)`), func(rs *sql.Rows) error {
		var r batch.Ref
		a, err := scanJSON[donation.Adjustment](rs, &r.Tenant, &r.Provider, &r.ExternalID)
		if err != nil {
			return err
		}
		t.c.adjustments[r] = append(t.c.adjustments[r], *a)
		return nil
	})
	for _, a := range args {
		r := rowRef(a)
		slices.SortFunc(t.c.adjustments[r], func(a, b donation.Adjustment) int { return cmp.Compare(a.Key, b.Key) })
	}
	return err
}

func (t *tx) prefetchCommitments(ctx context.Context, refs []batch.Ref) error {
	args := unique(refs, refRow)
	args = t.unheld(args, func(a []any) bool {
		_, ok := t.c.commitments[rowRef(a)]
		return ok
	})
	args = t.inherit(args, func(from *cache, a []any) bool {
		r := rowRef(a)
		c, ok := from.commitments[r]
		if ok {
			t.c.commitments[r] = c
		}
		return ok
	})
	args = t.recall(args, func(m *RecordCache, a []any) bool {
		r := rowRef(a)
		c, ok := m.commitments.get(r)
		if ok {
			t.c.commitments[r] = c
		}
		return ok
	})
	for _, a := range args {
		t.c.commitments[rowRef(a)] = nil
	}
	_, err := t.each(ctx, "prefetch commitments", args, sql1(`SELECT tenant, provider, external_id, data FROM commitments
		WHERE (tenant, provider, external_id) IN (VALUES `, `(?, ?, ?)`, `)`), func(rs *sql.Rows) error {
		var r batch.Ref
		c, err := scanJSON[donation.Commitment](rs, &r.Tenant, &r.Provider, &r.ExternalID)
		if err != nil {
			return err
		}
		t.c.commitments[r] = c
		return nil
	})
	return err
}

// holdContact is PutContact in batch mode.
func (t *tx) holdContact(c contact.Contact, keys []dedup.Key) error {
	if t.c != nil {
		for _, k := range keys {
			if owner := t.c.owners[keyRef{c.Tenant, string(k.Kind), k.Value}]; owner != "" && owner != c.ID {
				return &donorsync.KeyConflictError{Key: k, Owner: owner}
			}
		}
	}
	data, err := marshal(c)
	if err != nil {
		return err
	}
	t.w.contacts.put(idRef{c.Tenant, c.ID}, []any{c.Tenant, c.ID, data}, true)
	for _, k := range keys {
		t.w.keys.put(keyRef{c.Tenant, string(k.Kind), k.Value}, []any{c.Tenant, string(k.Kind), k.Value, c.ID}, false)
	}
	if t.c != nil {
		stored := c.Clone()
		t.c.contacts[idRef{c.Tenant, c.ID}] = &stored
		for _, k := range keys {
			t.c.owners[keyRef{c.Tenant, string(k.Kind), k.Value}] = c.ID
		}
	}
	return nil
}

// holdAdjustment is PutAdjustment in batch mode: the adjustment joins its
// donation's list unless an adjustment with its key is there already.
func (t *tx) holdAdjustment(a donation.Adjustment, data string) {
	k := actKey{a.Tenant, a.Provider, a.Key}
	expected := false
	if t.c != nil {
		r := batch.Ref{Tenant: a.Tenant, Provider: a.Provider, ExternalID: a.DonationID}
		if list, ok := t.c.adjustments[r]; ok {
			i, found := slices.BinarySearchFunc(list, a.Key, func(x donation.Adjustment, key string) int { return cmp.Compare(x.Key, key) })
			if found {
				return
			}
			// Lists are shared with the record cache: never grown in place.
			t.c.adjustments[r] = slices.Insert(slices.Clip(list), i, a)
			expected = true
		} else {
			t.stale = append(t.stale, r)
		}
	}
	t.w.adjustments.put(k, []any{a.Tenant, a.Provider, a.Key, a.DonationID, data, expected}, false)
}

// RecordDeliveries implements batch.Recorder: one statement
// journals them all, leaving out those whose key is taken; only when some
// are left out does a query find the deliveries that hold their keys, and
// a statement journal them as duplicates.
func (t *tx) RecordDeliveries(ctx context.Context, ds []*donorsync.Delivery) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	rows := make([][]any, len(ds))
	for i, d := range ds {
		rows[i] = deliveryRow(d)
	}
	// The rows are inserted in order, so that of two with one key, the
	// first is journaled and the second left out.
	inserted, err := t.insertNew(ctx, "record deliveries", rows, sql1(insertDeliveries, deliveryTuple,
		` ON CONFLICT (tenant, provider, key) WHERE status <> 'duplicate' DO NOTHING RETURNING tenant, id, provider`))
	if err != nil || len(inserted) == len(ds) {
		return err
	}
	var dups []*donorsync.Delivery
	first := map[actKey]string{}
	var keys [][]any
	for i, d := range ds {
		if inserted[first3(rows[i])] {
			continue
		}
		dups = append(dups, d)
		k := actKey{d.Tenant, d.Provider, d.Key}
		if _, ok := first[k]; !ok {
			first[k] = ""
			keys = append(keys, []any{d.Tenant, d.Provider, d.Key})
		}
	}
	_, err = t.each(ctx, "find deliveries", keys, sql1(`SELECT tenant, provider, key, id FROM deliveries
		WHERE (tenant, provider, key) IN (VALUES `, `(?, ?, ?)`, `) AND status <> 'duplicate'`), func(rs *sql.Rows) error {
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
	dupRows := make([][]any, 0, len(dups))
	for _, d := range dups {
		id := first[actKey{d.Tenant, d.Provider, d.Key}]
		if id == "" {
			// Its key was taken, and is free again: the delivery that held
			// it was rolled back meanwhile.
			return fmt.Errorf("%s: record deliveries: key %q of %s: %w", t.d.Name, d.Key, d.Provider, donorsync.ErrConflict)
		}
		d.Status, d.DuplicateOf = donorsync.Duplicate, id
		dupRows = append(dupRows, deliveryRow(d))
	}
	_, err = t.each(ctx, "record duplicate deliveries", dupRows, sql1(insertDeliveries, deliveryTuple, ``), nil)
	return err
}

// insertDeliveries and deliveryTuple start a multi-row insert of rows
// made by deliveryRow.
const (
	insertDeliveries = `INSERT INTO deliveries (` + deliveryColumns + `) VALUES `
	deliveryTuple    = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// deliveryRow is the row of d in the deliveries table.
func deliveryRow(d *donorsync.Delivery) []any {
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	return []any{d.Tenant, d.ID, d.Provider, d.Kind, d.Key, body, micros(d.ReceivedAt), string(d.Status), d.DuplicateOf,
		d.Attempts, d.Error, micros(d.UpdatedAt), micros(d.NextAttemptAt), micros(d.ClaimedUntil)}
}
