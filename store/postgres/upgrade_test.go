package postgres_test

import (
	"context"
	"encoding/gob"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/internal/upgradetest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMigrationFromV007 builds a schema as the version whose last
// migration is 007 left it, with the rows that version wrote
// (testdata/v007, made by its main.go: records as JSON with Go names),
// and checks that once the store has migrated it, every record, and
// every change of the feed, reads back as that version read it, field
// for field (the fields a change lists named as the records' JSON now
// names them); that the records are in their typed columns; and that
// the same deliveries, applied again for other tenants, make as many
// records.
func TestMigrationFromV007(t *testing.T) {
	t.Parallel()
	_, newPool := freshSchema(t)
	pool := newPool()
	ctx := t.Context()
	migrateTo(t, pool, "007")
	rows, err := os.ReadFile("testdata/v007/rows.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(rows)); err != nil {
		t.Fatal(err)
	}
	want := readGob(t, "testdata/v007/records.gob").Renamed()

	s := newStore(t, pool)
	checkColumns(t, pool)
	upgradetest.Check(t, s, "../..", want)
}

// checkColumns checks that a donation's amount and time are in their
// columns, as docs/schema.md says, and that no JSON is left with a Go
// name for a key (the keys of custom fields and refcodes are the
// platforms' own).
func checkColumns(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := t.Context()
	var amount, day string
	err := pool.QueryRow(ctx, `SELECT amount::text, to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM donations
		WHERE tenant = 'acme' AND provider = 'actblue' AND external_id = '99999999'`).Scan(&amount, &day)
	if err != nil || amount != "50" || day != "2019-06-07 19:49:33.000000" {
		t.Errorf("donation 99999999: amount %q, paid_at %q (%v); want 50, 2019-06-07 19:49:33.000000", amount, day, err)
	}
	var goNames []string
	err = pool.QueryRow(ctx, `WITH RECURSIVE j(key, value) AS (
			SELECT NULL::text, data FROM (SELECT data FROM contacts UNION ALL SELECT data FROM donations
				UNION ALL SELECT data FROM commitments UNION ALL SELECT convert_from(data, 'UTF8')::jsonb FROM changes) AS s(data)
			UNION ALL
			SELECT e.key, e.value FROM j, LATERAL (
				SELECT key, value FROM jsonb_each(CASE WHEN jsonb_typeof(j.value) = 'object' THEN j.value END)
				UNION ALL SELECT NULL, value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j.value) = 'array' THEN j.value END)) AS e
			WHERE j.key IS NULL OR j.key NOT IN ('custom', 'refcodes'))
		SELECT coalesce(array_agg(DISTINCT key), '{}') FROM j WHERE key ~ '^[A-Z]'`).Scan(&goNames)
	if err != nil || len(goNames) > 0 {
		t.Errorf("keys with Go names left: %q (%v)", goNames, err)
	}

}

// migrateTo runs the migrations up to version, and lists them as run, as
// the store would have.
func migrateTo(t *testing.T, pool *pgxpool.Pool, version string) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE donorsync_migrations (version TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	for _, f := range files {
		v := strings.TrimSuffix(filepath.Base(f), ".sql")
		if number, _, _ := strings.Cut(v, "_"); number > version {
			break
		}
		ddl, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, string(ddl)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO donorsync_migrations (version) VALUES ($1)`, v); err != nil {
			t.Fatal(err)
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
