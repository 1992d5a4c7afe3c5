// Package sqlite is a donorsync.Store on SQLite, through the pure-Go
// driver modernc.org/sqlite (no cgo): the embedded default, one file on
// disk, for a receiver on one machine.
//
//	store, err := sqlite.Open(ctx, "donorsync.db", nil)
//	if err != nil { ... }
//	defer store.Close()
//
// Open sets on every connection: write-ahead logging, a busy timeout,
// foreign keys, and synchronous=FULL, so that a transaction is on disk
// when Update returns (Options.Synchronous can choose NORMAL: faster, but
// a power loss can undo the last transactions; an application crash
// cannot). Writing transactions run one at a time on one connection, as
// BEGIN IMMEDIATE; reads use a pool of their own and never wait for
// writes. WAL checkpoints run in the background, off the request path.
//
// The tables are created and migrated on open. Options.TablePrefix puts a
// prefix before the name of each of the store's tables and indexes
// (donorsync_contacts, for "donorsync_"), so that the store shares a
// database file with the application's own tables, or with other stores.
// An application that migrates its database with its own tool runs the
// files of Migrations (goose and golang-migrate run them as they are,
// with the prefix in them), or calls Migrate, and opens the store with
// Options.NoMigrate: Open then changes no table, and fails with an error
// wrapping ErrSchemaVersion, naming the migrations missing or unknown,
// unless the database has this version's migrations applied, no more and
// no fewer. Migrating, Open refuses in the same way a database that a
// newer version migrated.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/internal/sqlstore"
	driver "modernc.org/sqlite" // the database/sql driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options tune Open and New (which read TablePrefix and NoMigrate only).
// The zero value gives the defaults.
type Options struct {
	// Synchronous is SQLite's synchronous setting: "FULL" (the default:
	// durable at commit) or "NORMAL" (durable at the next checkpoint;
	// survives crashes of the application, not of the machine).
	Synchronous string

	// BusyTimeout is how long a connection waits for a lock held by
	// another process; 0 means 5 seconds.
	BusyTimeout time.Duration

	// CheckpointInterval is how often a background goroutine checkpoints
	// the write-ahead log; 0 means every second. Most of the copying runs
	// beside the writer; a short last step on the writing connection lets
	// the log start over, so that it stays bounded under steady writes.
	// A negative value leaves checkpoints to SQLite, which then runs them
	// during commits.
	CheckpointInterval time.Duration

	// ReadConns is the size of the read pool; 0 means 4.
	ReadConns int

	// RecordCache is how many recently used contacts the writing
	// connection keeps in memory from one transaction to the next, with
	// the owners of four times as many contact keys and a quarter as
	// many donations (with their adjustments), commitments and
	// activities (read where the change feed is on), so that a
	// batch meeting a donor or a donation seen shortly before does not
	// read it again; 0 means 5,000, a negative value keeps none. The
	// cache turns over in two generations, so it holds up to twice as
	// many: about 30 MiB with the default, for contacts as full as
	// ActBlue's. A Worker fills it for its next batch from a read
	// connection, so that the writing transaction
	// reads little but what changed since. Writes committed by another
	// connection or process empty it. A Store made with New keeps none.
	RecordCache int

	// TablePrefix is put before the name of each of the store's tables
	// and indexes, such as "donorsync_" for donorsync_contacts, so that
	// the store shares a database with the application's own tables, or
	// with other stores: ASCII letters, digits and underscores. "" (the
	// default) keeps the names as they are.
	TablePrefix string

	// NoMigrate leaves the tables as they are: Open and New only check that
	// the database has this version's migrations applied (see Migrate and
	// Migrations), and fail with an error wrapping ErrSchemaVersion
	// otherwise. By default they apply the migrations the database lacks.
	NoMigrate bool
}

// A Store is a donorsync.Store on SQLite. It is safe for concurrent use.
type Store struct {
	// How the Store runs the engine's transactions (one writer; Workers
	// that read ahead, preload and draft), and its drafts: for the engine
	// of this module, not part of the Store's API.
	declared

	write *sql.DB
	read  *sql.DB
	owned bool
	d     *sqlstore.Dialect // the store's dialect, naming its tables

	// What the writing connection keeps: prepared statements (the same
	// few statements run in every transaction, and parsing them costs
	// more than running them) and, when opened with Open, records.
	writer sqlstore.Writer

	stop     chan struct{}
	stopped  sync.WaitGroup
	closeErr error
	once     sync.Once
}

