// Package postgres is a donorsync.Store on PostgreSQL, through pgx v5 and
// its connection pool: for production, and for many replicas sharing one
// database.
//
//	store, err := postgres.Open(ctx, "postgres://user@host/db", nil)
//	if err != nil { ... }
//	defer store.Close()
//
// Every natural key is a primary or unique key, so that writing a record
// twice changes nothing. Transactions that touch the same donor, donation
// or commitment take transaction-scoped advisory locks on their keys, in
// sorted order, and so run one after the other, on one replica or many;
// a lost race (a unique violation, a deadlock) is reported as
// donorsync.ErrConflict and the engine retries.
//
// The tables are created and migrated on open, under an advisory lock, so
// replicas may start together. Options.Schema puts the store's tables in
// a PostgreSQL schema of their own, which Open creates if missing and
// makes the search_path of its connections, so that the store shares a
// database with the application's own tables, or with other stores. An
// application that migrates its database with its own tool runs the
// files of Migrations (goose and golang-migrate run them as they are,
// with the search_path set to the schema), or calls Migrate, and opens
// the store with Options.NoMigrate: Open then changes nothing, and fails
// with an error wrapping ErrSchemaVersion, naming the migrations missing
// or unknown, unless the database has this version's migrations applied,
// no more and no fewer. Migrating, Open refuses in the same way a
// database that a newer version migrated.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/internal/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// A Store is a donorsync.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	// How the Store runs the engine's transactions (two writers, locks
	// tried before they are waited for): for the engine of this module,
	// not part of the Store's API.
	declared

	db   *sql.DB
	pool *pgxpool.Pool
	own  bool
}

// declared is what the Store declares to the engine.
type declared = batch.Declared

var _ donorsync.Store = (*Store)(nil)

// Options tune Open and New. The zero value gives the defaults.
type Options struct {
	// Schema is the PostgreSQL schema that holds the store's tables, so
	// that the store shares a database with the application's own tables,
	// or with other stores. Open creates it if missing, unless NoMigrate,
	// and makes it the search_path of every connection of its pool: the
	// store's SQL names its tables without a schema, and finds no other
	// table of the database. New and Migrate create it too; New checks
	// that the pool's connections use it (set search_path in the pool's
	// ConnConfig.RuntimeParams, as Open does). "" (the default) uses the
	// connections' search_path as it is: public, unless set otherwise.
	// Stores in different schemas of one database share the advisory
	// locks the engine takes on a tenant's natural keys (a transaction
	// may wait for another store's on the same tenant and key); their
	// records never mix.
	Schema string

	// NoMigrate leaves the tables as they are: Open and New only check that
	// the database has this version's migrations applied (see Migrate and
	// Migrations), and fail with an error wrapping ErrSchemaVersion
	// otherwise. By default they apply the migrations the database lacks.
	NoMigrate bool
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgx reads it) with a connection pool, and
// migrates its tables, unless opts.NoMigrate. Close the Store when done.
func Open(ctx context.Context, url string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if o.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.Schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s, err := New(ctx, pool, &o)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.own = true
	return s, nil
}

// New returns a Store on pool and migrates its tables, unless
// opts.NoMigrate. The caller closes pool after the Store. Tables are in
// the pool's search_path, which must name opts.Schema first when it is
// set.
func New(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	// Two group commits in flight keep the server busy while the other
	// batch waits on its round trips (measured in BENCHMARKS.md; more did
	// not go faster on two cores).
	m := batch.Model{Writers: 2, Batch: true, TryLock: true}
	s := &Store{declared: batch.Declare(m, nil), db: stdlib.OpenDBFromPool(pool), pool: pool}
	if err := s.migrate(ctx, o); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the Store, and the pool when Open made it.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.own {
		s.pool.Close()
	}
	return err
}

var dialect = &sqlstore.Dialect{
	Name:      "postgres",
	Rebind:    rebind,
	Lock:      lock,
	TryLock:   tryLock,
	ForUpdate: " FOR UPDATE SKIP LOCKED",
	Conflict:  conflict,
	Invalid:   invalid,
	NoTable:   noTable,
}

// rebind turns "?" placeholders into "$1", "$2", ...
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// lock takes a transaction-scoped advisory lock per name, in the order
// given, in one round trip.
func lock(ctx context.Context, tx *sql.Tx, names []string) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(n, 0))
		FROM unnest($1::text[]) WITH ORDINALITY AS l(n, i) ORDER BY i`, names)
	return err
}

// tryLock takes those of the advisory locks on names that no other
// transaction holds, without waiting.
func tryLock(ctx context.Context, tx *sql.Tx, names []string) ([]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended(n, 0))
		FROM unnest($1::text[]) WITH ORDINALITY AS l(n, i) ORDER BY i`, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	held := make([]bool, 0, len(names))
	for rows.Next() {
		var ok bool
		if err := rows.Scan(&ok); err != nil {
			return nil, err
		}
		held = append(held, ok)
	}
	return held, rows.Err()
}

// conflict reports the errors that mean another transaction won a race.
func conflict(err error) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	switch pg.Code {
	case "23505", // unique_violation
		"40001", // serialization_failure
		"40P01": // deadlock_detected
		return true
	}
	return false
}

// invalid reports the errors that mean PostgreSQL refuses a value as it
// is, and will every time: SQLSTATE class 22, data exception (a string
// with a NUL byte or invalid UTF-8, a number out of range), and class 54,
// program limit exceeded (54000: an index row over the B-tree's limit of
// about 2,700 bytes).
func invalid(err error) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	return strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "54")
}

// noTable reports the errors that mean a table does not exist (42P01,
// undefined_table).
func noTable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "42P01"
}

// Update implements donorsync.Store.
func (s *Store) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return sqlstore.Run(ctx, s.db, sqlstore.Writer{}, nil, dialect, fn)
}

// View implements donorsync.Store.
func (s *Store) View(ctx context.Context, fn func(donorsync.Tx) error) error {
	return sqlstore.Run(ctx, s.db, sqlstore.Writer{}, &sql.TxOptions{ReadOnly: true}, dialect, fn)
}
