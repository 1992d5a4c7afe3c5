package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/store/sqlite"
)

// TestJournalPlans checks how SQLite runs the journal's queries: none
// reads the whole deliveries table, or sorts what it reads, so that each
// reads the rows it returns, and those an index cannot tell apart from
// them (the provider and kind filters of a listing).
func TestJournalPlans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "donorsync.db")
	open(t, path, nil) // migrated
	db := openRaw(t, path)
	queries := sqlite.JournalQueries()
	names := slices.Sorted(func(yield func(string) bool) {
		for q := range queries {
			if !yield(q) {
				return
			}
		}
	})
	for _, name := range names {
		plan := explain(t, db, name[strings.Index(name, ": ")+2:], queries[name])
		t.Logf("%s\n\t%s", name[:strings.Index(name, ": ")], strings.Join(plan, "\n\t"))
		for _, step := range plan {
			if scans(step) {
				t.Errorf("%s: a step reads the whole journal or sorts it: %s", name, step)
			}
		}
		// A listing of a status but processed reads the index of the
		// others (one of processed walks the primary key).
		if f := strings.Fields(name[:strings.Index(name, ": ")]); f[0] == "list" && len(f) == 3 && f[2] != "processed" &&
			!strings.Contains(strings.Join(plan, "\n"), "INDEX deliveries_status (tenant=? AND status=?") {
			t.Errorf("%s: does not read deliveries_status: %s", name, plan)
		}
	}
}

// scans reports whether a step of a plan reads a whole table or index of
// the journal (but for the queue's, which holds the deliveries due
// only), or sorts its rows.
func scans(step string) bool {
	for _, table := range []string{"deliveries", "d"} {
		if step == "SCAN "+table || strings.HasPrefix(step, "SCAN "+table+" USING") && !strings.HasSuffix(step, " INDEX deliveries_queue") {
			return true
		}
	}
	return strings.Contains(step, "TEMP B-TREE FOR ORDER BY")
}

// explain returns the steps of the plan of q with args.
func explain(t *testing.T, db *sql.DB, q string, args []any) []string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(plan) == 0 {
		t.Fatalf("no plan for %s", q)
	}
	return plan
}
