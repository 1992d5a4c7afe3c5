package otelmetrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	otelmetrics "github.com/donorsync/donorsync/metrics/otel"
	"github.com/donorsync/donorsync/observe"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// BenchmarkObserve measures what observing one delivery costs, as a
// Handler and the Ingester report it inline: one Request and one Applied,
// from all the CPUs at once, into the SDK's MeterProvider.
func BenchmarkObserve(b *testing.B) {
	obs, err := otelmetrics.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())), otelmetrics.Options{})
	if err != nil {
		b.Fatal(err)
	}
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
}
