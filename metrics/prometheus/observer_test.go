package prommetrics_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/metrics/metricstest"
	prommetrics "github.com/donorsync/donorsync/metrics/prometheus"
	"github.com/donorsync/donorsync/observe"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// scripted runs metricstest.Script into an Observer of opts (with the
// script's Ingester as Stats and its clock) registered in a new registry,
// and returns the registry and the clock.
func scripted(t *testing.T, opts prommetrics.Options) (*prometheus.Registry, *metricstest.Clock) {
	t.Helper()
	clock := metricstest.NewClock(metricstest.Start)
	g := metricstest.NewIngester(clock)
	opts.Stats, opts.Now = g, clock.Now
	obs := prommetrics.New(opts)
	g.Observer = obs
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(obs)
	metricstest.Script(t, g, clock)
	return reg, clock
}

// exact are the metrics whose exposition is exact: all but the
// durations.
var exact = []string{
	"donorsync_webhook_requests_total",
	"donorsync_webhook_request_size_bytes",
	"donorsync_deliveries_applied_total",
	"donorsync_delivery_retries_total",
	"donorsync_deliveries_dead_total",
	"donorsync_journal_backlog_deliveries",
	"donorsync_journal_oldest_pending_age_seconds",
	"donorsync_journal_last_received_age_seconds",
	"donorsync_journal_recent_deliveries",
	"donorsync_journal_stats_errors_total",
}

// TestExposition compares the exposition of the metrics after the
// scripted mix, half an hour after its end, with testdata/scripted.golden:
// every count, size, age and backlog exactly.
func TestExposition(t *testing.T) {
	t.Parallel()
	reg, clock := scripted(t, prommetrics.Options{})
	clock.Advance(30 * time.Minute)
	golden(t, reg, "testdata/scripted.golden", exact...)
}

