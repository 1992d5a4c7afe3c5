// Package sqlstore implements donorsync.Tx over database/sql, for the SQL
// adapters (store/sqlite, store/postgres), which differ only by a Dialect:
// one place for the SQL of the Store contract.
package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// A Dialect is what differs between SQL databases.
type Dialect struct {
	// Name prefixes error messages, such as "sqlite".
	Name string
	// Rebind rewrites the "?" placeholders of a query; nil keeps them.
	Rebind func(query string) string
	// JSONSetContactID is the expression that sets "ContactID" in the
	// data column to the next argument.
	JSONSetContactID string
	// SingleWriter says writing transactions run one at a time (SQLite):
	// what a writer read ahead then stays current until it commits, so a
	// record it holds is not read again, and the owners of contact keys
	// are read with the keys. Where writers run side by side, records are
	// read again once locked, and owners once their locks are held.
	SingleWriter bool
	// Lock takes transaction-scoped locks on names; nil does nothing.
	Lock func(ctx context.Context, tx *sql.Tx, names []string) error
	// TryLock takes those of the transaction-scoped locks on names that
	// are free, without waiting, and reports which the transaction holds;
	// nil makes TryLock decline (batch.ErrSkip).
	TryLock func(ctx context.Context, tx *sql.Tx, names []string) ([]bool, error)
	// ForUpdate is appended to the query that selects deliveries to claim,
	// such as " FOR UPDATE SKIP LOCKED"; "" where writers run one at a time.
	ForUpdate string
	// Conflict reports whether err is a lost race that the engine should
	// retry (a unique violation, a serialization failure, a deadlock).
	Conflict func(err error) bool
	// MaxParams bounds the parameters of one multi-row statement; 0 means
	// 8000, well under what SQLite and PostgreSQL accept. Where each
	// statement is a round trip, fewer and longer ones are faster; where
	// binding costs more per parameter as a statement grows, a smaller
	// bound is.
	MaxParams int
}

// Writer is what a store keeps for its writing transactions. The zero
// value keeps nothing.
type Writer struct {
	// Stmts, when not nil, keeps statements prepared.
	Stmts *Stmts
	// RecordCache, when not nil, keeps records between transactions; see RecordCache
	// for when a store may use one.
	RecordCache *RecordCache
}

// Run runs fn in a transaction of db, committing when fn returns nil,
// with what w keeps.
func Run(ctx context.Context, db *sql.DB, w Writer, opts *sql.TxOptions, d *Dialect, fn func(donorsync.Tx) error) error {
	t := &tx{d: d, stmts: w.Stmts, rc: w.RecordCache}
	if err := run(ctx, db, t, opts, fn); err != nil {
		return err
	}
	t.remember()
	return nil
}

// View runs fn in a transaction of db that only reads. When rc is not
// nil, its Tx preloads (batch.Preloader): the records it preloads are
// offered to rc once fn returns nil, and kept unless a writing
// transaction changed records, or rc was emptied, since the View began
// (see RecordCache).
func View(ctx context.Context, db *sql.DB, rc *RecordCache, d *Dialect, fn func(donorsync.Tx) error) error {
	t := &tx{d: d, feed: rc}
	epoch := rc.epochNow() // before the View's snapshot is taken
	if err := run(ctx, db, t, nil, fn); err != nil {
		return err
	}
	if rc != nil && t.c != nil {
		rc.offer(t.c, epoch)
	}
	return nil
}

