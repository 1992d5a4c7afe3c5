package otelmetrics_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/metrics/metricstest"
	otelmetrics "github.com/donorsync/donorsync/metrics/otel"
	"github.com/donorsync/donorsync/observe"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// scripted runs metricstest.Script into an Observer of opts (with the
// script's Ingester as Stats and its clock) on a MeterProvider read by a
// ManualReader, and returns the reader and the clock.
func scripted(t *testing.T, opts otelmetrics.Options) (*sdkmetric.ManualReader, *metricstest.Clock) {
	t.Helper()
	clock := metricstest.NewClock(metricstest.Start)
	g := metricstest.NewIngester(clock)
	opts.Stats, opts.Now = g, clock.Now
	reader := sdkmetric.NewManualReader()
	obs, err := otelmetrics.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { obs.Close() })
	g.Observer = obs
	metricstest.Script(t, g, clock)
	return reader, clock
}

// collect returns what reader collects, flattened: the value of each
// data point by instrument and attributes (a histogram's count, and its
// sum under "name:sum" for sizes), and each instrument's kind and unit.
func collect(t *testing.T, reader *sdkmetric.ManualReader) (points map[string]float64, kinds map[string]string) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	points, kinds = map[string]float64{}, map[string]string{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelmetrics.ScopeName {
			t.Errorf("scope %q; want %q", sm.Scope.Name, otelmetrics.ScopeName)
		}
		for _, m := range sm.Metrics {
			kinds[m.Name] = kind(m.Data) + " " + m.Unit
			flatten(points, m)
		}
	}
	return points, kinds
}

func kind(data metricdata.Aggregation) string {
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		if d.IsMonotonic {
			return "counter"
		}
		return "updowncounter"
	case metricdata.Gauge[float64]:
		return "gauge"
	case metricdata.Histogram[float64], metricdata.Histogram[int64]:
		return "histogram"
	}
	return fmt.Sprintf("%T", data)
}

func flatten(points map[string]float64, m metricdata.Metrics) {
	key := func(name string, attrs *attribute.Set) string {
		return name + "{" + attrs.Encoded(attribute.DefaultEncoder()) + "}"
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			points[key(m.Name, &p.Attributes)] = float64(p.Value)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			points[key(m.Name, &p.Attributes)] = p.Value
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			points[key(m.Name, &p.Attributes)] = float64(p.Count)
		}
	case metricdata.Histogram[int64]:
		for _, p := range d.DataPoints {
			points[key(m.Name, &p.Attributes)] = float64(p.Count)
			points[key(m.Name+":sum", &p.Attributes)] = float64(p.Sum)
		}
	}
}

