package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/store/postgres"
)

// TestJournalPlans checks how PostgreSQL runs the journal's queries on a
// journal of 20,000 deliveries, mostly processed, once analyzed: none
// but the listings filtered by what no index holds reads the whole
// deliveries table, and a listing of a status but processed reads the
// index of those.
func TestJournalPlans(t *testing.T) {
	_, newPool := freshSchema(t)
	pool := newPool()
	s := newStore(t, pool)
	ctx := context.Background()
	fillJournal(t, s, 20000)
	if _, err := pool.Exec(ctx, "ANALYZE deliveries"); err != nil {
		t.Fatal(err)
	}
	queries := postgres.JournalQueries()
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for q := range queries {
			if !yield(q) {
				return
			}
		}
	}) {
		i := strings.Index(name, ": ")
		rows, err := pool.Query(ctx, "EXPLAIN "+postgres.Rebind(name[i+2:]), queries[name]...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n\t")
		t.Logf("%s\n\t%s", name[:i], text)
		f := strings.Fields(name[:i])
		// No index holds the provider, the kind or the receipt time
		// alone: a listing filtered by them may read all of a tenant's
		// deliveries, the whole table here.
		if strings.Contains(text, "Seq Scan on deliveries") && (f[0] != "list" || !slices.Contains([]string{"provider", "kind", "kind-prefix", "since"}, f[1])) {
			t.Errorf("%s: reads the whole journal:\n\t%s", name[:i], text)
		}
		// A listing of a status but processed reads the index of the
		// others (or, of those due, the queue's).
		if f[0] == "list" && len(f) == 3 && f[2] != "processed" && !strings.Contains(text, "deliveries_status") && !strings.Contains(text, "queue") {
			t.Errorf("%s: does not read deliveries_status:\n\t%s", name[:i], text)
		}
	}
}

// fillJournal journals n deliveries in s for the tenant t1: of 100, 90
// processed, 5 pending, 3 duplicates, one failed and one quarantined.
func fillJournal(t *testing.T, s donorsync.Store, n int) {
	t.Helper()
	statuses := map[int]donorsync.DeliveryStatus{0: donorsync.Pending, 1: donorsync.Pending, 2: donorsync.Pending, 3: donorsync.Pending,
		4: donorsync.Pending, 5: donorsync.Duplicate, 6: donorsync.Duplicate, 7: donorsync.Duplicate, 8: donorsync.Failed, 9: donorsync.Quarantined}
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	for first := 0; first < n; first += 500 {
		ds := make([]*donorsync.Delivery, min(500, n-first))
		for j := range ds {
			i := first + j
			status, ok := statuses[i%100]
			if !ok {
				status = donorsync.Processed
			}
			ds[j] = &donorsync.Delivery{ID: fmt.Sprintf("dl_%07d", i), Tenant: "t1", Provider: []string{"actblue", "anedot"}[i%2],
				Kind: "contribution", Key: fmt.Sprint("k", i), Body: []byte(`{}`), Status: status, ReceivedAt: at.Add(time.Duration(i) * time.Second)}
		}
		err := s.Update(context.Background(), func(tx donorsync.Tx) error {
			return tx.(batch.Recorder[*donorsync.Delivery]).RecordDeliveries(context.Background(), ds)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
