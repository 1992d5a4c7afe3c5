package postgres_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/sqltest"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/donorsync/donorsync/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// schemaName returns a schema name of its own for a test, not created,
// in mixed case and with a space so that it must be quoted; the schema is
// dropped, if made, when the test ends.
func schemaName(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "Donorsync Test " + hex.EncodeToString(b[:])
	db := admin(t)
	t.Cleanup(func() { db.Exec("DROP SCHEMA IF EXISTS " + pgx.Identifier{name}.Sanitize() + " CASCADE") })
	return name
}

// admin returns a database/sql handle on the server, closed when the test
// ends.
func admin(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// withSearchPath returns the server's URL, its connections' search_path
// set to schema.
func withSearchPath(t *testing.T, schema string) string {
	t.Helper()
	u, err := url.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("search_path")
	// pgx reads "+" as itself, not as a space.
	u.RawQuery = q.Encode() + "&search_path=" + url.PathEscape(pgx.Identifier{schema}.Sanitize())
	return u.String()
}

// relations returns the tables and indexes of schema.
func relations(t *testing.T, db *sql.DB, schema string) []string {
	return sqltest.Rows(t, db, `SELECT c.relkind::text || ' ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'i') ORDER BY 1`, schema)
}

// TestConformanceWithSchema runs the conformance suite on a store opened
// with a schema of its own, which Open creates, in a database that holds
// a store without one, in the connections' search_path: the other store
// keeps its data, and only its data, and each of its tables and indexes
// has a twin in the new schema.
func TestConformanceWithSchema(t *testing.T) {
	storetest.RunContract(t, func(t *testing.T) donorsync.Store {
		plain, pool := freshSchema(t)
		sqltest.Seed(t, newStore(t, pool()))
		schema := schemaName(t)
		s, err := postgres.Open(t.Context(), withSearchPath(t, plain), &postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			db := admin(t)
			sqltest.CheckSeed(t, db, func(name string) string { return plain + "." + name })
			want := relations(t, db, plain)
			if diff := cmp.Diff(want, relations(t, db, schema)); diff != "" || len(want) == 0 {
				t.Errorf("tables and indexes (-without a schema +with):\n%s", diff)
			}
		})
		return s
	})
}

// applyFiles runs the files of files in name order, each in a
// transaction of its own, on db, as goose and golang-migrate do.
func applyFiles(t *testing.T, db *sql.DB, files fs.FS) {
	t.Helper()
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		t.Fatal(err)
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
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			t.Fatalf("%s: %v", e.Name(), err)
		}
	}
}

// migrateExported makes schema and runs the exported migrations in it,
// through a connection string that sets the search_path, as a migration
// tool would.
func migrateExported(t *testing.T, schema string) {
	t.Helper()
	if _, err := admin(t).Exec(`CREATE SCHEMA ` + pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", withSearchPath(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	applyFiles(t, db, postgres.Migrations())
}

// TestConformanceOnExportedMigrations runs the conformance suite on a
// store opened with NoMigrate, in a schema made by the exported
// migrations, run as a migration tool runs them, in a database whose
// search_path holds the application's own contacts table: that table is
// left as it was.
func TestConformanceOnExportedMigrations(t *testing.T) {
	storetest.RunContract(t, func(t *testing.T) donorsync.Store {
		crm, _ := freshSchema(t)
		db := admin(t)
		for _, q := range []string{`CREATE TABLE ` + crm + `.contacts (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT)`,
			`INSERT INTO ` + crm + `.contacts VALUES (1, 'Peter', 'peter@initech.example'), (2, 'Joanna', NULL)`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		before := sqltest.Rows(t, db, `SELECT * FROM `+crm+`.contacts ORDER BY id`)
		schema := schemaName(t)
		migrateExported(t, schema)
		s, err := postgres.Open(t.Context(), withSearchPath(t, crm), &postgres.Options{Schema: schema, NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			if diff := cmp.Diff(before, sqltest.Rows(t, db, `SELECT * FROM `+crm+`.contacts ORDER BY id`)); diff != "" {
				t.Errorf("the application's contacts (-before +after):\n%s", diff)
			}
			if got := relations(t, db, crm); !slices.Equal(got, []string{"i contacts_pkey", "r contacts"}) {
				t.Errorf("the application's schema holds %q, want its own table only", got)
			}
		})
		return s
	})
}

// TestSchemaVersion: a store opened with NoMigrate checks that the
// database has its migrations applied, all and no others; one that
// migrates refuses a database migrated by a newer version; a pool that
// does not use the schema asked for is refused.
func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	open := func(t *testing.T, opts *postgres.Options) error {
		s, err := postgres.Open(t.Context(), serverURL(t), opts)
		if err == nil {
			s.Close()
		}
		return err
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		err := open(t, &postgres.Options{Schema: schemaName(t), NoMigrate: true})
		if !errors.Is(err, postgres.ErrSchemaVersion) || !strings.Contains(err.Error(), "not applied: 001_init,") {
			t.Errorf("Open of a schema never made = %v, want ErrSchemaVersion naming every migration", err)
		}
	})
	t.Run("by Migrate", func(t *testing.T) {
		t.Parallel()
		schema := schemaName(t)
		if err := postgres.Migrate(t.Context(), admin(t), &postgres.Options{Schema: schema}); err != nil {
			t.Fatal(err)
		}
		if err := open(t, &postgres.Options{Schema: schema, NoMigrate: true}); err != nil {
			t.Errorf("Open after Migrate: %v", err)
		}
	})
	t.Run("newer", func(t *testing.T) {
		t.Parallel()
		schema := schemaName(t)
		migrateExported(t, schema)
		if _, err := admin(t).Exec(`INSERT INTO ` + pgx.Identifier{schema, "donorsync_migrations"}.Sanitize() + ` VALUES ('999_future')`); err != nil {
			t.Fatal(err)
		}
		for _, noMigrate := range []bool{false, true} {
			err := open(t, &postgres.Options{Schema: schema, NoMigrate: noMigrate})
			if !errors.Is(err, postgres.ErrSchemaVersion) || !strings.Contains(err.Error(), "999_future") {
				t.Errorf("Open (NoMigrate %v) of a schema migrated by a newer version = %v, want ErrSchemaVersion naming it", noMigrate, err)
			}
		}
	})
	t.Run("pool elsewhere", func(t *testing.T) {
		t.Parallel()
		_, pool := freshSchema(t)
		_, err := postgres.New(t.Context(), pool(), &postgres.Options{Schema: schemaName(t)})
		if err == nil || !strings.Contains(err.Error(), "search_path") {
			t.Errorf("New with a pool in another schema = %v, want an error about its search_path", err)
		}
	})
}
