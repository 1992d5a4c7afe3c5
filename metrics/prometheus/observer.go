package prommetrics

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/donorsync/donorsync/internal/metrics"
	"github.com/donorsync/donorsync/observe"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultDurationBuckets returns the bounds, in seconds, of the duration
// histograms of an Observer whose Options.DurationBuckets is nil: 0.5, 1,
// 2.5, 5, 10, 25, 50, 100, 250 and 500 ms, 1, 2.5, 5 and 10 s.
func DefaultDurationBuckets() []float64 { return slices.Clone(metrics.DurationBuckets) }

// Options configure an Observer. The zero value is a good start: no
// tenant label on the request and apply metrics, no store gauges.
type Options struct {
	// Tenants adds a tenant label to the request and apply counters (not
	// to the histograms). The tenants a Handler vouches for are those
	// with credentials, a bounded set, but it may be large: MaxTenants
	// caps the distinct values. Requests refused before their tenant was
	// vouched for have tenant "".
	Tenants bool

	// MaxTenants is how many tenants keep their name in the tenant label
	// when Tenants is set: the first ones seen; those after them are
	// labelled "_other". Zero means 100.
	MaxTenants int

	// DurationBuckets are the upper bounds, in seconds, of the duration
	// histograms. Nil means DefaultDurationBuckets().
	DurationBuckets []float64

	// Stats, when not nil, is read at each scrape for the journal's
	// gauges: usually the Ingester. A read serves the scrapes of the
	// next StatsTTL (a failed one too), one read runs at a time, and a
	// scrape waits StatsTimeout at most for it.
	Stats StatsReader

	// StatsTTL is how long a read of Stats serves. Zero means a minute.
	StatsTTL time.Duration

	// StatsTimeout is how long a scrape waits for a read of Stats. Zero
	// means 5s.
	StatsTimeout time.Duration

	// Window is how far back donorsync_journal_recent_deliveries counts.
	// Zero means an hour.
	Window time.Duration

	// Now is the clock the journal's ages are counted at. Nil means
	// time.Now.
	Now func() time.Time
}

// An Observer is an observe.Observer that counts requests and applies in
// Prometheus metrics, and a prometheus.Collector of them and of the
// journal's gauges. Register it once (reg.MustRegister(o)) and set it as
// Ingester.Observer. It is safe for concurrent use.
type Observer struct {
	tenants *metrics.Tenants // nil: no tenant label

	requests       *prometheus.CounterVec
	requestSeconds *prometheus.HistogramVec
	requestBytes   *prometheus.HistogramVec
	journalSeconds *prometheus.HistogramVec
	applied        *prometheus.CounterVec
	retries        *prometheus.CounterVec
	dead           *prometheus.CounterVec
	applySeconds   *prometheus.HistogramVec

	journal *journalCollector // nil without Options.Stats

	// The series of each combination of labels seen, so that an event
	// costs one lookup.
	requestSeries sync.Map // requestKey -> *requestSeries
	applySeries   sync.Map // applyKey -> *applySeries
}

// New returns an Observer configured by opts.
func New(opts Options) *Observer {
	var tenant []string
	o := &Observer{}
	if opts.Tenants {
		tenant = []string{"tenant"}
		o.tenants = metrics.NewTenants(opts.MaxTenants)
	}
	durations := metrics.Buckets(opts.DurationBuckets, metrics.DurationBuckets)
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, b []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: b}, labels)
	}
	o.requests = counter("webhook_requests_total", "Webhook requests answered, by provider, outcome (the delivery's status, or why it was refused), cause of a 401 and HTTP status code.",
		slices.Concat([]string{"provider"}, tenant, []string{"outcome", "auth_failure", "code"})...)
	o.requestSeconds = histogram("webhook_request_duration_seconds", "Time from the start of a webhook request to its answer.", durations, "provider", "code")
	o.requestBytes = histogram("webhook_request_size_bytes", "Size of the webhook request bodies read.", slices.Clone(metrics.SizeBuckets), "provider")
	o.journalSeconds = histogram("webhook_journal_duration_seconds", "Time the Ingester took to journal a delivery (and apply it, inline) after its upload.", durations, "provider")
	o.applied = counter("deliveries_applied_total", "Deliveries applied, or tried, by provider, committed status (processed, quarantined, failed, dead) and mode (inline, or queued: by a Worker or a replay).",
		slices.Concat([]string{"provider"}, tenant, []string{"status", "mode"})...)
	o.retries = counter("delivery_retries_total", "Deliveries applied, or tried, that had been tried before, by committed status.",
		slices.Concat([]string{"provider"}, tenant, []string{"status"})...)
	o.dead = counter("deliveries_dead_total", "Deliveries moved to dead: no more attempts.", slices.Concat([]string{"provider"}, tenant)...)
	o.applySeconds = histogram("apply_duration_seconds", "Time of the transaction that applied a delivery, counted once for each delivery it applied.", durations, "provider", "mode")
	if opts.Stats != nil {
		o.journal = newJournalCollector(opts)
	}
	return o
}

