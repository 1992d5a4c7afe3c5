package donorsync

import (
	"context"
	"time"

	"github.com/donorsync/donorsync/observe"
)

// observeApplied reports the outcome of each delivery of ds, committed
// together after start.
func (g *Ingester) observeApplied(ctx context.Context, start time.Time, queued bool, ds ...*Delivery) {
	if g.Observer == nil {
		return
	}
	took := time.Since(start)
	for _, d := range ds {
		g.Observer.Applied(ctx, observe.Apply{
			Provider: d.Provider, Tenant: d.Tenant, Kind: d.Kind,
			Outcome: observe.Outcome(d.Status), Attempts: d.Attempts, Queued: queued,
			Batch: len(ds), Duration: took,
		})
	}
}