// Draft runs fn in a transaction of db that only reads and holds back
// every write, for a writing transaction of the store whose record cache is rc
// to send (batch.Drafter). The records fn reads are answered from
// after's cache (what it read and wrote), when after is not nil, then
// from rc, then from the database; after must follow no draft, or one
// that has committed. fn must Prefetch before it writes:
// a write outside batch mode fails, as does a read that would need the
// writes held back sent first.
func Draft(ctx context.Context, db *sql.DB, rc *RecordCache, d *Dialect, after batch.Draft, fn func(donorsync.Tx) error) (batch.Draft, error) {
	if rc == nil {
		return nil, fmt.Errorf("%s: %w: %w", d.Name, batch.ErrSkip, errNoRecordCache)
	}
	t := &tx{d: d, feed: rc, draft: true}
	dr := &draft{rc: rc, epoch: rc.epochNow()} // before the draft's snapshot is taken
	if after != nil {
		p, ok := after.(*draft)
		if !ok || p.rc != rc {
			return nil, fmt.Errorf("%s: draft after a draft of another store", d.Name)
		}
		if len(p.stale) > 0 {
			// Lists it wrote to without reading them: what they hold
			// once it commits is known to the database only.
			return nil, fmt.Errorf("%s: %w", d.Name, errDraftAfterUnheld)
		}
		if !rc.followsCommitted(p) {
			return nil, fmt.Errorf("%s: %w", d.Name, errDraftTooFar)
		}
		dr.after, t.after = p, p.c
	}
	if err := run(ctx, db, t, nil, fn); err != nil {
		return nil, err
	}
	if t.c == nil || t.untracked {
		return nil, fmt.Errorf("%s: %w", d.Name, errDraftUntracked)
	}
	dr.c, dr.w, dr.stale = t.c, t.w, t.stale
	return dr, nil
}

var (
	errNoRecordCache    = errors.New("draft: the store keeps no records between transactions")
	errDraftRead        = errors.New("draft: a read needs the writes held back sent first")
	errDraftUntracked   = errors.New("draft: writes outside batch mode")
	errDraftAfterUnheld = errors.New("draft: after a draft that wrote to adjustments it did not read")
	errDraftTooFar      = errors.New("draft: after a draft that follows one not committed yet")
	errDraftMiss        = errors.New("draft: after another, a read of a record it did not read ahead")
)

// readRecords readies the transaction to read records from the
// database: it sends the writes held back. A draft after another cannot:
// what it would read may be what the other is writing.
func (t *tx) readRecords(ctx context.Context) error {
	if t.after != nil {
		return fmt.Errorf("%s: %w", t.d.Name, errDraftMiss)
	}
	return t.flush(ctx)
}

// A draft is what a transaction of Draft held back.
type draft struct {
	rc    *RecordCache
	epoch uint64 // the record cache's, before the draft began
	after *draft // the draft it follows, until sent; with the record cache locked
	c     *cache
	w     *pending
	stale []batch.Ref
	sent  atomic.Bool
	// committed is the record cache's epoch once the transaction that sent the
	// draft committed, 0 before; set with the record cache locked.
	committed uint64
}

// SendDraft implements batch.DraftSender: it takes the draft's
// cache and writes held back as its own when the record cache is current and
// nothing has changed records since the draft began, or since the draft
// it follows committed. It does so only before the transaction reads or
// writes in batch mode itself.
func (t *tx) SendDraft(ctx context.Context, dr batch.Draft) (bool, error) {
	d, ok := dr.(*draft)
	if !ok || t.rc == nil || d.rc != t.rc || t.c != nil || t.untracked {
		return false, nil
	}
	if !t.checked {
		if err := t.rc.check(ctx, t.conn, t.dataVersion); err != nil {
			return false, err
		}
		t.checked = true
	}
	if !t.rc.unchanged(d) || !d.sent.CompareAndSwap(false, true) {
		return false, nil
	}
	t.c, t.w, t.stale, t.sent = d.c, d.w, d.stale, d
	return true, nil
}

