package otelmetrics

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/metrics"
	"github.com/donorsync/donorsync/observe"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the name of the instrumentation scope of the Meter an
// Observer makes its instruments with: this package's import path.
const ScopeName = "github.com/donorsync/donorsync/metrics/otel"

// DefaultDurationBuckets returns the bounds, in seconds, of the duration
// histograms of an Observer whose Options.DurationBuckets is nil: 0.5, 1,
// 2.5, 5, 10, 25, 50, 100, 250 and 500 ms, 1, 2.5, 5 and 10 s.
func DefaultDurationBuckets() []float64 { return slices.Clone(metrics.DurationBuckets) }

// Options configure an Observer. The zero value is a good start: no
// tenant attribute on the request and apply measurements, no journal
// instruments.
type Options struct {
	// Tenants adds the attribute donorsync.tenant to the request and
	// apply counters (not to the histograms), capped at MaxTenants
	// distinct values: the first ones seen; those after them are
	// "_other". Requests refused before their tenant was vouched for have
	// none.
	Tenants bool

	// MaxTenants caps the tenants named when Tenants is set. Zero means
	// 100.
	MaxTenants int

	// DurationBuckets are the bucket boundaries, in seconds, of the
	// duration histograms. Nil means DefaultDurationBuckets().
	DurationBuckets []float64

	// Stats, when not nil, is read for the journal's instruments when
	// they are collected: usually the Ingester. A read serves the
	// collections of the next StatsTTL (a failed one too), one read runs
	// at a time, and a collection waits StatsTimeout at most for it.
	Stats StatsReader

	// StatsTTL is how long a read of Stats serves. Zero means a minute.
	StatsTTL time.Duration

	// StatsTimeout is how long a collection waits for a read of Stats.
	// Zero means 5s.
	StatsTimeout time.Duration

	// Window is how far back donorsync.journal.received counts. Zero
	// means an hour.
	Window time.Duration

	// Now is the clock the journal's ages are counted at. Nil means
	// time.Now.
	Now func() time.Time
}

// A StatsReader reads the statistics of a journal: a
// *donorsync.Ingester.
type StatsReader interface {
	JournalStats(ctx context.Context, tenant string, since time.Time) (donorsync.JournalStats, error)
}

// An Observer is an observe.Observer that records requests and applies
// with the instruments of a MeterProvider. Set it as Ingester.Observer.
// It is safe for concurrent use.
type Observer struct {
	tenants *metrics.Tenants // nil: no tenant attribute

	requests       metric.Int64Counter
	requestSeconds metric.Float64Histogram
	requestBytes   metric.Int64Histogram
	journalSeconds metric.Float64Histogram
	applied        metric.Int64Counter
	retries        metric.Int64Counter
	dead           metric.Int64Counter
	applySeconds   metric.Float64Histogram

	callback metric.Registration // nil without Options.Stats

	// The attributes of each combination seen, so that an event costs
	// one lookup and no allocation.
	requestAttrs sync.Map // requestKey -> *requestAttrs
	applyAttrs   sync.Map // applyKey -> *applyAttrs
}

