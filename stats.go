package donorsync

import (
	"context"
	"time"
)

// JournalStats counts what a store's journal holds: what an operator
// watches. See Tx.JournalStats.
type JournalStats struct {
	// Received counts the deliveries received at or after the time asked
	// for, by their status now.
	Received map[DeliveryStatus]int

	// Backlog counts the deliveries still to be applied, whenever they
	// were received: Pending and Failed (to be tried again).
	Backlog map[DeliveryStatus]int

	// OldestPending is when the oldest of them was received; zero when
	// there are none.
	OldestPending time.Time

	// Last holds, for each tenant and provider with deliveries, when the
	// last was received, by tenant then provider.
	Last []Freshness
}

// Freshness is when a tenant's last delivery from a provider was
// received.
type Freshness struct {
	Tenant     string
	Provider   string
	ReceivedAt time.Time
}

// JournalStats reads the counts of the journal of tenant (of every tenant
// when it is ""): the deliveries received since since, the backlog, and
// the last delivery of each provider. It reads the journal: the SQL
// stores read the deliveries received since since, the backlog and a few
// index entries per provider; other stores may read it all. Call it on
// demand (an operator's page, a metrics scrape), not per delivery.
func (g *Ingester) JournalStats(ctx context.Context, tenant string, since time.Time) (JournalStats, error) {
	var s JournalStats
	err := g.Store.View(ctx, func(tx Tx) error {
		var err error
		s, err = tx.JournalStats(ctx, tenant, since)
		return err
	})
	return s, err
}
