package sqlite_test

import (
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/donorsync/donorsync/storetest"
	"github.com/google/go-cmp/cmp"
)

// applyFiles runs the files of files in name order, the first n of them
// (all for n < 0), each in a transaction of its own, and lists each in a
// table of its own, as goose and golang-migrate do.
func applyFiles(t *testing.T, db *sql.DB, files fs.FS, n int) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS tool_versions (name TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		entries = entries[:n]
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(string(b))
		if err == nil {
			_, err = tx.Exec(`INSERT INTO tool_versions (name) VALUES (?)`, e.Name())
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			t.Fatalf("%s: %v", e.Name(), err)
		}
	}
}

// migrated returns the file at path, its schema made by the files of
// Migrations(prefix), the first n of them (all for n < 0).
func migrated(t *testing.T, path, prefix string, n int) {
	t.Helper()
	files, err := sqlite.Migrations(prefix)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	applyFiles(t, db, files, n)
}

// versions returns the versions of the store's migrations, in order.
func versions(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = strings.TrimSuffix(filepath.Base(f), ".sql")
	}
	return out
}

// The application's own contacts table, named as one of the store's.
const crmTable = `CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)`

// TestConformanceOnExportedMigrations runs the conformance suite on a
// store opened with NoMigrate, its tables named with a prefix and made
// by the exported migrations, run as a migration tool runs them, in a
// database that holds the application's own contacts table: that table
// is left as it was.
func TestConformanceOnExportedMigrations(t *testing.T) {
	const prefix = "ds_"
	files, err := sqlite.Migrations(prefix)
	if err != nil {
		t.Fatal(err)
	}
	storetest.RunContract(t, func(t *testing.T) donorsync.Store {
		path := filepath.Join(t.TempDir(), "crm.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{crmTable, `INSERT INTO contacts (name, email) VALUES ('Peter', 'peter@initech.example'), ('Joanna', NULL)`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		before := rows(t, path, `SELECT * FROM contacts ORDER BY id`)
		applyFiles(t, db, files, -1)
		t.Cleanup(func() {
			if diff := cmp.Diff(before, rows(t, path, `SELECT * FROM contacts ORDER BY id`)); diff != "" {
				t.Errorf("the application's contacts (-before +after):\n%s", diff)
			}
			if got := rows(t, path, `SELECT sql FROM sqlite_master WHERE name = 'contacts'`); !slices.Equal(got, []string{crmTable}) {
				t.Errorf("the application's contacts table: %q", got)
			}
		})
		return open(t, path, &sqlite.Options{TablePrefix: prefix, NoMigrate: true})
	})
}

// TestExportedMigrationFiles: named and marked as goose and
// golang-migrate read them, one per migration, in order.
func TestExportedMigrationFiles(t *testing.T) {
	t.Parallel()
	files, err := sqlite.Migrations("")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	name := regexp.MustCompile(`^[0-9]+_[a-z0-9_]+\.up\.sql$`)
	for _, e := range entries {
		if !name.MatchString(e.Name()) {
			t.Errorf("file %q: want NNN_name.up.sql", e.Name())
		}
		got = append(got, strings.TrimSuffix(e.Name(), ".up.sql"))
		b, err := fs.ReadFile(files, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if s := string(b); !strings.HasPrefix(s, "-- +goose Up\n-- +goose StatementBegin\n") || !strings.HasSuffix(s, "\n-- +goose StatementEnd\n") {
			t.Errorf("%s is not marked as one statement for goose:\n%s", e.Name(), s)
		}
	}
	if diff := cmp.Diff(versions(t), got); diff != "" {
		t.Errorf("files (-migrations +exported):\n%s", diff)
	}
}

// TestSchemaVersion: a store opened with NoMigrate checks that the
// database has its migrations applied, all and no others; one that
// migrates refuses a database migrated by a newer version.
func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	all := versions(t)
	last := all[len(all)-1]
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		opts    sqlite.Options
		want    []string // in the error; none for no error
	}{
		{"empty", func(*testing.T, string) {}, sqlite.Options{NoMigrate: true}, all},
		{"one missing", func(t *testing.T, path string) { migrated(t, path, "", len(all)-1) }, sqlite.Options{NoMigrate: true}, []string{"not applied: " + last}},
		{"all", func(t *testing.T, path string) { migrated(t, path, "", -1) }, sqlite.Options{NoMigrate: true}, nil},
		{"other prefix", func(t *testing.T, path string) { migrated(t, path, "a_", -1) }, sqlite.Options{TablePrefix: "b_", NoMigrate: true}, all},
		{"by Migrate", func(t *testing.T, path string) { migrate(t, path, &sqlite.Options{TablePrefix: "a_"}) }, sqlite.Options{TablePrefix: "a_", NoMigrate: true}, nil},
		{"newer", newer, sqlite.Options{NoMigrate: true}, []string{"applied by a newer version: 999_future"}},
		{"newer, migrating", newer, sqlite.Options{}, []string{"999_future", "newer version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "donorsync.db")
			tt.prepare(t, path)
			s, err := sqlite.Open(t.Context(), path, &tt.opts)
			if err == nil {
				s.Close()
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			if !errors.Is(err, sqlite.ErrSchemaVersion) {
				t.Fatalf("Open = %v, want ErrSchemaVersion", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open = %v, want it to name %q", err, w)
				}
			}
		})
	}
}

// migrate runs sqlite.Migrate on the database file at path.
func migrate(t *testing.T, path string, opts *sqlite.Options) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlite.Migrate(t.Context(), db, opts); err != nil {
		t.Fatal(err)
	}
}

// newer makes the database at path as a newer version would: one
// migration more.
func newer(t *testing.T, path string) {
	migrated(t, path, "", -1)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO donorsync_migrations (version) VALUES ('999_future')`); err != nil {
		t.Fatal(err)
	}
}
