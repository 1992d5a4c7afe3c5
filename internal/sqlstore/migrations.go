package sqlstore

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// migrationsTable lists the migrations applied to a database, by version.
const migrationsTable = "donorsync_migrations"

// Migrations are a store's migrations: the files of its migrations
// directory (such as 001_init.sql), in name order, each a list of SQL
// statements.
type Migrations struct {
	files []migration
}

// A migration is one file: its version, the file's name without ".sql",
// and its SQL.
type migration struct {
	version string
	sql     string
}

// ReadMigrations reads the files of fsys's migrations directory.
func ReadMigrations(fsys fs.FS) (*Migrations, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	m := &Migrations{}
	for _, e := range entries { // sorted by name
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		m.files = append(m.files, migration{version: strings.TrimSuffix(e.Name(), ".sql"), sql: string(b)})
	}
	return m, nil
}

// Named returns d naming the tables, indexes, views and triggers m
// creates, and the table of the migrations applied, with prefix before
// their names: in the statements of its transactions and in the
// migrations it applies. It returns d itself for "".
func (m *Migrations) Named(d *Dialect, prefix string) (*Dialect, error) {
	if prefix == "" {
		return d, nil
	}
	if err := validPrefix(prefix); err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	list := []string{migrationsTable}
	for _, f := range m.files {
		list = append(list, created(f.sql)...)
	}
	named := *d
	named.names = newNames(prefix, list)
	return &named, nil
}

// versions returns the versions of m, in order.
func (m *Migrations) versions() []string {
	out := make([]string, len(m.files))
	for i, f := range m.files {
		out[i] = f.version
	}
	return out
}

// render returns m's files as d applies them, each a list of statements
// that a migration tool can run as it is, in a transaction: the file's
// statements, then the one that lists it as applied (the first creates
// that list's table). Each is marked for goose as one statement (goose
// then sends it whole, as the store does), which other tools read as
// comments.
func (m *Migrations) render(d *Dialect) []migration {
	out := make([]migration, len(m.files))
	for i, f := range m.files {
		var b strings.Builder
		b.WriteString("-- +goose Up\n-- +goose StatementBegin\n")
		if i == 0 {
			b.WriteString("CREATE TABLE IF NOT EXISTS " + migrationsTable + " (version TEXT PRIMARY KEY);\n\n")
		}
		b.WriteString(strings.TrimRight(f.sql, " \t\r\n"))
		b.WriteString("\n\nINSERT INTO " + migrationsTable + " (version) VALUES ('" + strings.ReplaceAll(f.version, "'", "''") + "');\n")
		b.WriteString("-- +goose StatementEnd\n")
		sql := b.String()
		if d.names != nil {
			sql = d.names.rewrite(sql)
		}
		out[i] = migration{version: f.version, sql: sql}
	}
	return out
}

// FS returns m's files as d applies them (see render), in the root
// directory, named as goose and golang-migrate read them:
// 001_init.up.sql, and so on.
func (m *Migrations) FS(d *Dialect) fs.FS {
	files := make(memFS, len(m.files))
	for _, f := range m.render(d) {
		files[f.version+".up.sql"] = []byte(f.sql)
	}
	return files
}