// run runs fn in t, a new transaction of db, committing when fn returns
// nil; a draft's is rolled back, its writes kept.
func run(ctx context.Context, db *sql.DB, t *tx, opts *sql.TxOptions, fn func(donorsync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, stmts := t.d, t.stmts
	var sqlTx *sql.Tx
	var err error
	if t.rc != nil {
		// The record cache is kept for one connection: take it, and know it.
		var conn *sql.Conn
		conn, err = db.Conn(ctx)
		if err != nil {
			return d.wrap("begin", err)
		}
		defer conn.Close()
		conn.Raw(func(dc any) error {
			t.conn = dc
			return nil
		})
		sqlTx, err = conn.BeginTx(ctx, opts)
	} else {
		sqlTx, err = db.BeginTx(ctx, opts)
	}
	if err != nil {
		return d.wrap("begin", err)
	}
	t.tx = sqlTx
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
	}()
	if stmts != nil {
		// Once the transaction has given its connection back.
		defer stmts.prepareLater()
	}
	if err := fn(t); err != nil {
		sqlTx.Rollback()
		return err
	}
	if t.draft {
		return sqlTx.Rollback()
	}
	if err := t.flush(ctx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		// Committed or not: what the record cache holds may be wrong either way.
		t.rc.reset()
		return d.wrap("commit", err)
	}
	return nil
}

// wrap names the operation and marks lost races as donorsync.ErrConflict.
func (d *Dialect) wrap(what string, err error) error {
	if d.Conflict != nil && d.Conflict(err) {
		return fmt.Errorf("%s: %s: %w: %w", d.Name, what, donorsync.ErrConflict, err)
	}
	return fmt.Errorf("%s: %s: %w", d.Name, what, err)
}

func (d *Dialect) q(query string) string {
	if d.Rebind == nil {
		return query
	}
	return d.Rebind(query)
}

// tx serves the Store contract and the whole batch protocol; each store
// declares which parts of the protocol the engine may use.
var (
	_ donorsync.Tx                                        = (*tx)(nil)
	_ batch.Recorder[*donorsync.Delivery]                 = (*tx)(nil)
	_ batch.Claimer[donorsync.Claim, *donorsync.Delivery] = (*tx)(nil)
	_ batch.Lister[donorsync.Claim, *donorsync.Delivery]  = (*tx)(nil)
	_ batch.Prefetcher                                    = (*tx)(nil)
	_ batch.Preloader                                     = (*tx)(nil)
	_ batch.TryLocker                                     = (*tx)(nil)
	_ batch.DraftSender                                   = (*tx)(nil)
)

