package upgradetest

import (
	"testing"

	"github.com/donorsync/donorsync"
)

// Check checks a store s upgraded from a database that held want (as
// the earlier release read it, Renamed): that every record and change of
// Tenants reads back as it did, and that the same deliveries, applied
// again through the engine for tenants of their own, make as many
// records of each kind. root is the repository's root directory, where
// the fixtures are.
func Check(t testing.TB, s donorsync.Store, root string, want Records) {
	t.Helper()
	ctx := t.Context()
	got, err := Read(ctx, s, Tenants[:]...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := Diff(want, got); diff != "" {
		t.Errorf("records after the upgrade (-before +after):\n%s", diff)
	}
	fresh := [2]string{"acme-after", "beta-after"}
	if err := Fill(ctx, s, root, fresh); err != nil {
		t.Fatal(err)
	}
	after, err := Read(ctx, s, fresh[:]...)
	if err != nil {
		t.Fatal(err)
	}
	for i, tenant := range fresh {
		if w, g := want.Counts(Tenants[i]), after.Counts(tenant); w != g || g[0] == 0 {
			t.Errorf("%s, written after the upgrade: %v records of each kind; want %v, as before", tenant, g, w)
		}
	}
}
