package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sync"

	"github.com/donorsync/donorsync/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations reads the migrations once.
var migrations = sync.OnceValues(func() (*sqlstore.Migrations, error) {
	m, err := sqlstore.ReadMigrations(migrationFiles)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
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
// an application that runs them with its own tool, with prefix before the
// names of the tables and indexes, as Options.TablePrefix ("" keeps the
// names as they are). The files, 001_init.up.sql and on, are in the root
// directory, named as goose and golang-migrate read them, each a list of
// SQL statements to run in one transaction. Each also lists itself in
// the table donorsync_migrations (under the prefix), by which a Store
// opened with NoMigrate checks the schema, so that both the tool and the
// store know what was applied. They are marked for goose
// ("-- +goose Up"), as comments that other tools ignore; goose and
// golang-migrate (through its iofs source, iofs.New(files, ".")) run
// them as they are:
//
//	files, err := sqlite.Migrations("crm_")
//	...
//	provider, err := goose.NewProvider(goose.DialectSQLite3, db, files)
//
// There is no down migration: a schema is not migrated back.
func Migrations(prefix string) (fs.FS, error) {
	m, err := migrations()
	if err != nil {
		return nil, err
	}
	d, err := m.Named(dialect, prefix)
	if err != nil {
		return nil, err
	}
	return m.FS(d), nil
}

// Migrate applies to db the migrations of this version's tables that it
// lacks, as Open does, for opts.TablePrefix (it reads no other option),
// each in a transaction of its own. It refuses a database migrated by a
// newer version with an error wrapping ErrSchemaVersion. An application
// that migrates its database itself calls it (or runs the files of
// Migrations), then opens the Store with Options.NoMigrate.
func Migrate(ctx context.Context, db *sql.DB, opts *Options) error {
	var prefix string
	if opts != nil {
		prefix = opts.TablePrefix
	}
	m, err := migrations()
	if err != nil {
		return err
	}
	d, err := m.Named(dialect, prefix)
	if err != nil {
		return err
	}
	return m.Migrate(ctx, db, d, nil)
}

// named returns the dialect of a store whose tables are named with
// prefix.
func named(prefix string) (*sqlstore.Dialect, error) {
	m, err := migrations()
	if err != nil {
		return nil, err
	}
	return m.Named(dialect, prefix)
}

// migrate brings the schema up to date, or only checks it when noMigrate
// is set. SQLite runs one writing transaction at a time, so two Stores
// opening one file migrate in turn.
func (s *Store) migrate(ctx context.Context, noMigrate bool) error {
	m, err := migrations()
	if err != nil {
		return err
	}
	if noMigrate {
		return m.Check(ctx, s.write, s.d)
	}
	return m.Migrate(ctx, s.write, s.d, nil)
}
