package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/donorsync/donorsync"
)

// JournalStats implements donorsync.Tx.
func (t *tx) JournalStats(ctx context.Context, tenant string, since time.Time) (donorsync.JournalStats, error) {
	s := donorsync.JournalStats{Received: map[donorsync.DeliveryStatus]int{}, Backlog: map[donorsync.DeliveryStatus]int{}}
	if err := t.check(ctx, false); err != nil {
		return s, err
	}
	for name, tn := range t.s.tenants {
		if tenant != "" && name != tenant {
			continue
		}
		last := map[string]time.Time{}
		for _, d := range tn.deliveries {
			countDelivery(&s, d, since)
			if d.ReceivedAt.After(last[d.Provider]) {
				last[d.Provider] = d.ReceivedAt
			}
		}
		for provider, at := range last {
			s.Last = append(s.Last, donorsync.Freshness{Tenant: name, Provider: provider, ReceivedAt: at})
		}
	}
	slices.SortFunc(s.Last, func(a, b donorsync.Freshness) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Provider, b.Provider))
	})
	return s, nil
}

// countDelivery counts d in s.
func countDelivery(s *donorsync.JournalStats, d *donorsync.Delivery, since time.Time) {
	if !d.ReceivedAt.Before(since) {
		s.Received[d.Status]++
	}
	if d.Status != donorsync.Pending && d.Status != donorsync.Failed {
		return
	}
	s.Backlog[d.Status]++
	if s.OldestPending.IsZero() || d.ReceivedAt.Before(s.OldestPending) {
		s.OldestPending = d.ReceivedAt
	}
}
