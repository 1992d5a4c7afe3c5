package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/sqltest"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/donorsync/donorsync/storetest"
	"github.com/google/go-cmp/cmp"
)

// rows returns what query returns from the database file at path, each
// row as its columns joined by "|".
func rows(t *testing.T, path, query string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return sqltest.Rows(t, db, query)
}

// schemaNames returns the names of the tables and indexes of the
// database file at path, but SQLite's own.
func schemaNames(t *testing.T, path string) []string {
	return rows(t, path, `SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

// TestConformanceWithTablePrefix runs the conformance suite on a store
// whose tables are named with a prefix, in a database file that holds a
// store without one: the other store keeps its data, and only its data,
// and each of its tables and indexes has a prefixed twin, nothing else.
func TestConformanceWithTablePrefix(t *testing.T) {
	const prefix = "crm_ds_"
	storetest.RunContract(t, func(t *testing.T) donorsync.Store {
		path := filepath.Join(t.TempDir(), "shared.db")
		sqltest.Seed(t, open(t, path, nil))
		t.Cleanup(func() { checkBeside(t, path, prefix) })
		return open(t, path, &sqlite.Options{TablePrefix: prefix})
	})
}

// checkBeside checks the database file at path, which holds a store
// without a prefix, seeded, and one with prefix.
func checkBeside(t *testing.T, path, prefix string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqltest.CheckSeed(t, db, func(name string) string { return name })
	var plain, prefixed []string
	for _, n := range schemaNames(t, path) {
		if p, ok := strings.CutPrefix(n, prefix); ok {
			prefixed = append(prefixed, p)
		} else {
			plain = append(plain, n)
		}
	}
	if diff := cmp.Diff(plain, prefixed); diff != "" || len(plain) == 0 {
		t.Errorf("tables and indexes without the prefix, and with it (-without +with):\n%s", diff)
	}
}

// TestTablePrefixNamesNoColumn: the names of the store's tables and
// indexes, which the prefix goes before wherever they stand in its SQL,
// are not the names of columns.
func TestTablePrefixNamesNoColumn(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "donorsync.db")
	open(t, path, nil)
	tables := rows(t, path, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	names := schemaNames(t, path)
	for _, table := range tables {
		for _, col := range rows(t, path, `SELECT name FROM pragma_table_info('`+table+`')`) {
			if slices.Contains(names, strings.ToLower(col)) {
				t.Errorf("column %s.%s is named as a table or index: a prefix would be put before it", table, col)
			}
		}
	}
}

func TestTablePrefixRefused(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"crm-", "1x", "sqlite_x", `x"`} {
		_, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), &sqlite.Options{TablePrefix: p})
		if err == nil {
			t.Errorf("TablePrefix %q accepted", p)
		}
		if _, err := sqlite.Migrations(p); err == nil {
			t.Errorf("Migrations(%q) accepted", p)
		}
	}
}
