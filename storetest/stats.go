package storetest

import (
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/google/go-cmp/cmp"
)

// testJournalStats journals deliveries of every status from two
// providers, received at known times, and checks what JournalStats
// counts: for the tenant, for another, and for every tenant.
func testJournalStats(t *testing.T, s donorsync.Store) {
	a, b, none := newTenant("stats-a"), newTenant("stats-b"), newTenant("stats-none")
	journal := func(tenant, provider, key, at string, status donorsync.DeliveryStatus) {
		d := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: provider, Key: key, Body: []byte(key),
			ReceivedAt: ts(at), UpdatedAt: ts(at), Status: status}
		update(t, s, func(tx donorsync.Tx) error {
			_, err := tx.RecordDelivery(ctx(t), d)
			return err
		})
	}
	journal(a, "p", "1", "2024-05-01T09:00:00Z", donorsync.Processed)
	journal(a, "p", "1", "2024-05-01T09:30:00Z", donorsync.Processed) // its duplicate
	journal(a, "p", "2", "2024-05-01T10:00:00Z", donorsync.Failed)
	journal(a, "q", "3", "2024-05-01T08:00:00.5Z", donorsync.Pending)
	journal(a, "q", "4", "2024-05-01T11:00:00Z", donorsync.Quarantined)
	journal(a, "p", "5", "2024-05-01T12:00:00.25Z", donorsync.Dead)
	journal(b, "p", "1", "2024-05-02T00:00:00Z", donorsync.Pending)

	since := ts("2024-05-01T09:00:00Z")
	want := donorsync.JournalStats{
		Received: map[donorsync.DeliveryStatus]int{donorsync.Processed: 1, donorsync.Duplicate: 1, donorsync.Failed: 1,
			donorsync.Quarantined: 1, donorsync.Dead: 1},
		Backlog:       map[donorsync.DeliveryStatus]int{donorsync.Pending: 1, donorsync.Failed: 1},
		OldestPending: ts("2024-05-01T08:00:00.5Z"),
		Last: []donorsync.Freshness{
			{Tenant: a, Provider: "p", ReceivedAt: ts("2024-05-01T12:00:00.25Z")},
			{Tenant: a, Provider: "q", ReceivedAt: ts("2024-05-01T11:00:00Z")},
		},
	}
	stats := func(tenant string, since time.Time) donorsync.JournalStats {
		var st donorsync.JournalStats
		view(t, s, func(tx donorsync.Tx) error {
			var err error
			st, err = tx.JournalStats(ctx(t), tenant, since)
			return err
		})
		return st
	}
	if diff := cmp.Diff(want, stats(a, since), cmpOpts); diff != "" {
		t.Errorf("JournalStats of the tenant (-want +got):\n%s", diff)
	}
	if got := stats(none, time.Time{}); len(got.Received)+len(got.Backlog)+len(got.Last) != 0 || !got.OldestPending.IsZero() {
		t.Errorf("JournalStats of a tenant without deliveries = %+v, want nothing", got)
	}
	// Every tenant: the store may hold others' deliveries too.
	all := stats("", since)
	found := map[string]time.Time{}
	for _, f := range all.Last {
		found[f.Tenant+"/"+f.Provider] = f.ReceivedAt
	}
	if !found[a+"/p"].Equal(want.Last[0].ReceivedAt) || !found[b+"/p"].Equal(ts("2024-05-02T00:00:00Z")) {
		t.Errorf("JournalStats of every tenant: last deliveries %v, want those of %s and %s among them", all.Last, a, b)
	}
	if all.Backlog[donorsync.Pending] < 2 || all.Received[donorsync.Duplicate] < 1 ||
		all.OldestPending.IsZero() || all.OldestPending.After(want.OldestPending) {
		t.Errorf("JournalStats of every tenant = %+v, want at least the counts of both tenants", all)
	}
}