// declared is what the Store declares to the engine.
type declared = batch.Declared

var _ donorsync.Store = (*Store)(nil)

// Open opens (creating it if needed) the database file at path and
// migrates its schema, unless opts.NoMigrate.
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	d, err := named(o.TablePrefix)
	if err != nil {
		return nil, err
	}
	c, err := o.connections(path)
	if err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", c.dsn("immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	s := &Store{write: write, owned: true, d: d, stop: make(chan struct{})}
	s.writer.Stmts = sqlstore.NewStmts(write, maxStmts)
	switch {
	case o.RecordCache == 0:
		s.writer.RecordCache = sqlstore.NewRecordCache(5000)
	case o.RecordCache > 0:
		s.writer.RecordCache = sqlstore.NewRecordCache(o.RecordCache)
	}
	if err := s.migrate(ctx, o.NoMigrate); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", c.dsn("deferred", "query_only(1)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(c.readConns)
	read.SetMaxIdleConns(c.readConns)
	s.read = read
	m := batch.Model{Writers: 1, Batch: true, ReadAhead: true}
	if s.writer.RecordCache != nil {
		m.Preload, m.Drafts = true, true
		s.declared = batch.Declare(m, sqlstore.NewDrafts(read, s.writer.RecordCache, d).Draft)
	} else {
		s.declared = batch.Declare(m, nil)
	}
	if c.checkpoint > 0 {
		s.stopped.Add(1)
		go s.checkpoints(path, c.checkpoint)
	}
	return s, nil
}

// connections is how Open connects to the database file at path, as o
// says, its zero values replaced by their defaults.
type connections struct {
	path       string
	pragmas    []string // run by each new connection
	readConns  int
	checkpoint time.Duration
}

func (o *Options) connections(path string) (connections, error) {
	sync := strings.ToUpper(o.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return connections{}, fmt.Errorf("sqlite: Synchronous is %q: want FULL or NORMAL", o.Synchronous)
	}
	busy := o.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	c := connections{path: path, readConns: o.ReadConns, checkpoint: o.CheckpointInterval}
	if c.readConns <= 0 {
		c.readConns = 4
	}
	if c.checkpoint == 0 {
		c.checkpoint = time.Second
	}
	c.pragmas = []string{
		fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(" + sync + ")",
		"foreign_keys(1)",
		// Statement journals (kept by multi-row statements) in memory,
		// not in temporary files.
		"temp_store(MEMORY)",
		// A log that grew during a backlog is cut back to this size when
		// it starts over.
		"journal_size_limit(67108864)",
	}
	if c.checkpoint > 0 {
		c.pragmas = append(c.pragmas, "wal_autocheckpoint(0)")
	}
	return c, nil
}