// TestDurations checks the number of observations of each series of the
// duration histograms, whose values vary from run to run.
func TestDurations(t *testing.T) {
	t.Parallel()
	reg, _ := scripted(t, prommetrics.Options{})
	want := map[string]uint64{
		`donorsync_webhook_request_duration_seconds{code="200",provider="actblue"}`:       7,
		`donorsync_webhook_request_duration_seconds{code="400",provider="actblue"}`:       1,
		`donorsync_webhook_request_duration_seconds{code="401",provider="actblue"}`:       3,
		`donorsync_webhook_request_duration_seconds{code="405",provider="actblue"}`:       1,
		`donorsync_webhook_request_duration_seconds{code="413",provider="actblue"}`:       1,
		`donorsync_webhook_request_duration_seconds{code="503",provider="actblue"}`:       1,
		`donorsync_webhook_request_duration_seconds{code="200",provider="anedot"}`:        1,
		`donorsync_webhook_request_duration_seconds{code="401",provider="anedot"}`:        3,
		`donorsync_webhook_request_duration_seconds{code="200",provider="actionnetwork"}`: 1,
		`donorsync_webhook_request_duration_seconds{code="401",provider="actionnetwork"}`: 3,
		`donorsync_webhook_request_duration_seconds{code="401",provider="nosource"}`:      1,
		`donorsync_webhook_journal_duration_seconds{provider="actblue"}`:                  7,
		`donorsync_webhook_journal_duration_seconds{provider="anedot"}`:                   1,
		`donorsync_webhook_journal_duration_seconds{provider="actionnetwork"}`:            1,
		`donorsync_webhook_journal_duration_seconds{provider="nosource"}`:                 0, // made with its first request
		`donorsync_apply_duration_seconds{mode="inline",provider="actblue"}`:              3,
		`donorsync_apply_duration_seconds{mode="queued",provider="actblue"}`:              2,
		`donorsync_apply_duration_seconds{mode="inline",provider="anedot"}`:               1,
		`donorsync_apply_duration_seconds{mode="inline",provider="actionnetwork"}`:        1,
		`donorsync_apply_duration_seconds{mode="queued",provider="nosource"}`:             1,
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			if h == nil || !strings.HasSuffix(f.GetName(), "_seconds") {
				continue
			}
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			got[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = h.GetSampleCount()
			if h.GetSampleCount() > 0 && h.GetSampleSum() <= 0 {
				t.Errorf("%s{%s}: %d observations summing to %v; want durations", f.GetName(), labels, h.GetSampleCount(), h.GetSampleSum())
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
}

// TestTenantLabel checks the tenant label of the counters, capped at
// MaxTenants: t1 is seen first, t2 is another.
func TestTenantLabel(t *testing.T) {
	t.Parallel()
	reg, _ := scripted(t, prommetrics.Options{Tenants: true, MaxTenants: 1})
	golden(t, reg, "testdata/tenants.golden",
		"donorsync_webhook_requests_total", "donorsync_deliveries_applied_total", "donorsync_deliveries_dead_total")
}

// TestLint checks the names, types and help of the metrics with
// promlint.
func TestLint(t *testing.T) {
	t.Parallel()
	reg, _ := scripted(t, prommetrics.Options{Tenants: true})
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// failing is a StatsReader that fails.
type failing struct{ calls int }

func (f *failing) JournalStats(context.Context, string, time.Time) (donorsync.JournalStats, error) {
	f.calls++
	return donorsync.JournalStats{}, errors.New("the store is down")
}

// TestJournalFailure checks that a scrape whose read of the journal fails
// has no journal gauges and counts the failure, and that a second scrape
// within the TTL does not read again.
func TestJournalFailure(t *testing.T) {
	t.Parallel()
	stats := &failing{}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(prommetrics.New(prommetrics.Options{Stats: stats, StatsTTL: time.Hour}))
	for range 2 {
		n, err := testutil.GatherAndCount(reg)
		if err != nil || n != 1 {
			t.Errorf("GatherAndCount = %d, %v; want the errors' counter alone", n, err)
		}
	}
	want := "# HELP donorsync_journal_stats_errors_total Reads of the journal's statistics that failed; the journal's gauges are missing from the scrapes they fail.\n" +
		"# TYPE donorsync_journal_stats_errors_total counter\ndonorsync_journal_stats_errors_total 1\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "donorsync_journal_stats_errors_total"); err != nil {
		t.Error(err)
	}
	if stats.calls != 1 {
		t.Errorf("%d reads for 3 scrapes within the TTL; want 1", stats.calls)
	}
}

// TestConcurrentEvents counts events sent from many goroutines, exactly.
func TestConcurrentEvents(t *testing.T) {
	t.Parallel()
	obs := prommetrics.New(prommetrics.Options{Tenants: true})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(obs)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				obs.Request(context.Background(), observe.Request{Provider: "actblue", Tenant: fmt.Sprint("t", (g+i)%3),
					Status: 200, Outcome: observe.Outcome(donorsync.Processed), Bytes: 2000, Duration: time.Millisecond})
				obs.Applied(context.Background(), observe.Apply{Provider: "actblue", Tenant: "t0", Outcome: observe.Dead, Attempts: 8})
			}
		})
	}
	wg.Wait()
	want := `# HELP donorsync_deliveries_dead_total Deliveries moved to dead: no more attempts.
# TYPE donorsync_deliveries_dead_total counter
donorsync_deliveries_dead_total{provider="actblue",tenant="t0"} 8000
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "donorsync_deliveries_dead_total"); err != nil {
		t.Error(err)
	}
	var total float64
	for _, tenant := range []string{"t0", "t1", "t2"} {
		c, err := counter(reg, "donorsync_webhook_requests_total", "tenant", tenant)
		if err != nil {
			t.Fatal(err)
		}
		total += c
	}
	if total != 8000 {
		t.Errorf("%v requests counted; want 8000", total)
	}
}

// counter returns the value of the series of the counter name whose label
// is value.
func counter(reg prometheus.Gatherer, name, label, value string) (float64, error) {
	families, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == label && l.GetValue() == value }) {
				return m.GetCounter().GetValue(), nil
			}
		}
	}
	return 0, fmt.Errorf("no %s{%s=%q}", name, label, value)
}

// golden compares the text exposition of the metrics names of reg with
// the file path, or rewrites it with -update.
func golden(t *testing.T, reg prometheus.Gatherer, path string, names ...string) {
	t.Helper()
	got, err := testutil.GatherAndFormat(reg, expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("exposition (-%s +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// TestDurationBuckets checks that the duration histograms have the
// buckets of Options, sorted and without duplicates.
func TestDurationBuckets(t *testing.T) {
	t.Parallel()
	obs := prommetrics.New(prommetrics.Options{DurationBuckets: []float64{1, 0.1, 0.1}})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(obs)
	obs.Applied(context.Background(), observe.Apply{Provider: "anedot", Outcome: observe.Processed, Attempts: 1, Duration: 50 * time.Millisecond})
	want := `# HELP donorsync_apply_duration_seconds Time of the transaction that applied a delivery, counted once for each delivery it applied.