const namespace = "donorsync"

// requestKey is a combination of the labels of a request's series.
type requestKey struct {
	provider, tenant string
	outcome          observe.Outcome
	authFailure      observe.AuthFailure
	code             int
}

// requestSeries are the series a request is counted in.
type requestSeries struct {
	count                   prometheus.Counter
	duration, size, journal prometheus.Observer
}

// Request counts a request a Handler answered.
func (o *Observer) Request(_ context.Context, r observe.Request) {
	k := requestKey{r.Provider, o.tenant(r.Tenant), r.Outcome, r.AuthFailure, r.Status}
	s, ok := o.requestSeries.Load(k)
	if !ok {
		s, _ = o.requestSeries.LoadOrStore(k, o.newRequestSeries(k))
	}
	rs := s.(*requestSeries)
	rs.count.Inc()
	rs.duration.Observe(r.Duration.Seconds())
	if r.Bytes > 0 {
		rs.size.Observe(float64(r.Bytes))
	}
	if r.Journal > 0 {
		rs.journal.Observe(r.Journal.Seconds())
	}
}

func (o *Observer) newRequestSeries(k requestKey) *requestSeries {
	code := strconv.Itoa(k.code)
	return &requestSeries{
		count:    o.requests.WithLabelValues(o.labels([]string{k.provider}, k.tenant, string(k.outcome), string(k.authFailure), code)...),
		duration: o.requestSeconds.WithLabelValues(metrics.Label(k.provider), code),
		size:     o.requestBytes.WithLabelValues(metrics.Label(k.provider)),
		journal:  o.journalSeconds.WithLabelValues(metrics.Label(k.provider)),
	}
}

// applyKey is a combination of the labels of an apply's series.
type applyKey struct {
	provider, tenant string
	status           observe.Outcome
	queued           bool
}

// applySeries are the series an apply is counted in.
type applySeries struct {
	applied, retries, dead prometheus.Counter
	duration               prometheus.Observer
}

// Applied counts a delivery applied, or tried.
func (o *Observer) Applied(_ context.Context, a observe.Apply) {
	k := applyKey{a.Provider, o.tenant(a.Tenant), a.Outcome, a.Queued}
	s, ok := o.applySeries.Load(k)
	if !ok {
		s, _ = o.applySeries.LoadOrStore(k, o.newApplySeries(k))
	}
	as := s.(*applySeries)
	as.applied.Inc()
	as.duration.Observe(a.Duration.Seconds())
	if a.Attempts > 1 {
		as.retries.Inc()
	}
	if a.Outcome == observe.Dead {
		as.dead.Inc()
	}
}

// newApplySeries makes the series of k. The dead letters' series of its
// provider (and tenant) is made too, at 0, so that the first dead letter
// is an increase.
func (o *Observer) newApplySeries(k applyKey) *applySeries {
	mode := "inline"
	if k.queued {
		mode = "queued"
	}
	return &applySeries{
		applied:  o.applied.WithLabelValues(o.labels([]string{k.provider}, k.tenant, string(k.status), mode)...),
		retries:  o.retries.WithLabelValues(o.labels([]string{k.provider}, k.tenant, string(k.status))...),
		dead:     o.dead.WithLabelValues(o.labels([]string{k.provider}, k.tenant)...),
		duration: o.applySeconds.WithLabelValues(metrics.Label(k.provider), mode),
	}
}

// tenant returns the tenant label value of tenant; "" without the label.
func (o *Observer) tenant(tenant string) string {
	if o.tenants == nil {
		return ""
	}
	return o.tenants.Label(tenant)
}

// labels returns the label values head, the tenant's when the tenant is
// a label, and rest, each valid UTF-8 (metrics.Label): the series of the
// events whose values differ only in invalid bytes are one.
func (o *Observer) labels(head []string, tenant string, rest ...string) []string {
	if o.tenants != nil {
		head = append(head, tenant)
	}
	values := append(head, rest...)
	for i, v := range values {
		values[i] = metrics.Label(v)
	}
	return values
}

// Describe sends the descriptors of the Observer's metrics.
func (o *Observer) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range o.collectors() {
		c.Describe(ch)
	}
}

// Collect sends the Observer's metrics, and the journal's gauges when
// Options.Stats is set.
func (o *Observer) Collect(ch chan<- prometheus.Metric) {
	for _, c := range o.collectors() {
		c.Collect(ch)
	}
}

func (o *Observer) collectors() []prometheus.Collector {
	cs := []prometheus.Collector{o.requests, o.requestSeconds, o.requestBytes, o.journalSeconds,
		o.applied, o.retries, o.dead, o.applySeconds}
	if o.journal != nil {
		cs = append(cs, o.journal)
	}
	return cs
}
