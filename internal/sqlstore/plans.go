package sqlstore

import (
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
)

// JournalQueries returns the queries the journal runs, by what they do,
// with arguments, for the stores' tests of how their database runs them:
// the listings of each filter and order, claims, and the lookups by id
// and of the deliveries that hold keys (StatsQueries has JournalStats's).
func JournalQueries() map[string][]any {
	now := time.Date(2024, 6, 7, 0, 0, 0, 0, time.UTC)
	out := map[string][]any{}
	add := func(name, q string, args ...any) { out[name+": "+q] = args }
	filters := map[string]donorsync.DeliveryFilter{"all": {}, "after": {Page: donorsync.Page{After: "dl_1"}},
		"newest": {NewestFirst: true, Page: donorsync.Page{After: "dl_9"}},
		"since":  {Since: now}, "provider": {Provider: "actblue"}, "kind": {Kind: "refund"}, "kind-prefix": {Kind: "osdi:*"}}
	for _, s := range []donorsync.DeliveryStatus{"", donorsync.Pending, donorsync.Processed, donorsync.Failed, donorsync.Quarantined,
		donorsync.Dead, donorsync.Duplicate, "unknown"} {
		for name, f := range filters {
			f.Status = s
			q, args := deliveriesQuery("t1", f)
			add("list "+name+" "+string(s), q, args...)
		}
	}
	for _, tenant := range []string{"", "t1"} {
		q, args := dueQuery(donorsync.Claim{Tenant: tenant, Now: now, Limit: 10}, batch.ClaimBy{})
		add("claim of "+tenant, q, args...)
	}
	add("claim by id", dueByIDQuery(false, 2), instant(now), instant(now), "t1", "dl_1", "dl_2")
	add("deliveries holding keys", findDeliveries.text(2), "t1", "actblue", "k1", "t1", "actblue", "k2")
	add("delivery", deliveryByID, "t1", "dl_1")
	return out
}