// tx is a transaction: plain SQL over the schema, no business logic.
type tx struct {
	tx   *sql.Tx
	d    *Dialect
	held map[string]bool // names locked

	stmts *Stmts // nil: statements are sent as text

	// Records kept between transactions, nil when none are. checked
	// says the record cache was made current for this transaction; untracked,
	// that the transaction wrote records its cache does not show (it
	// then empties the record cache when it commits); stale, the adjustment lists
	// it wrote to without holding them.
	rc        *RecordCache
	conn      any // the driver connection, where rc is not nil
	checked   bool
	untracked bool
	stale     []batch.Ref
	sent      *draft // the draft the transaction sent, if any

	// feed is the writer's record cache, in a View that preloads for it or in a
	// draft; draft says the transaction holds back every write; after is
	// the cache of the draft this one follows.
	feed  *RecordCache
	draft bool
	after *cache

	// In batch mode (after Prefetch): what was read ahead, and the writes
	// held back. Both nil otherwise.
	c *cache
	w *pending
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time {
	t := time.UnixMicro(us).UTC()
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t
}

func (t *tx) notFound(what, id string) error {
	return fmt.Errorf("%s: %s %q: %w", t.d.Name, what, id, donorsync.ErrNotFound)
}

func limit(p donorsync.Page) int {
	if p.Limit <= 0 {
		return 100
	}
	return p.Limit
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

// RecordDelivery implements donorsync.Tx.
func (t *tx) RecordDelivery(ctx context.Context, d *donorsync.Delivery) (string, error) {
	if err := t.RecordDeliveries(ctx, []*donorsync.Delivery{d}); err != nil {
		return "", err
	}
	return d.DuplicateOf, nil
}

// UpdateDelivery implements donorsync.Tx.
func (t *tx) UpdateDelivery(ctx context.Context, d *donorsync.Delivery) error {
	if t.w != nil {
		t.w.deliveries.put(idRef{d.Tenant, d.ID}, []any{d.Tenant, d.ID, string(d.Status), d.Attempts, d.Error,
			micros(d.UpdatedAt), micros(d.NextAttemptAt), micros(d.ClaimedUntil)}, true)
		return nil
	}
	res, err := t.execContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?, error = ?, updated_at = ?,
		next_attempt_at = ?, claimed_until = ? WHERE tenant = ? AND id = ?`, string(d.Status), d.Attempts, d.Error,
		micros(d.UpdatedAt), micros(d.NextAttemptAt), micros(d.ClaimedUntil), d.Tenant, d.ID)
	if err != nil {
		return t.d.wrap("update delivery", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return t.notFound("delivery", d.ID)
	}
	return nil
}

const deliveryColumns = `tenant, id, provider, kind, key, body, received_at, status, duplicate_of, attempts, error, updated_at,
	next_attempt_at, claimed_until`

// deliveryColumnsNoBody is deliveryColumns with an empty body.
var deliveryColumnsNoBody = strings.Replace(deliveryColumns, " body,", " NULL,", 1)

func scanDelivery(row interface{ Scan(...any) error }) (*donorsync.Delivery, error) {
	var d donorsync.Delivery
	var received, updated, next, claimed int64
	var status string
	if err := row.Scan(&d.Tenant, &d.ID, &d.Provider, &d.Kind, &d.Key, &d.Body, &received, &status, &d.DuplicateOf,
		&d.Attempts, &d.Error, &updated, &next, &claimed); err != nil {
		return nil, err
	}
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

// ClaimBatch implements batch.Claimer.
func (t *tx) ClaimBatch(ctx context.Context, c donorsync.Claim, by batch.ClaimBy) ([]*donorsync.Delivery, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	out, err := t.due(ctx, c, by, t.d.ForUpdate)
	if err != nil {
		return nil, t.d.wrap("claim deliveries", err)
	}
	claims := make([][]any, len(out))
	until := micros(c.Until)
	for i, d := range out {
		d.ClaimedUntil = c.Until
		claims[i] = []any{d.Tenant, d.ID, until}
	}
	if by.Settling {
		// The writer's turn (SQLite) or the rows' locks (PostgreSQL,
		// ForUpdate) keep other claims away until the outcomes commit.
		return out, nil
	}
	// The time is an argument like the ids, so that the statement's text
	// is the same in every claim (and is kept prepared).
	if _, err := t.each(ctx, "claim deliveries", claims, sql1(`UPDATE deliveries SET claimed_until = v.column3 FROM (VALUES `,
		`(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT))`,
		`) AS v WHERE deliveries.tenant = v.column1 AND deliveries.id = v.column2`), nil); err != nil {
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
		d, err := scanDelivery(rows)
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
	d, err := scanDelivery(t.queryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant = ? AND id = ?`, tenant, id))
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
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE tenant = ? AND id > ? AND received_at >= ?`
	args := []any{tenant, f.After, micros(f.Since)}
	if f.Since.IsZero() {
		args[2] = int64(-1 << 62)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit(f.Page))
	out, err := t.scanDeliveries(ctx, q, args...)
	if err != nil {
		return nil, t.d.wrap("deliveries", err)
	}
	return out, nil
}

// getJSON reads one data column into v.
func (t *tx) getJSON(ctx context.Context, v any, what, id, query string, args ...any) error {
	if err := t.readRecords(ctx); err != nil {
		return err
	}
	var data string
	err := t.queryRow(ctx, query, args...).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return t.notFound(what, id)
	}
	if err != nil {
		return t.d.wrap(what, err)
	}
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("%s: %s %q: stored data: %w", t.d.Name, what, id, err)
	}
	return nil
}

// listJSON reads the data column of every row into a slice.
func listJSON[T any](ctx context.Context, t *tx, what, query string, args ...any) ([]T, error) {
	if err := t.readRecords(ctx); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, t.d.wrap(what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, t.d.wrap(what, err)
		}
		var v T
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, fmt.Errorf("%s: %s: stored data: %w", t.d.Name, what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *tx) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := t.execContext(ctx, query, args...); err != nil {
		return t.d.wrap(what, err)
	}
	return nil
}

// marshal returns the JSON encoding of v, as json.Marshal does, encoded
// into a buffer kept for the next call rather than a new one: a record is
// encoded at each write, and the encoding is copied once, into the string.
func marshal(v any) (string, error) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // an outsize record does not stay
			buf.Reset()
			encodeBuffers.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// encodeBuffers are marshal's buffers.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ContactByKey implements donorsync.Tx.
func (t *tx) ContactByKey(ctx context.Context, tenant string, k dedup.Key) (contact.Contact, error) {
	if t.c != nil {
		if owner, ok := t.c.owners[keyRef{tenant, string(k.Kind), k.Value}]; ok {
			if owner == "" {
				return contact.Contact{}, t.notFound("contact key", string(k.Kind))
			}
			if c, ok := t.c.contacts[idRef{tenant, owner}]; ok && c != nil {
				return c.Clone(), nil
			}
		}
	}
	var c contact.Contact
	err := t.getJSON(ctx, &c, "contact key", string(k.Kind),
		`SELECT c.data FROM contact_keys k JOIN contacts c ON c.tenant = k.tenant AND c.id = k.contact_id
		 WHERE k.tenant = ? AND k.kind = ? AND k.value = ?`, tenant, string(k.Kind), k.Value)
	return c, err
}

// Contact implements donorsync.Tx.
func (t *tx) Contact(ctx context.Context, tenant, id string) (contact.Contact, error) {
	if t.c != nil {
		if c, ok := t.c.contacts[idRef{tenant, id}]; ok {
			if c == nil {
				return contact.Contact{}, t.notFound("contact", id)
			}
			return c.Clone(), nil
		}
	}
	var c contact.Contact
	err := t.getJSON(ctx, &c, "contact", id, `SELECT data FROM contacts WHERE tenant = ? AND id = ?`, tenant, id)
	return c, err
}

// PutContact implements donorsync.Tx.
func (t *tx) PutContact(ctx context.Context, c contact.Contact, keys []dedup.Key) error {
	if c.ID == "" {
		return fmt.Errorf("%s: contact without id: %w", t.d.Name, donorsync.ErrInvalid)
	}
	t.wrote()
	if t.w != nil {
		return t.holdContact(c, keys)
	}
	data, err := marshal(c)
	if err != nil {
		return err
	}
	if err := t.exec(ctx, "put contact", `INSERT INTO contacts (tenant, id, data) VALUES (?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET data = excluded.data`, c.Tenant, c.ID, data); err != nil {
		return err
	}
	for _, k := range keys {
		res, err := t.execContext(ctx, `INSERT INTO contact_keys (tenant, kind, value, contact_id) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, c.Tenant, string(k.Kind), k.Value, c.ID)
		if err != nil {
			return t.d.wrap("put contact key", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			// Taken since the check above, by a transaction that committed
			// meanwhile: unless it is ours already, the race is lost.
			var owner string
			if err := t.queryRow(ctx, `SELECT contact_id FROM contact_keys WHERE tenant = ? AND kind = ? AND value = ?`,
				c.Tenant, string(k.Kind), k.Value).Scan(&owner); err != nil {
				return t.d.wrap("contact key", err)
			}
			if owner != c.ID {
				return &donorsync.KeyConflictError{Key: k, Owner: owner}
			}
		}
	}
	return nil
}

