package sqlite_test

import (
	"bytes"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
)

// TestBodiesCompressed checks how bodies are stored: a platform's JSON in
// encoding 1, in well under half its size; a body that does not compress
// as received, in encoding 0.
func TestBodiesCompressed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "donorsync.db")
	fixture, err := os.ReadFile("../../actblue/testdata/contribution.json")
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 2000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	s := open(t, path, nil)
	for id, body := range map[string][]byte{"dl_fixture": fixture, "dl_random": random} {
		d := &donorsync.Delivery{ID: id, Tenant: "t", Provider: "actblue", Key: id, Body: body, Status: donorsync.Pending}
		if err := s.Update(t.Context(), func(tx donorsync.Tx) error { _, err := tx.RecordDelivery(t.Context(), d); return err }); err != nil {
			t.Fatal(err)
		}
	}
	db := openRaw(t, path)
	stored := func(id string) (n, encoding int) {
		t.Helper()
		if err := db.QueryRow(`SELECT length(body), body_encoding FROM deliveries WHERE id = ?`, id).Scan(&n, &encoding); err != nil {
			t.Fatal(err)
		}
		return n, encoding
	}
	if n, enc := stored("dl_fixture"); enc != 1 || n > len(fixture)*4/10 {
		t.Errorf("the fixture's %d bytes stored in %d, encoding %d; want encoding 1, at most 40%%", len(fixture), n, enc)
	}
	if n, enc := stored("dl_random"); enc != 0 || n != len(random) {
		t.Errorf("random %d bytes stored in %d, encoding %d; want them as received, encoding 0", len(random), n, enc)
	}
}

// TestMigrationKeepsBodies journals a delivery in a database made before
// bodies had an encoding, and checks that it reads back as received
// after Open has migrated the database, beside one journaled since.
func TestMigrationKeepsBodies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "donorsync.db")
	db := openRaw(t, path)
	migrateBefore(t, db, "020")
	old := []byte("{\"donor\":{\"email\":\"a@example.org\"}} \x00\xff kept as received")
	if _, err := db.Exec(`INSERT INTO deliveries (tenant, id, provider, kind, key, body, received_at, status, duplicate_of, attempts,
		error, updated_at, next_attempt_at, claimed_until, history) VALUES ('t', 'dl_old', 'actblue', '', 'k-old', ?, 1, 'pending', '', 0, '', 1, 0, 0, '')`, old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := open(t, path, nil)
	fresh := bytes.Repeat([]byte(`{"lineitemId":1,"amount":"25.00"}`), 20)
	d := &donorsync.Delivery{ID: "dl_new", Tenant: "t", Provider: "actblue", Key: "k-new", Body: fresh, Status: donorsync.Pending}
	if err := s.Update(t.Context(), func(tx donorsync.Tx) error { _, err := tx.RecordDelivery(t.Context(), d); return err }); err != nil {
		t.Fatal(err)
	}
	err := s.View(t.Context(), func(tx donorsync.Tx) error {
		for id, want := range map[string][]byte{"dl_old": old, "dl_new": fresh} {
			got, err := tx.Delivery(t.Context(), "t", id)
			if err != nil {
				return err
			}
			if !bytes.Equal(got.Body, want) {
				t.Errorf("%s: body %q, want %q", id, got.Body, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openRaw opens the database at path without a Store.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrateBefore brings db to the schema before migration version, as a
// store of the release before it made it.
func migrateBefore(t *testing.T, db *sql.DB, version string) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE donorsync_migrations (version TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	for _, f := range files {
		v := strings.TrimSuffix(filepath.Base(f), ".sql")
		if v >= version {
			break
		}
		ddl, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(ddl)); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if _, err := db.Exec(`INSERT INTO donorsync_migrations (version) VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
	}
}