// New returns an Observer whose instruments are made by a Meter of mp
// named ScopeName, configured by opts.
func New(mp metric.MeterProvider, opts Options) (*Observer, error) {
	m := mp.Meter(ScopeName)
	o := &Observer{}
	if opts.Tenants {
		o.tenants = metrics.NewTenants(opts.MaxTenants)
	}
	durations := metric.WithExplicitBucketBoundaries(metrics.Buckets(opts.DurationBuckets, metrics.DurationBuckets)...)
	var errs [8]error
	o.requests, errs[0] = m.Int64Counter("donorsync.webhook.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Webhook requests answered, by provider, outcome (the delivery's status, or why it was refused), cause of a 401 and HTTP status code."))
	o.requestSeconds, errs[1] = m.Float64Histogram("donorsync.webhook.request.duration", metric.WithUnit("s"), durations,
		metric.WithDescription("Time from the start of a webhook request to its answer."))
	o.requestBytes, errs[2] = m.Int64Histogram("donorsync.webhook.request.body.size", metric.WithUnit("By"),
		metric.WithExplicitBucketBoundaries(slices.Clone(metrics.SizeBuckets)...), metric.WithDescription("Size of the webhook request bodies read."))
	o.journalSeconds, errs[3] = m.Float64Histogram("donorsync.webhook.journal.duration", metric.WithUnit("s"), durations,
		metric.WithDescription("Time the Ingester took to journal a delivery (and apply it, inline) after its upload."))
	o.applied, errs[4] = m.Int64Counter("donorsync.delivery.applied", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries applied, or tried, by provider, committed status (processed, quarantined, failed, dead) and mode (inline, or queued: by a Worker or a replay)."))
	o.retries, errs[5] = m.Int64Counter("donorsync.delivery.retries", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries applied, or tried, that had been tried before, by committed status."))
	o.dead, errs[6] = m.Int64Counter("donorsync.delivery.dead", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries moved to dead: no more attempts."))
	o.applySeconds, errs[7] = m.Float64Histogram("donorsync.delivery.apply.duration", metric.WithUnit("s"), durations,
		metric.WithDescription("Time of the transaction that applied a delivery, recorded once for each delivery it applied."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	if opts.Stats != nil {
		var err error
		if o.callback, err = registerJournal(m, opts); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Close unregisters the callback of the journal's instruments, if any:
// they are no longer collected.
func (o *Observer) Close() error {
	if o.callback == nil {
		return nil
	}
	return o.callback.Unregister()
}

// The attribute keys.
const (
	keyProvider    = attribute.Key("donorsync.provider")
	keyTenant      = attribute.Key("donorsync.tenant")
	keyOutcome     = attribute.Key("donorsync.outcome")
	keyAuthFailure = attribute.Key("donorsync.auth_failure")
	keyStatusCode  = attribute.Key("http.response.status_code")
	keyStatus      = attribute.Key("donorsync.delivery.status")
	keyMode        = attribute.Key("donorsync.apply.mode")
)

// requestKey is a combination of the attributes of a request.
type requestKey struct {
	provider, tenant string
	outcome          observe.Outcome
	authFailure      observe.AuthFailure
	code             int
}

// requestAttrs are the attributes a request is recorded with, by
// instrument, as the option slices the instruments take (a slice made at
// each call would be allocated).
type requestAttrs struct {
	count              []metric.AddOption
	duration, provider []metric.RecordOption
}

// Request records a request a Handler answered.
func (o *Observer) Request(ctx context.Context, r observe.Request) {
	k := requestKey{r.Provider, o.tenant(r.Tenant), r.Outcome, r.AuthFailure, r.Status}
	a, ok := o.requestAttrs.Load(k)
	if !ok {
		a, _ = o.requestAttrs.LoadOrStore(k, o.newRequestAttrs(k))
	}
	attrs := a.(*requestAttrs)
	o.requests.Add(ctx, 1, attrs.count...)
	o.requestSeconds.Record(ctx, r.Duration.Seconds(), attrs.duration...)
	if r.Bytes > 0 {
		o.requestBytes.Record(ctx, int64(r.Bytes), attrs.provider...)
	}
	if r.Journal > 0 {
		o.journalSeconds.Record(ctx, r.Journal.Seconds(), attrs.provider...)
	}
}

func (o *Observer) newRequestAttrs(k requestKey) *requestAttrs {
	count := []attribute.KeyValue{keyProvider.String(k.provider), keyOutcome.String(string(k.outcome)), keyStatusCode.Int(k.code)}
	if k.authFailure != "" {
		count = append(count, keyAuthFailure.String(string(k.authFailure)))
	}
	return &requestAttrs{
		count:    adding(o.withTenant(count, k.tenant)...),
		duration: recording(keyProvider.String(k.provider), keyStatusCode.Int(k.code)),
		provider: recording(keyProvider.String(k.provider)),
	}
}

// applyKey is a combination of the attributes of an apply.
type applyKey struct {
	provider, tenant string
	status           observe.Outcome
	queued           bool
}

// applyAttrs are the attributes an apply is recorded with, by
// instrument.
type applyAttrs struct {
	applied, retries, dead []metric.AddOption
	duration               []metric.RecordOption
}

// Applied records a delivery applied, or tried.
func (o *Observer) Applied(ctx context.Context, a observe.Apply) {
	k := applyKey{a.Provider, o.tenant(a.Tenant), a.Outcome, a.Queued}
	v, ok := o.applyAttrs.Load(k)
	if !ok {
		v, _ = o.applyAttrs.LoadOrStore(k, o.newApplyAttrs(ctx, k))
	}
	attrs := v.(*applyAttrs)
	o.applied.Add(ctx, 1, attrs.applied...)
	o.applySeconds.Record(ctx, a.Duration.Seconds(), attrs.duration...)
	if a.Attempts > 1 {
		o.retries.Add(ctx, 1, attrs.retries...)
	}
	if a.Outcome == observe.Dead {
		o.dead.Add(ctx, 1, attrs.dead...)
	}
}

// newApplyAttrs makes the attributes of k, and records 0 dead letters of
// its provider (and tenant) so that the first dead letter is an
// increase.
func (o *Observer) newApplyAttrs(ctx context.Context, k applyKey) *applyAttrs {
	mode := "inline"
	if k.queued {
		mode = "queued"
	}
	provider := keyProvider.String(k.provider)
	status := keyStatus.String(string(k.status))
	attrs := &applyAttrs{
		applied:  adding(o.withTenant([]attribute.KeyValue{provider, status, keyMode.String(mode)}, k.tenant)...),
		retries:  adding(o.withTenant([]attribute.KeyValue{provider, status}, k.tenant)...),
		dead:     adding(o.withTenant([]attribute.KeyValue{provider}, k.tenant)...),
		duration: recording(provider, keyMode.String(mode)),
	}
	o.dead.Add(ctx, 0, attrs.dead...)
	return attrs
}

// tenant returns the tenant attribute's value of tenant; "" without the
// attribute.
func (o *Observer) tenant(tenant string) string {
	if o.tenants == nil {
		return ""
	}
	return o.tenants.Label(tenant)
}

// withTenant returns kvs with the tenant attribute when there is one.
func (o *Observer) withTenant(kvs []attribute.KeyValue, tenant string) []attribute.KeyValue {
	if o.tenants == nil || tenant == "" {
		return kvs
	}
	return append(kvs, keyTenant.String(tenant))
}

// adding returns the options of a measurement of a counter with kvs.
func adding(kvs ...attribute.KeyValue) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}

// recording returns the options of a measurement of a histogram with kvs.
func recording(kvs ...attribute.KeyValue) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}