// MergeContacts implements donorsync.Tx.
func (t *tx) MergeContacts(ctx context.Context, tenant, from, into string) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	t.c = nil // records of both contacts change below
	t.wrote()
	for _, id := range []string{from, into} {
		if _, err := t.Contact(ctx, tenant, id); err != nil {
			return err
		}
	}
	if err := t.exec(ctx, "merge contacts", `UPDATE contact_keys SET contact_id = ? WHERE tenant = ? AND contact_id = ?`,
		into, tenant, from); err != nil {
		return err
	}
	for _, table := range []string{"donations", "commitments", "activities"} {
		q := `UPDATE ` + table + ` SET contact_id = ?, data = ` + t.d.JSONSetContactID + ` WHERE tenant = ? AND contact_id = ?`
		if err := t.exec(ctx, "merge contacts", q, into, into, tenant, from); err != nil {
			return err
		}
	}
	return t.exec(ctx, "merge contacts", `DELETE FROM contacts WHERE tenant = ? AND id = ?`, tenant, from)
}

// Contacts implements donorsync.Tx.
func (t *tx) Contacts(ctx context.Context, tenant string, p donorsync.Page) ([]contact.Contact, error) {
	return listJSON[contact.Contact](ctx, t, "contacts",
		`SELECT data FROM contacts WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}

// PutActivity implements donorsync.Tx.
func (t *tx) PutActivity(ctx context.Context, a contact.Activity) error {
	data, err := marshal(a)
	if err != nil {
		return err
	}
	if t.w != nil {
		t.w.activities.put(actKey{a.Tenant, a.Provider, a.Key}, []any{a.Tenant, a.Provider, a.Key, a.ContactID, data}, false)
		return nil
	}
	return t.exec(ctx, "put activity", `INSERT INTO activities (tenant, provider, key, contact_id, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, a.Tenant, a.Provider, a.Key, a.ContactID, data)
}

// Activities implements donorsync.Tx.
func (t *tx) Activities(ctx context.Context, tenant, contactID string) ([]contact.Activity, error) {
	return listJSON[contact.Activity](ctx, t, "activities",
		`SELECT data FROM activities WHERE tenant = ? AND contact_id = ? ORDER BY provider, key`, tenant, contactID)
}

// Donation implements donorsync.Tx.
func (t *tx) Donation(ctx context.Context, tenant, provider, externalID string) (donation.Donation, error) {
	if t.c != nil {
		if d, ok := t.c.donations[batch.Ref{Tenant: tenant, Provider: provider, ExternalID: externalID}]; ok {
			if d == nil {
				return donation.Donation{}, t.notFound("donation", provider+"/"+externalID)
			}
			return d.Clone(), nil
		}
	}
	var d donation.Donation
	err := t.getJSON(ctx, &d, "donation", provider+"/"+externalID,
		`SELECT data FROM donations WHERE tenant = ? AND provider = ? AND external_id = ?`, tenant, provider, externalID)
	return d, err
}

// PutDonation implements donorsync.Tx.
func (t *tx) PutDonation(ctx context.Context, d donation.Donation) error {
	data, err := marshal(d)
	if err != nil {
		return err
	}
	t.wrote()
	if t.w != nil {
		r := batch.Ref{Tenant: d.Tenant, Provider: d.Provider, ExternalID: d.ExternalID}
		if t.c != nil {
			c := d.Clone()
			t.c.donations[r] = &c
		}
		t.w.donations.put(r, []any{d.Tenant, d.Provider, d.ExternalID, d.ID, d.ContactID, data}, true)
		return nil
	}
	return t.exec(ctx, "put donation", `INSERT INTO donations (tenant, provider, external_id, id, contact_id, data)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, provider, external_id)
		DO UPDATE SET id = excluded.id, contact_id = excluded.contact_id, data = excluded.data`,
		d.Tenant, d.Provider, d.ExternalID, d.ID, d.ContactID, data)
}

// Donations implements donorsync.Tx.
func (t *tx) Donations(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Donation, error) {
	return listJSON[donation.Donation](ctx, t, "donations",
		`SELECT data FROM donations WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}

// PutAdjustment implements donorsync.Tx.
func (t *tx) PutAdjustment(ctx context.Context, a donation.Adjustment) error {
	data, err := marshal(a)
	if err != nil {
		return err
	}
	t.wrote()
	if t.w != nil {
		t.holdAdjustment(a, data)
		return nil
	}
	return t.exec(ctx, "put adjustment", `INSERT INTO adjustments (tenant, provider, key, donation_id, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, a.Tenant, a.Provider, a.Key, a.DonationID, data)
}

// Adjustments implements donorsync.Tx.
func (t *tx) Adjustments(ctx context.Context, tenant, provider, donationID string) ([]donation.Adjustment, error) {
	if t.c != nil {
		if list, ok := t.c.adjustments[batch.Ref{Tenant: tenant, Provider: provider, ExternalID: donationID}]; ok {
			return slices.Clone(list), nil
		}
	}
	return listJSON[donation.Adjustment](ctx, t, "adjustments",
		`SELECT data FROM adjustments WHERE tenant = ? AND provider = ? AND donation_id = ? ORDER BY key`, tenant, provider, donationID)
}

// Commitment implements donorsync.Tx.
func (t *tx) Commitment(ctx context.Context, tenant, provider, externalID string) (donation.Commitment, error) {
	if t.c != nil {
		if c, ok := t.c.commitments[batch.Ref{Tenant: tenant, Provider: provider, ExternalID: externalID}]; ok {
			if c == nil {
				return donation.Commitment{}, t.notFound("commitment", provider+"/"+externalID)
			}
			return *c, nil
		}
	}
	var c donation.Commitment
	err := t.getJSON(ctx, &c, "commitment", provider+"/"+externalID,
		`SELECT data FROM commitments WHERE tenant = ? AND provider = ? AND external_id = ?`, tenant, provider, externalID)
	return c, err
}

// PutCommitment implements donorsync.Tx.
func (t *tx) PutCommitment(ctx context.Context, c donation.Commitment) error {
	data, err := marshal(c)
	if err != nil {
		return err
	}
	t.wrote()
	if t.w != nil {
		r := batch.Ref{Tenant: c.Tenant, Provider: c.Provider, ExternalID: c.ExternalID}
		if t.c != nil {
			t.c.commitments[r] = &c
		}
		t.w.commitments.put(r, []any{c.Tenant, c.Provider, c.ExternalID, c.ID, c.ContactID, data}, true)
		return nil
	}
	return t.exec(ctx, "put commitment", `INSERT INTO commitments (tenant, provider, external_id, id, contact_id, data)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, provider, external_id)
		DO UPDATE SET id = excluded.id, contact_id = excluded.contact_id, data = excluded.data`,
		c.Tenant, c.Provider, c.ExternalID, c.ID, c.ContactID, data)
}

// Commitments implements donorsync.Tx.
func (t *tx) Commitments(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Commitment, error) {
	return listJSON[donation.Commitment](ctx, t, "commitments",
		`SELECT data FROM commitments WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}

// Engine is what a SQL store offers the engine beside Update and View:
// its execution model, and drafts on its read connections. A store embeds
// it under an unexported alias, so that neither shows in its API.
type Engine struct {
	batch.Model
	read *sql.DB
	rc   *RecordCache
	d    *Dialect
}

// NewEngine returns the Engine of a store that declares m and, when
// m.Drafts is set, drafts on read with the writer's record cache rc.
func NewEngine(m batch.Model, read *sql.DB, rc *RecordCache, d *Dialect) Engine {
	return Engine{Model: m, read: read, rc: rc, d: d}
}

// Draft implements batch.Drafter: fn runs on a read connection, and the
// writing connection sends its writes when no record has been written
// since it began. A store that keeps no records declines
// (batch.ErrSkip).
func (e Engine) Draft(ctx context.Context, after batch.Draft, fn func(donorsync.Tx) error) (batch.Draft, error) {
	if !e.Drafts || e.read == nil {
		return nil, batch.ErrSkip
	}
	return Draft(ctx, e.read, e.rc, e.d, after, fn)
}
