package prommetrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	prommetrics "github.com/donorsync/donorsync/metrics/prometheus"
	"github.com/donorsync/donorsync/observe"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkObserve measures what observing one delivery costs, as a
// Handler and the Ingester report it inline: one Request and one Applied,
// from all the CPUs at once.
func BenchmarkObserve(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts prommetrics.Options
	}{{"default", prommetrics.Options{}}, {"tenants", prommetrics.Options{Tenants: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			obs := prommetrics.New(tc.opts)
			prometheus.NewRegistry().MustRegister(obs)
			ctx := context.Background()
			req := observe.Request{Provider: "actblue", Tenant: "default", Status: 200,
				Outcome: observe.Outcome(donorsync.Processed), Bytes: 2300, Duration: 3 * time.Millisecond, Journal: 2 * time.Millisecond}
			app := observe.Apply{Provider: "actblue", Tenant: "default", Outcome: observe.Processed, Attempts: 1,
				Batch: 32, Duration: 2 * time.Millisecond}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					obs.Request(ctx, req)
					obs.Applied(ctx, app)
				}
			})
		})
	}
}
