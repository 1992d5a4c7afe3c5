package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
)

// filterKinds are the kinds of the deliveries testJournalFilters lists:
// none, plain ones, two sharing a prefix, one whose prefix looks like
// theirs, one in capitals, and one holding what LIKE would read as
// wildcards.
var filterKinds = []string{"", "refund", "report:paid_contributions", "report:refunded_contributions",
	"reporting", "REPORT:X", "re_x"}

// journalForFilters journals 28 deliveries an hour apart, of three
// providers, seven kinds and four statuses in every combination, and
// returns them.
func journalForFilters(t *testing.T, s donorsync.Store, tenant string) []*donorsync.Delivery {
	providers := []string{"actblue", "anedot", "actionnetwork"}
	statuses := []donorsync.DeliveryStatus{donorsync.Processed, donorsync.Quarantined, donorsync.Failed, donorsync.Dead}
	var ds []*donorsync.Delivery
	for i := range 28 {
		ds = append(ds, &donorsync.Delivery{
			ID: donorsync.NewID("dl"), Tenant: tenant, Provider: providers[i%3], Kind: filterKinds[i%7],
			Key: fmt.Sprint("k", i), Body: []byte("{}"), ReceivedAt: ts("2024-03-01T00:00:00Z").Add(time.Duration(i) * time.Hour),
			Status: statuses[i%4],
		})
	}
	update(t, s, func(tx donorsync.Tx) error {
		for _, d := range ds {
			if _, err := tx.RecordDelivery(ctx(t), d); err != nil {
				return err
			}
		}
		return nil
	})
	return ds
}

// selects is what a DeliveryFilter means, written out for the test.
func selects(f donorsync.DeliveryFilter, d *donorsync.Delivery) bool {
	kind := true
	switch {
	case f.Kind == "-":
		kind = d.Kind == ""
	case strings.HasSuffix(f.Kind, "*"):
		kind = strings.HasPrefix(d.Kind, f.Kind[:len(f.Kind)-1])
	case f.Kind != "":
		kind = d.Kind == f.Kind
	}
	return kind && (f.Provider == "" || d.Provider == f.Provider) && (f.Status == "" || d.Status == f.Status) &&
		!d.ReceivedAt.Before(f.Since)
}

func testJournalFilters(t *testing.T, s donorsync.Store) {
	tenant := newTenant("filters")
	ds := journalForFilters(t, s, tenant)
	slices.SortFunc(ds, func(a, b *donorsync.Delivery) int { return strings.Compare(a.ID, b.ID) })
	at := func(h int) time.Time { return ts("2024-03-01T00:00:00Z").Add(time.Duration(h) * time.Hour) }
	filters := []struct {
		f    donorsync.DeliveryFilter
		want int // how many it selects
	}{
		{donorsync.DeliveryFilter{}, 28},
		{donorsync.DeliveryFilter{Provider: "anedot"}, 9},
		{donorsync.DeliveryFilter{Provider: "nobody"}, 0},
		{donorsync.DeliveryFilter{Kind: "refund"}, 4},
		{donorsync.DeliveryFilter{Kind: donorsync.NoKind}, 4},
		{donorsync.DeliveryFilter{Kind: "report:*"}, 8},
		{donorsync.DeliveryFilter{Kind: "re_*"}, 4},
		{donorsync.DeliveryFilter{Kind: "*"}, 28},
		{donorsync.DeliveryFilter{Kind: "report:paid_contributions"}, 4},
		{donorsync.DeliveryFilter{Provider: "actblue", Kind: "report:*"}, 3},
		{donorsync.DeliveryFilter{Provider: "actblue", Status: donorsync.Processed}, 3},
		{donorsync.DeliveryFilter{Kind: donorsync.NoKind, Status: donorsync.Dead}, 1},
		{donorsync.DeliveryFilter{Provider: "actionnetwork", Since: at(10)}, 6},
		{donorsync.DeliveryFilter{Kind: "report:*", Status: donorsync.Quarantined, Since: at(5)}, 2},
	}
	view(t, s, func(tx donorsync.Tx) error {
		for _, tc := range filters {
			var want []string
			for _, d := range ds {
				if selects(tc.f, d) {
					want = append(want, d.ID)
				}
			}
			if len(want) != tc.want {
				t.Fatalf("%+v: the test's own expectation has %d deliveries, want %d", tc.f, len(want), tc.want)
			}
			for _, newest := range []bool{false, true} {
				f := tc.f
				f.NewestFirst = newest
				w := slices.Clone(want)
				if newest {
					slices.Reverse(w)
				}
				checkFilterPages(t, tx, tenant, f, w, ds[13].ID)
			}
		}
		return nil
	})
}

// checkFilterPages checks that f lists want in one page, and in pages of
// 1 and 3 followed by their last id, and that the page after cursor (an
// id f may not select) holds what follows it in want.
func checkFilterPages(t *testing.T, tx donorsync.Tx, tenant string, f donorsync.DeliveryFilter, want []string, cursor string) {
	t.Helper()
	list := func(f donorsync.DeliveryFilter) []string {
		got, err := tx.Deliveries(ctx(t), tenant, f)
		if err != nil {
			t.Fatalf("Deliveries(%+v): %v", f, err)
		}
		ids := []string{}
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		return ids
	}
	f.Limit = 100
	if got := list(f); !slices.Equal(got, nonNil(want)) {
		t.Errorf("%+v: %v, want %v", f, got, want)
	}
	for _, size := range []int{1, 3} {
		f.Limit, f.After = size, ""
		var got []string
		for range len(want) + 1 {
			page := list(f)
			got = append(got, page...)
			if len(page) < size {
				break
			}
			f.After = page[len(page)-1]
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: pages of %d give %v, want %v", f, size, got, want)
		}
	}
	var after []string
	for _, id := range want {
		if f.NewestFirst && id < cursor || !f.NewestFirst && id > cursor {
			after = append(after, id)
		}
	}
	f.Limit, f.After = 100, cursor
	if got := list(f); !slices.Equal(got, nonNil(after)) {
		t.Errorf("%+v: %v, want %v", f, got, after)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
