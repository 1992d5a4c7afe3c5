package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Migrate brings the schema of db up to date: it runs, in name order,
// each file of fsys's migrations directory (such as 001_init.sql) that
// the table donorsync_migrations does not list yet, each in a
// transaction of its own that lists it. It runs on one connection; lock,
// when not nil, is called on it first, and returns what releases what it
// took, so that stores sharing a database migrate one at a time.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, d *Dialect, lock func(context.Context, *sql.Conn) (unlock func(), err error)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	defer conn.Close()
	if lock != nil {
		unlock, err := lock(ctx, conn)
		if err != nil {
			return fmt.Errorf("%s: migrate: %w", d.Name, err)
		}
		defer unlock()
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS donorsync_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return err
	}
	for _, e := range entries { // sorted by name
		ddl, err := fs.ReadFile(fsys, path.Join("migrations", e.Name()))
		if err != nil {
			return err
		}
		if err := migrateOne(ctx, conn, d, strings.TrimSuffix(e.Name(), ".sql"), string(ddl)); err != nil {
			return err
		}
	}
	return nil
}

// migrateOne runs ddl and lists version, in one transaction of conn,
// unless version is listed already.
func migrateOne(ctx context.Context, conn *sql.Conn, d *Dialect, version, ddl string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	defer tx.Rollback() // after Commit, does nothing
	var n int
	if err := tx.QueryRowContext(ctx, d.q(`SELECT count(*) FROM donorsync_migrations WHERE version = ?`), version).Scan(&n); err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("%s: migration %s: %w", d.Name, version, err)
	}
	if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO donorsync_migrations (version) VALUES (?)`), version); err != nil {
		return fmt.Errorf("%s: migration %s: %w", d.Name, version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: migration %s: %w", d.Name, version, err)
	}
	return nil
}