# TYPE donorsync_apply_duration_seconds histogram
donorsync_apply_duration_seconds_bucket{mode="inline",provider="anedot",le="0.1"} 1
donorsync_apply_duration_seconds_bucket{mode="inline",provider="anedot",le="1"} 1
donorsync_apply_duration_seconds_bucket{mode="inline",provider="anedot",le="+Inf"} 1
donorsync_apply_duration_seconds_sum{mode="inline",provider="anedot"} 0.05
donorsync_apply_duration_seconds_count{mode="inline",provider="anedot"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "donorsync_apply_duration_seconds"); err != nil {
		t.Error(err)
	}
	if got := prommetrics.DefaultDurationBuckets(); len(got) != 14 || got[0] != 0.0005 || got[13] != 10 {
		t.Errorf("DefaultDurationBuckets() = %v", got)
	}
}

// TestInvalidLabelValues checks that values of invalid UTF-8, which the
// client library refuses, are counted with the bytes replaced rather than
// panicking.
func TestInvalidLabelValues(t *testing.T) {
	t.Parallel()
	obs := prommetrics.New(prommetrics.Options{Tenants: true, Stats: stale{}})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(obs)
	obs.Request(context.Background(), observe.Request{Provider: "a\xff", Tenant: "t\xfe", Status: 200, Outcome: "x\xfd", Bytes: 1})
	obs.Applied(context.Background(), observe.Apply{Provider: "a\xff", Tenant: "t\xfe", Outcome: "s\xfc"})
	want := "# HELP donorsync_deliveries_dead_total Deliveries moved to dead: no more attempts.\n" +
		"# TYPE donorsync_deliveries_dead_total counter\n" +
		"donorsync_deliveries_dead_total{provider=\"a\uFFFD\",tenant=\"t\uFFFD\"} 0\n" +
		"# HELP donorsync_journal_last_received_age_seconds Time since the last delivery of a tenant from a provider was received.\n" +
		"# TYPE donorsync_journal_last_received_age_seconds gauge\n" +
		"donorsync_journal_last_received_age_seconds{provider=\"p\uFFFD\",tenant=\"t\uFFFD\"} 0\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "donorsync_deliveries_dead_total", "donorsync_journal_last_received_age_seconds"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "donorsync_webhook_requests_total"); n != 1 || err != nil {
		t.Errorf("%d requests series, %v; want 1", n, err)
	}
}

// stale is a StatsReader of a journal whose last delivery, of a tenant
// and provider of invalid UTF-8, is in the future.
type stale struct{}

func (stale) JournalStats(context.Context, string, time.Time) (donorsync.JournalStats, error) {
	return donorsync.JournalStats{Last: []donorsync.Freshness{{Tenant: "t\xfe", Provider: "p\xff", ReceivedAt: time.Now().Add(time.Hour)}}}, nil
}
