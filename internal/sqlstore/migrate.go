package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrSchemaVersion is the error, wrapped, of a store whose database does
// not have the migrations of the code applied, no more and no fewer.
var ErrSchemaVersion = errors.New("schema version does not match")

// A Session readies the connection that migrates, before it does: it
// takes a lock, sets a search path. It returns what undoes that, which
// reports an error when the connection cannot be reused.
type Session func(ctx context.Context, conn *sql.Conn) (end func() error, err error)

// Migrate brings the schema of db up to date: it runs, in order, each of
// m's files (rendered for d) that the table donorsync_migrations does not
// list yet, each in a transaction of its own that lists it. It runs on
// one connection, readied by session when not nil (so that stores
// sharing a database migrate one at a time). It refuses a database that
// lists migrations m does not have, applied by a newer version of the
// code, with an error wrapping ErrSchemaVersion.
func (m *Migrations) Migrate(ctx context.Context, db *sql.DB, d *Dialect, session Session) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	defer conn.Close()
	if session != nil {
		end, err := session(ctx, conn)
		if err != nil {
			return fmt.Errorf("%s: migrate: %w", d.Name, err)
		}
		defer func() { err = endSession(conn, end, err) }()
	}
	if _, err := conn.ExecContext(ctx, d.q(`CREATE TABLE IF NOT EXISTS donorsync_migrations (version TEXT PRIMARY KEY)`)); err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	applied, err := appliedOn(ctx, conn, d)
	if err != nil {
		return err
	}
	if _, unknown := m.compare(applied); len(unknown) > 0 {
		return fmt.Errorf("%s: %w: the database has migrations this version does not know (%s): a newer version migrated it",
			d.Name, ErrSchemaVersion, strings.Join(unknown, ", "))
	}
	for _, f := range m.render(d) {
		if slices.Contains(applied, f.version) {
			continue
		}
		if err := migrateOne(ctx, conn, d, f); err != nil {
			return err
		}
	}
	return nil
}

// endSession undoes what a Session did on conn, dropping conn when that
// fails, and returns err or else the failure.
func endSession(conn *sql.Conn, end func() error, err error) error {
	endErr := end()
	if endErr == nil {
		return err
	}
	conn.Raw(func(any) error { return driver.ErrBadConn }) // not to be reused as it is
	if err != nil {
		return err
	}
	return fmt.Errorf("migrate: %w", endErr)
}

// migrateOne runs f, which lists itself, in one transaction of conn,
// unless its version is listed already.
func migrateOne(ctx context.Context, conn *sql.Conn, d *Dialect, f migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	defer tx.Rollback() // after Commit, does nothing
	var n int
	if err := tx.QueryRowContext(ctx, d.q(`SELECT count(*) FROM donorsync_migrations WHERE version = ?`), f.version).Scan(&n); err != nil {
		return fmt.Errorf("%s: migrate: %w", d.Name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, f.sql); err != nil {
		return fmt.Errorf("%s: migration %s: %w", d.Name, f.version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: migration %s: %w", d.Name, f.version, err)
	}
	return nil
}

// Check returns an error wrapping ErrSchemaVersion unless db lists m's
// migrations as applied, all of them and no others.
func (m *Migrations) Check(ctx context.Context, db *sql.DB, d *Dialect) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: check schema version: %w", d.Name, err)
	}
	defer conn.Close()
	applied, err := appliedOn(ctx, conn, d)
	if err != nil && (d.NoTable == nil || !d.NoTable(err)) {
		return err
	}
	missing, unknown := m.compare(applied)
	var why []string
	if len(missing) > 0 {
		why = append(why, fmt.Sprintf("migrations not applied: %s (run %s.Migrate or the files of %[2]s.Migrations)",
			strings.Join(missing, ", "), d.Name))
	}
	if len(unknown) > 0 {
		why = append(why, "migrations applied by a newer version: "+strings.Join(unknown, ", "))
	}
	if len(why) > 0 {
		return fmt.Errorf("%s: %w: %s", d.Name, ErrSchemaVersion, strings.Join(why, "; "))
	}
	return nil
}

// appliedOn returns the versions listed as applied on conn.
func appliedOn(ctx context.Context, conn *sql.Conn, d *Dialect) ([]string, error) {
	rows, err := conn.QueryContext(ctx, d.q(`SELECT version FROM donorsync_migrations ORDER BY version`))
	if err != nil {
		return nil, fmt.Errorf("%s: migrations applied: %w", d.Name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("%s: migrations applied: %w", d.Name, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: migrations applied: %w", d.Name, err)
	}
	return out, nil
}

// compare returns m's versions that applied lacks, and those of applied
// that m lacks.
func (m *Migrations) compare(applied []string) (missing, unknown []string) {
	have := m.versions()
	for _, v := range have {
		if !slices.Contains(applied, v) {
			missing = append(missing, v)
		}
	}
	for _, v := range applied {
		if !slices.Contains(have, v) {
			unknown = append(unknown, v)
		}
	}
	return missing, unknown
}