// dsn is the name of a connection that begins its transactions with
// txlock and runs extra pragmas after the others.
func (c connections) dsn(txlock string, extra ...string) string {
	q := url.Values{}
	for _, p := range append(slices.Clone(c.pragmas), extra...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	return "file:" + uriPath.Replace(c.path) + "?" + q.Encode()
}

// New returns a Store on db, which it uses for reads and writes, and
// migrates the schema, unless opts.NoMigrate; of opts, it reads
// TablePrefix and NoMigrate only. The caller configures db (Open shows
// the settings donorsync relies on: WAL, a busy timeout and
// _txlock=immediate) and closes it after the Store.
func New(ctx context.Context, db *sql.DB, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	d, err := named(o.TablePrefix)
	if err != nil {
		return nil, err
	}
	// No records kept: db may write on any of its connections, and
	// others may write with it.
	s := &Store{write: db, read: db, d: d, stop: make(chan struct{}), writer: sqlstore.Writer{Stmts: sqlstore.NewStmts(db, maxStmts)}}
	s.declared = batch.Declare(batch.Model{Writers: 1, Batch: true, ReadAhead: true}, nil)
	if err := s.migrate(ctx, o.NoMigrate); err != nil {
		return nil, err
	}
	return s, nil
}

// uriPath escapes what would end a path in a URI filename: SQLite
// decodes the escapes, so a file named "a#1.db" is that file, not "a".
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Close stops the background checkpoints, checkpoints the log once more,
// and closes the databases Open opened. It does not close a *sql.DB given
// to New.
func (s *Store) Close() error {
	s.once.Do(func() {
		close(s.stop)
		s.stopped.Wait()
		stmtsErr := s.writer.Stmts.Close()
		if !s.owned {
			s.closeErr = stmtsErr
			return
		}
		_, err := s.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		s.closeErr = errors.Join(stmtsErr, err, s.read.Close(), s.write.Close())
	})
	return s.closeErr
}

// checkpoints copies the write-ahead log into the database file now and
// then, on a read connection, so that commits never wait for it.
func (s *Store) checkpoints(path string, every time.Duration) {
	defer s.stopped.Done()
	// The database file, to flush what a checkpoint beside the writer
	// copied into it (any descriptor of a file flushes all of it).
	db, err := os.Open(path)
	if err == nil {
		defer db.Close()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.checkpoint(db, every)
		}
	}
}

// checkpoint copies the write-ahead log into the database file and
// flushes it, in steps with a bound each, so that a slow step (on a
// loaded machine) does not use up the time of the last, which lets the
// log start over.
func (s *Store) checkpoint(db *os.File, every time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), every)
	// PASSIVE never blocks writers; a busy moment just skips. Most of the
	// log is copied here, beside the writer.
	_, _ = s.read.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	cancel()
	// SQLite flushes the database file only when a checkpoint reaches the
	// end of the log, which under steady writes only the step below does:
	// it would flush everything copied since the last time while holding
	// the writer (23-62 ms at 2,000 deliveries a second, and every commit
	// waiting). Flushed here, beside the writer, it leaves that step
	// little to do.
	if db != nil {
		_ = db.Sync()
	}
	// Under steady writes that copy never catches up with the end of the
	// log, and the log grows without bound: only a checkpoint between two
	// write transactions copies it all, so that the next one starts the
	// log over (and reuses its file). Run on the writing connection, that
	// checkpoint copies just what was committed since the first. It waits
	// for the connection up to a second, however often checkpoints run:
	// the writer takes it back between transactions.
	ctx, cancel = context.WithTimeout(context.Background(), max(every, time.Second))
	defer cancel()
	_, _ = s.write.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
}

// Update implements donorsync.Store.
func (s *Store) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return sqlstore.Run(ctx, s.write, s.writer, nil, s.d, fn)
}

// View implements donorsync.Store.
func (s *Store) View(ctx context.Context, fn func(donorsync.Tx) error) error {
	return sqlstore.View(ctx, s.read, s.writer.RecordCache, s.d, fn)
}

// maxStmts bounds the statements kept prepared: each kind of statement in
// chunks of up to nine sizes, a few dozen kinds.
const maxStmts = 256

var dialect = &sqlstore.Dialect{
	Name:         "sqlite",
	SingleWriter: true, // one connection writes, as BEGIN IMMEDIATE
	TimeText:     true,
	// The driver looks each parameter up among all the arguments, so
	// binding a statement of n parameters costs n²: journaling groups of
	// 128 deliveries took 37-38 µs a delivery in statements of 1,792
	// parameters, 32-34 µs in statements of at most 256
	// (BenchmarkRecordDeliveries).
	MaxParams: 256,
	Invalid:   invalid,
	NoTable:   noTable,
	// One transaction writes at a time: one encoder.
	Bodies: &zstdCodec{encoding: 1, writers: 1},
}

// invalid reports the errors that mean SQLite refuses a value as it is,
// and will every time: SQLITE_TOOBIG (a string or blob over the length
// limit) and SQLITE_MISMATCH (a value of the wrong type).
func invalid(err error) bool {
	var e *driver.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary result code of an extended one
	case sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
		return true
	}
	return false
}

// noTable reports the errors that mean a table does not exist.
func noTable(err error) bool {
	var e *driver.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_ERROR && strings.Contains(e.Error(), "no such table")
}
