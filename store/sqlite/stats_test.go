package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/store/sqlite"
)

// Steps of a plan: one reading the deliveries table, and one reading
// the index of their receipt times (the queries name the table d there):
// a tenant's first provider, or a provider's deliveries.
var (
	tableStep    = regexp.MustCompile(`^(?:SCAN|SEARCH) (deliveries|d) `)
	providerStep = regexp.MustCompile(`^SEARCH d USING (?:COVERING INDEX deliveries_received \(tenant=\?|(?:COVERING )?INDEX deliveries_received \(tenant=\? AND provider)`)
)

// planned reports whether step of a plan reads no more of the journal
// than it needs: through the index of the receipt times, the backlog's
// indexes, or the first tenant after one.
func planned(step string) bool {
	m := tableStep.FindStringSubmatch(step)
	switch {
	case m == nil, providerStep.MatchString(step):
		return true
	case m[1] == "d":
		return false
	}
	return strings.Contains(step, "INDEX deliveries_queue") || strings.Contains(step, "INDEX deliveries_tenant_queue (tenant=?)") ||
		strings.Contains(step, "INDEX deliveries_status (tenant=? AND status=?)") ||
		strings.Contains(step, "COVERING INDEX sqlite_autoindex_deliveries_1")
}

// TestJournalStatsPlans checks how SQLite runs the queries of
// JournalStats: none reads a tenant's deliveries, or the whole table, to
// count some of them, so that their time grows with the deliveries
// counted and the providers, not with the journal.
func TestJournalStatsPlans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "donorsync.db")
	open(t, path, nil) // migrated
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range sqlite.StatsQueries() {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = "t1"
		}
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
			if !planned(detail) {
				t.Errorf("a step reads more of the journal than it counts: %s\nin the plan of %s", detail, q)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(plan) == 0 {
			t.Errorf("no plan for %s", q)
		}
	}
}