// TestScripted checks every data point after the scripted mix, half an
// hour after its end: counts exactly, durations by their number, sizes
// and ages exactly.
func TestScripted(t *testing.T) {
	t.Parallel()
	reader, clock := scripted(t, otelmetrics.Options{})
	clock.Advance(30 * time.Minute)
	points, kinds := collect(t, reader)
	wantKinds := map[string]string{
		"donorsync.webhook.requests":           "counter {request}",
		"donorsync.webhook.request.duration":   "histogram s",
		"donorsync.webhook.request.body.size":  "histogram By",
		"donorsync.webhook.journal.duration":   "histogram s",
		"donorsync.delivery.applied":           "counter {delivery}",
		"donorsync.delivery.retries":           "counter {delivery}",
		"donorsync.delivery.dead":              "counter {delivery}",
		"donorsync.delivery.apply.duration":    "histogram s",
		"donorsync.journal.backlog":            "updowncounter {delivery}",
		"donorsync.journal.received":           "updowncounter {delivery}",
		"donorsync.journal.oldest_pending.age": "gauge s",
		"donorsync.journal.last_received.age":  "gauge s",
		"donorsync.journal.stats.errors":       "counter {error}",
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("instruments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(scriptedPoints, points); diff != "" {
		t.Errorf("data points (-want +got):\n%s", diff)
	}
}

const (
	actblue       = "donorsync.provider=actblue"
	anedot        = "donorsync.provider=anedot"
	actionnetwork = "donorsync.provider=actionnetwork"
	nosource      = "donorsync.provider=nosource"
)

// scriptedPoints are the data points of metricstest.Script, half an hour
// after its end.
var scriptedPoints = map[string]float64{
	"donorsync.webhook.requests{donorsync.outcome=processed," + actblue + ",http.response.status_code=200}":       2,
	"donorsync.webhook.requests{donorsync.outcome=duplicate," + actblue + ",http.response.status_code=200}":       1,
	"donorsync.webhook.requests{donorsync.outcome=quarantined," + actblue + ",http.response.status_code=200}":     1,
	"donorsync.webhook.requests{donorsync.outcome=failed," + actblue + ",http.response.status_code=200}":          1,
	"donorsync.webhook.requests{donorsync.outcome=pending," + actblue + ",http.response.status_code=200}":         2,
	"donorsync.webhook.requests{donorsync.outcome=unreadable," + actblue + ",http.response.status_code=400}":      1,
	"donorsync.webhook.requests{donorsync.outcome=method," + actblue + ",http.response.status_code=405}":          1,
	"donorsync.webhook.requests{donorsync.outcome=too_large," + actblue + ",http.response.status_code=413}":       1,
	"donorsync.webhook.requests{donorsync.outcome=busy," + actblue + ",http.response.status_code=503}":            1,
	"donorsync.webhook.requests{donorsync.outcome=processed," + anedot + ",http.response.status_code=200}":        1,
	"donorsync.webhook.requests{donorsync.outcome=processed," + actionnetwork + ",http.response.status_code=200}": 1,
	unauthorized("malformed", actblue):              1,
	unauthorized("malformed", anedot):               1,
	unauthorized("malformed", actionnetwork):        1,
	unauthorized("unknown_tenant", actblue):         1,
	unauthorized("unknown_tenant", anedot):          1,
	unauthorized("unknown_tenant", actionnetwork):   1,
	unauthorized("wrong_credential", actblue):       1,
	unauthorized("wrong_credential", anedot):        1,
	unauthorized("wrong_credential", actionnetwork): 1,
	unauthorized("unspecified", nosource):           1,

	"donorsync.webhook.request.duration{" + actblue + ",http.response.status_code=200}":       7,
	"donorsync.webhook.request.duration{" + actblue + ",http.response.status_code=400}":       1,
	"donorsync.webhook.request.duration{" + actblue + ",http.response.status_code=401}":       3,
	"donorsync.webhook.request.duration{" + actblue + ",http.response.status_code=405}":       1,
	"donorsync.webhook.request.duration{" + actblue + ",http.response.status_code=413}":       1,
	"donorsync.webhook.request.duration{" + actblue + ",http.response.status_code=503}":       1,
	"donorsync.webhook.request.duration{" + anedot + ",http.response.status_code=200}":        1,
	"donorsync.webhook.request.duration{" + anedot + ",http.response.status_code=401}":        3,
	"donorsync.webhook.request.duration{" + actionnetwork + ",http.response.status_code=200}": 1,
	"donorsync.webhook.request.duration{" + actionnetwork + ",http.response.status_code=401}": 3,
	"donorsync.webhook.request.duration{" + nosource + ",http.response.status_code=401}":      1,
	"donorsync.webhook.journal.duration{" + actblue + "}":                                     7,
	"donorsync.webhook.journal.duration{" + anedot + "}":                                      1,
	"donorsync.webhook.journal.duration{" + actionnetwork + "}":                               1,
	"donorsync.webhook.request.body.size{" + actblue + "}":                                    7,
	"donorsync.webhook.request.body.size:sum{" + actblue + "}":                                8089,
	"donorsync.webhook.request.body.size{" + anedot + "}":                                     1,
	"donorsync.webhook.request.body.size:sum{" + anedot + "}":                                 1670,
	"donorsync.webhook.request.body.size{" + actionnetwork + "}":                              1,
	"donorsync.webhook.request.body.size:sum{" + actionnetwork + "}":                          2137,

	"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=failed," + actblue + "}":          1,
	"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=processed," + actblue + "}":       2,
	"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=processed," + anedot + "}":        1,
	"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=processed," + actionnetwork + "}": 1,
	"donorsync.delivery.applied{donorsync.apply.mode=queued,donorsync.delivery.status=processed," + actblue + "}":       2,
	"donorsync.delivery.applied{donorsync.apply.mode=queued,donorsync.delivery.status=dead," + nosource + "}":           1,
	"donorsync.delivery.retries{donorsync.delivery.status=processed," + actblue + "}":                                   1,
	"donorsync.delivery.dead{" + actblue + "}":                                                                          0,
	"donorsync.delivery.dead{" + anedot + "}":                                                                           0,
	"donorsync.delivery.dead{" + actionnetwork + "}":                                                                    0,
	"donorsync.delivery.dead{" + nosource + "}":                                                                         1,
	"donorsync.delivery.apply.duration{donorsync.apply.mode=inline," + actblue + "}":                                    3,
	"donorsync.delivery.apply.duration{donorsync.apply.mode=inline," + anedot + "}":                                     1,
	"donorsync.delivery.apply.duration{donorsync.apply.mode=inline," + actionnetwork + "}":                              1,
	"donorsync.delivery.apply.duration{donorsync.apply.mode=queued," + actblue + "}":                                    2,
	"donorsync.delivery.apply.duration{donorsync.apply.mode=queued," + nosource + "}":                                   1,

	"donorsync.journal.backlog{donorsync.delivery.status=pending}":                   1,
	"donorsync.journal.backlog{donorsync.delivery.status=failed}":                    0,
	"donorsync.journal.oldest_pending.age{}":                                         1800,
	"donorsync.journal.last_received.age{" + actblue + ",donorsync.tenant=t1}":       5400,
	"donorsync.journal.last_received.age{" + actblue + ",donorsync.tenant=t2}":       1800,
	"donorsync.journal.last_received.age{" + anedot + ",donorsync.tenant=t1}":        5400,
	"donorsync.journal.last_received.age{" + actionnetwork + ",donorsync.tenant=t1}": 5400,
	"donorsync.journal.last_received.age{" + nosource + ",donorsync.tenant=t1}":      5400,
	"donorsync.journal.received{donorsync.delivery.status=pending}":                  1,
	"donorsync.journal.received{donorsync.delivery.status=processed}":                1,
	"donorsync.journal.received{donorsync.delivery.status=duplicate}":                0,
	"donorsync.journal.received{donorsync.delivery.status=quarantined}":              0,
	"donorsync.journal.received{donorsync.delivery.status=failed}":                   0,
	"donorsync.journal.received{donorsync.delivery.status=dead}":                     0,
	"donorsync.journal.stats.errors{}":                                               0,
}

func unauthorized(cause, provider string) string {
	return "donorsync.webhook.requests{donorsync.auth_failure=" + cause + ",donorsync.outcome=unauthorized," + provider + ",http.response.status_code=401}"
}

// TestTenantAttribute checks the tenant attribute of the counters, capped
// at MaxTenants: t1 is seen first, t2 is another.
func TestTenantAttribute(t *testing.T) {
	t.Parallel()
	reader, _ := scripted(t, otelmetrics.Options{Tenants: true, MaxTenants: 1})
	points, _ := collect(t, reader)
	got := map[string]float64{}
	for k, v := range points {
		if strings.HasPrefix(k, "donorsync.delivery.applied{") || strings.HasPrefix(k, "donorsync.delivery.dead{") ||
			strings.HasPrefix(k, "donorsync.webhook.requests{donorsync.outcome=pending") {
			got[k] = v
		}
	}
	want := map[string]float64{
		"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=failed," + actblue + ",donorsync.tenant=t1}":          1,
		"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=processed," + actblue + ",donorsync.tenant=t1}":       1,
		"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=processed," + actblue + ",donorsync.tenant=_other}":   1,
		"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=processed," + anedot + ",donorsync.tenant=t1}":        1,
		"donorsync.delivery.applied{donorsync.apply.mode=inline,donorsync.delivery.status=processed," + actionnetwork + ",donorsync.tenant=t1}": 1,
		"donorsync.delivery.applied{donorsync.apply.mode=queued,donorsync.delivery.status=processed," + actblue + ",donorsync.tenant=t1}":       2,
		"donorsync.delivery.applied{donorsync.apply.mode=queued,donorsync.delivery.status=dead," + nosource + ",donorsync.tenant=t1}":           1,
		"donorsync.delivery.dead{" + actblue + ",donorsync.tenant=t1}":                                                                          0,
		"donorsync.delivery.dead{" + actblue + ",donorsync.tenant=_other}":                                                                      0,
		"donorsync.delivery.dead{" + anedot + ",donorsync.tenant=t1}":                                                                           0,
		"donorsync.delivery.dead{" + actionnetwork + ",donorsync.tenant=t1}":                                                                    0,
		"donorsync.delivery.dead{" + nosource + ",donorsync.tenant=t1}":                                                                         1,
		"donorsync.webhook.requests{donorsync.outcome=pending," + actblue + ",donorsync.tenant=t1,http.response.status_code=200}":               1,
		"donorsync.webhook.requests{donorsync.outcome=pending," + actblue + ",donorsync.tenant=_other,http.response.status_code=200}":           1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("data points (-want +got):\n%s", diff)
	}
}

// failing is a StatsReader that fails.
type failing struct{ calls int }

func (f *failing) JournalStats(context.Context, string, time.Time) (donorsync.JournalStats, error) {
	f.calls++
	return donorsync.JournalStats{}, errors.New("the store is down")
}

// TestJournalFailure checks that a collection whose read of the journal
// fails has the errors' counter alone among the journal's instruments,
// and that a second collection within the TTL does not read again.
func TestJournalFailure(t *testing.T) {
	t.Parallel()
	stats := &failing{}
	reader := sdkmetric.NewManualReader()
	obs, err := otelmetrics.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), otelmetrics.Options{Stats: stats, StatsTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	for range 2 {
		points, _ := collect(t, reader)
		if diff := cmp.Diff(map[string]float64{"donorsync.journal.stats.errors{}": 1}, points); diff != "" {
			t.Errorf("data points (-want +got):\n%s", diff)
		}
	}
	if stats.calls != 1 {
		t.Errorf("%d reads for 2 collections within the TTL; want 1", stats.calls)
	}
	if err := obs.Close(); err != nil {
		t.Fatal(err)
	}
	if points, _ := collect(t, reader); len(points) != 0 {
		t.Errorf("collected after Close: %v; want nothing", points)
	}
}

// TestConcurrentEvents counts events sent from many goroutines, exactly.
func TestConcurrentEvents(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	obs, err := otelmetrics.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), otelmetrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				obs.Request(context.Background(), observe.Request{Provider: "anedot", Tenant: "t0",
					Status: 200, Outcome: observe.Outcome(donorsync.Processed), Bytes: 2000, Duration: time.Millisecond})
				obs.Applied(context.Background(), observe.Apply{Provider: "anedot", Tenant: "t0", Outcome: observe.Dead, Attempts: 8})
			}
		})
	}
	wg.Wait()
	points, _ := collect(t, reader)
	for k, want := range map[string]float64{
		"donorsync.webhook.requests{donorsync.outcome=processed," + anedot + ",http.response.status_code=200}": 8000,
		"donorsync.webhook.request.body.size:sum{" + anedot + "}":                                              16e6,
		"donorsync.delivery.dead{" + anedot + "}":                                                              8000,
		"donorsync.delivery.retries{donorsync.delivery.status=dead," + anedot + "}":                            8000,
	} {
		if points[k] != want {
			t.Errorf("%s = %v; want %v", k, points[k], want)
		}
	}
}
