// Package sqltest is what the tests of the SQL stores share: rows read
// as text, and the store without a prefix or schema that a store with
// one is tested beside, seeded and then checked untouched.
package sqltest

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
)

// Rows returns what query returns on db, each row as its columns joined
// by "|", NULL as "".
func Rows(t testing.TB, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rs, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = v.String
		}
		out = append(out, strings.Join(s, "|"))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Seed writes a delivery and a contact of tenant "plain" to s: the
// neighbour's own data, which CheckSeed finds alone in its tables.
func Seed(t testing.TB, s donorsync.Store) {
	t.Helper()
	ctx := t.Context()
	err := s.Update(ctx, func(tx donorsync.Tx) error {
		d := &donorsync.Delivery{ID: "dl_plain", Tenant: "plain", Provider: "p", Key: "k", Body: []byte("{}"), Status: donorsync.Pending}
		if _, err := tx.RecordDelivery(ctx, d); err != nil {
			return err
		}
		c := contact.Contact{ID: "ct_plain", Tenant: "plain", Email: "plain@example.org"}
		return tx.PutContact(ctx, c, []dedup.Key{{Kind: dedup.Email, Value: c.Email}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// CheckSeed checks that the deliveries and contacts tables of the store
// Seed wrote to hold its data, and only its data, after another store
// ran beside it. table names a table of that store as db's SQL reaches
// it (qualified by its schema, say).
func CheckSeed(t testing.TB, db *sql.DB, table func(name string) string) {
	t.Helper()
	if got := Rows(t, db, `SELECT tenant, id FROM `+table("deliveries")); !slices.Equal(got, []string{"plain|dl_plain"}) {
		t.Errorf("deliveries of the store beside: %q, want its own only", got)
	}
	if got := Rows(t, db, `SELECT tenant, id FROM `+table("contacts")); !slices.Equal(got, []string{"plain|ct_plain"}) {
		t.Errorf("contacts of the store beside: %q, want its own only", got)
	}
}
