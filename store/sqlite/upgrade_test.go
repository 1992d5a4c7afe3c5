package sqlite_test

import (
	"database/sql"
	"encoding/gob"
	"os"
	"path/filepath"
	"testing"

	"github.com/donorsync/donorsync/internal/upgradetest"
)

// TestMigrationFromV007 opens a database that the version whose last
// migration is 007 wrote (testdata/v007, made by its main.go: records as
// JSON with Go names), and checks that every record, and every change of
// the feed, reads back as that version read it, field for field (the
// fields a change lists named as the records' JSON now names them); that
// the records are in their typed columns; and that the same deliveries,
// applied again for other tenants, make as many records.
func TestMigrationFromV007(t *testing.T) {
	path := filepath.Join(t.TempDir(), "donorsync.db")
	copyFile(t, "testdata/v007/v007.db", path)
	want := readGob(t, "testdata/v007/records.gob").Renamed()

	s := open(t, path, nil)
	checkColumns(t, path)
	upgradetest.Check(t, s, "../..", want)
}

// checkColumns checks, in the database at path, that a donation's
// amount and time are in their columns, as docs/schema.md says, and
// that no JSON is left with a Go name for a key (the keys of custom
// fields and refcodes are the platforms' own).
func checkColumns(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var amount, paid string
	var day string
	err = db.QueryRow(`SELECT amount, paid_at, date(paid_at) FROM donations WHERE tenant = 'acme' AND provider = 'actblue' AND external_id = '99999999'`).
		Scan(&amount, &paid, &day)
	if err != nil || amount != "50" || paid != "2019-06-07 19:49:33.000000" || day != "2019-06-07" {
		t.Errorf("donation 99999999: amount %q, paid_at %q, date %q (%v); want 50, 2019-06-07 19:49:33.000000, 2019-06-07", amount, paid, day, err)
	}

	for _, table := range []string{"contacts", "donations", "commitments", "changes"} {
		var keys []string
		rows, err := db.Query(`SELECT DISTINCT j.key FROM ` + table + `, json_tree(CAST(` + table + `.data AS TEXT)) AS j
			WHERE j.key GLOB '[A-Z]*' AND j.path NOT LIKE '%.custom%' AND j.path NOT LIKE '%.refcodes%'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			rows.Scan(&k)
			keys = append(keys, k)
		}
		if err := rows.Err(); err != nil || len(keys) > 0 {
			t.Errorf("%s: keys with Go names left: %q (%v)", table, keys, err)
		}
	}

}

func readGob(t *testing.T, path string) upgradetest.Records {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r upgradetest.Records
	if err := gob.NewDecoder(f).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}
