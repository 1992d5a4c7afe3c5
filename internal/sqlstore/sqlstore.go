// Package sqlstore implements donorsync.Tx over database/sql, for the SQL
// adapters (store/sqlite, store/postgres), which differ only by a Dialect:
// one place for the SQL of the Store contract.
//
// A transaction (tx.go) reads and writes records (records.go: in the
// tables of tables.go, each in the stored form of stored.go, with the
// times and amounts of columns.go), deliveries (journal.go) and the
// change feed (feed.go, cursors.go): it holds the changes it appends
// back, and numbers and sends them last, as it commits. After Prefetch
// it is in batch mode: it reads the records a batch needs at once,
// through one lookup chain (lookup.go: its own cache, the draft it
// follows, the record cache, the database), and holds its writes back
// (pending.go) until it commits or a read needs them. The record cache (cache.go) keeps records from one writing
// transaction to the next; drafts (draft.go) apply a batch beside the
// writer, which then only sends their writes.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
)

// A Dialect is what differs between SQL databases.
type Dialect struct {
	// Name prefixes error messages, such as "sqlite".
	Name string
	// Rebind rewrites the "?" placeholders of a query; nil keeps them.
	Rebind func(query string) string
	// TimeText says the record tables keep times as text laid out as
	// TimeLayout (SQLite); otherwise as the driver's time (PostgreSQL's
	// timestamptz). See columns.go.
	TimeText bool
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
	// Invalid reports whether err means the database refuses a value as it
	// is, and will every time: one it cannot encode, store or index (a
	// string over its length limit, an index entry over its size limit).
	// Such errors match donorsync.ErrInvalid, so that the engine
	// quarantines the delivery rather than retry it; nil reports none.
	Invalid func(err error) bool
	// Bodies, when not nil, compresses the journal's bodies; nil keeps
	// them as received.
	Bodies Codec
	// MaxParams bounds the parameters of one multi-row statement; 0 means
	// 8000, well under what SQLite and PostgreSQL accept. Where each
	// statement is a round trip, fewer and longer ones are faster; where
	// binding costs more per parameter as a statement grows, a smaller
	// bound is.
	MaxParams int
	// NoTable reports whether err means a table does not exist, so that
	// a database without the store's tables is told to have none of its
	// migrations applied; nil reports none.
	NoTable func(err error) bool

	// names, when not nil, puts a prefix before the names of the
	// store's tables and indexes (Migrations.Named).
	names *names
}

// wrap names the operation, and marks lost races as donorsync.ErrConflict
// and values the database refuses as donorsync.ErrInvalid.
func (d *Dialect) wrap(what string, err error) error {
	if d.Conflict != nil && d.Conflict(err) {
		return fmt.Errorf("%s: %s: %w: %w", d.Name, what, donorsync.ErrConflict, err)
	}
	if d.Invalid != nil && d.Invalid(err) {
		return fmt.Errorf("%s: %s: %w: %w", d.Name, what, donorsync.ErrInvalid, err)
	}
	return fmt.Errorf("%s: %s: %w", d.Name, what, err)
}

// q returns query as the database is sent it: the store's tables named
// as the store names them, the placeholders rewritten.
func (d *Dialect) q(query string) string {
	if d.names != nil {
		query = d.names.apply(query)
	}
	if d.Rebind != nil {
		query = d.Rebind(query)
	}
	return query
}

// Writer is what a store keeps for its writing transactions. The zero
// value keeps nothing.
type Writer struct {
	// Stmts, when not nil, keeps statements prepared.
	Stmts *Stmts
	// RecordCache, when not nil, keeps records between transactions;
	// see RecordCache for when a store may use one.
	RecordCache *RecordCache
}

// Run runs fn in a transaction of db, committing when fn returns nil,
// with what w keeps.
func Run(ctx context.Context, db *sql.DB, w Writer, opts *sql.TxOptions, d *Dialect, fn func(donorsync.Tx) error) error {
	t := &tx{d: d, role: writing, stmts: w.Stmts, rc: w.RecordCache}
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
	t := &tx{d: d, role: viewing}
	if rc != nil {
		t.role, t.rc = preloading, rc
	}
	epoch := rc.epochNow() // before the View's snapshot is taken
	if err := run(ctx, db, t, nil, fn); err != nil {
		return err
	}
	if t.role == preloading && t.mode == batchMode {
		rc.offer(t.c, epoch)
	}
	return nil
}

// run runs fn in t, a new transaction of db, committing when fn returns
// nil; a draft's is rolled back, its writes kept.
func run(ctx context.Context, db *sql.DB, t *tx, opts *sql.TxOptions, fn func(donorsync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	release, err := t.begin(ctx, db, opts)
	if err != nil {
		return t.d.wrap("begin", err)
	}
	defer release()
	sqlTx := t.tx
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
	}()
	if t.stmts != nil {
		// Once the transaction has given its connection back.
		defer t.stmts.prepareLater()
	}
	if err := fn(t); err != nil {
		sqlTx.Rollback()
		return err
	}
	if t.drafts() {
		return sqlTx.Rollback()
	}
	if err := t.flush(ctx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := t.sendChanges(ctx); err != nil { // last: see feed.go
		sqlTx.Rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		if t.keeps() {
			// Committed or not: what the record cache holds may be
			// wrong either way.
			t.rc.reset()
		}
		return t.d.wrap("commit", err)
	}
	return nil
}

// begin begins t's transaction on db and returns what gives its
// connection back. A writer that keeps records takes one connection and
// knows it: the record cache is kept for one connection.
func (t *tx) begin(ctx context.Context, db *sql.DB, opts *sql.TxOptions) (release func(), err error) {
	if !t.keeps() {
		t.tx, err = db.BeginTx(ctx, opts)
		return func() {}, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	conn.Raw(func(dc any) error {
		t.conn = dc
		return nil
	})
	if t.tx, err = conn.BeginTx(ctx, opts); err != nil {
		conn.Close()
		return nil, err
	}
	return func() { conn.Close() }, nil
}

// Drafts drafts batches on a store's read connections, for its writer to
// send (batch.Drafter): a store declares its Draft method (batch.Declare).
type Drafts struct {
	read *sql.DB
	rc   *RecordCache
	d    *Dialect
}

var _ batch.Drafter[donorsync.Tx] = (*Drafts)(nil)

// NewDrafts returns the Drafts of a store that reads on read and keeps
// the writer's records in rc.
func NewDrafts(read *sql.DB, rc *RecordCache, d *Dialect) *Drafts {
	return &Drafts{read: read, rc: rc, d: d}
}

// Draft implements batch.Drafter: fn runs on a read connection, and the
// writing connection sends its writes when no record has been written
// since it began.
func (e *Drafts) Draft(ctx context.Context, after batch.Draft, fn func(donorsync.Tx) error) (batch.Draft, error) {
	return Draft(ctx, e.read, e.rc, e.d, after, fn)
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// instant is micros for the journal's times, but 0 for the zero time (a
// delivery not due later, not claimed): a SQLite row holds 0 in no
// bytes, the zero time's microseconds in eight.
func instant(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromInstant reads what instant wrote, and the zero time's microseconds
// that rows written before it hold, as the zero time.
func fromInstant(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

func fromMicros(us int64) time.Time {
	t := time.UnixMicro(us).UTC()
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t
}

func limit(p donorsync.Page) int {
	if p.Limit <= 0 {
		return 100
	}
	return p.Limit
}
