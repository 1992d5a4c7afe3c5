package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sync"

	"github.com/donorsync/donorsync/internal/sqlstore"
	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations reads the migrations once.
var migrations = sync.OnceValues(func() (*sqlstore.Migrations, error) {
	m, err := sqlstore.ReadMigrations(migrationFiles)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return m, nil
})

// ErrSchemaVersion is the error, wrapped, of Open and New when the
// database does not have this version's migrations applied, no more and
// no fewer: with Options.NoMigrate, when migrations are missing or
// unknown; without, when the database has migrations this version does
// not know, applied by a newer version (a downgrade). Its message names
// them.
var ErrSchemaVersion = sqlstore.ErrSchemaVersion

// Migrations returns the migrations that make this version's tables, for
// an application that runs them with its own tool. The files,
// 001_init.up.sql and on, are in the root directory, named as goose and
// golang-migrate read them, each a list of SQL statements to run in one
// transaction. Each also lists itself in the table donorsync_migrations,
// by which a Store opened with NoMigrate checks the schema, so that both
// the tool and the store know what was applied. They are marked for
// goose ("-- +goose Up"), as comments that other tools ignore; goose and
// golang-migrate (through its iofs source, iofs.New(files, ".")) run
// them as they are:
//
//	provider, err := goose.NewProvider(goose.DialectPostgres, db, postgres.Migrations())
//
// The files name no schema: they create the tables in the connection's
// search_path. For the tables of a store opened with Options.Schema,
// create the schema and run them with that search_path: in the
// connection string the tool connects with (search_path=donorsync, which
// pgx and lib/pq send to the server for each connection), or with SET
// search_path on the connection that migrates. There is no down migration: a schema is
// not migrated back.
func Migrations() fs.FS {
	m, err := migrations()
	if err != nil {
		// The files are embedded in the binary, and read by the tests.
		panic(err)
	}
	return m.FS(dialect)
}

// Migrate applies to db the migrations of this version's tables that it
// lacks, as Open does, in opts.Schema when it is set (creating it if
// missing; Migrate reads no other option), each in a transaction of its
// own, under the lock that makes stores starting together migrate in
// turn. It refuses a database migrated by a newer version with an error
// wrapping ErrSchemaVersion. An application that migrates its database
// itself calls it (or runs the files of Migrations), then opens the
// Store with Options.NoMigrate. For a pgx pool, db is
// stdlib.OpenDBFromPool(pool).
func Migrate(ctx context.Context, db *sql.DB, opts *Options) error {
	var schema string
	if opts != nil {
		schema = opts.Schema
	}
	m, err := migrations()
	if err != nil {
		return err
	}
	return m.Migrate(ctx, db, dialect, session(schema))
}

// migrate brings the schema up to date, unless o.NoMigrate, and checks
// that the pool's connections use o.Schema and that the database has
// this version's migrations applied.
func (s *Store) migrate(ctx context.Context, o Options) error {
	m, err := migrations()
	if err != nil {
		return err
	}
	if o.Schema != "" {
		// Before migrating: a pool elsewhere is refused untouched.
		if err := s.checkSearchPath(ctx, o.Schema, false); err != nil {
			return err
		}
	}
	if !o.NoMigrate {
		if err := m.Migrate(ctx, s.db, dialect, session(o.Schema)); err != nil {
			return err
		}
		if o.Schema != "" {
			if err := s.checkSearchPath(ctx, o.Schema, true); err != nil {
				return err
			}
		}
	}
	return m.Check(ctx, s.db, dialect)
}

// checkSearchPath returns an error unless schema is the first schema of
// the search_path of s's connections that exists, or, unless made, none
// of them exists (the check of the migrations then tells that none is
// applied).
func (s *Store) checkSearchPath(ctx context.Context, schema string, made bool) error {
	var current sql.NullString
	var path string
	if err := s.db.QueryRowContext(ctx, `SELECT current_schema(), current_setting('search_path')`).Scan(&current, &path); err != nil {
		return fmt.Errorf("postgres: search_path: %w", err)
	}
	if current.String != schema && (current.Valid || made) {
		return fmt.Errorf("postgres: Options.Schema is %q, but the pool's connections use search_path %q: set it in the pool's ConnConfig.RuntimeParams, as Open does",
			schema, path)
	}
	return nil
}

// migrationLock is the advisory lock key that serialises migrations.
const migrationLock = 0x646f6e6f7273796e // "donorsyn"

// session returns what readies the connection that migrates the tables
// of schema ("" for the connection's search_path).
func session(schema string) sqlstore.Session {
	if schema == "" {
		return lockMigrations
	}
	return func(ctx context.Context, conn *sql.Conn) (end func() error, err error) {
		unlock, err := lockMigrations(ctx, conn)
		if err != nil {
			return nil, err
		}
		restore, err := useSchema(ctx, conn, schema)
		if err != nil {
			unlock()
			return nil, err
		}
		return func() error {
			if err := restore(); err != nil {
				return err // the connection is dropped, and its lock with it
			}
			return unlock()
		}, nil
	}
}

// lockMigrations takes the advisory lock that serialises migrations on
// conn, and returns what releases it.
func lockMigrations(ctx context.Context, conn *sql.Conn) (unlock func() error, err error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return nil, err
	}
	return func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
		return err
	}, nil
}

// useSchema creates schema unless it exists, and makes it the search_path
// of conn; restore gives conn its search_path back.
func useSchema(ctx context.Context, conn *sql.Conn, schema string) (restore func() error, err error) {
	var exists bool
	var path string
	err = conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), current_setting('search_path')`,
		schema).Scan(&exists, &path)
	if err != nil {
		return nil, err
	}
	name := pgx.Identifier{schema}.Sanitize()
	if !exists {
		if _, err := conn.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+name); err != nil {
			return nil, fmt.Errorf("create schema %s: %w", name, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `SELECT set_config('search_path', $1, false)`, name); err != nil {
		return nil, err
	}
	return func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT set_config('search_path', $1, false)`, path)
		return err
	}, nil
}
