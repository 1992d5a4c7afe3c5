package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
)

// A StatsReader reads the statistics of a journal, as an Ingester does.
type StatsReader interface {
	JournalStats(ctx context.Context, tenant string, since time.Time) (donorsync.JournalStats, error)
}

// The defaults of JournalOptions. A read of the statistics scans the
// journal, and the alerts on its gauges are of minutes and hours: once a
// minute is enough.
const (
	DefaultTTL     = time.Minute
	DefaultTimeout = 5 * time.Second
	DefaultWindow  = time.Hour
)

// JournalOptions configure a Journal. Zero values mean the defaults.
type JournalOptions struct {
	TTL     time.Duration    // how long a read serves
	Timeout time.Duration    // how long a read may take
	Window  time.Duration    // Received counts the deliveries of this last while
	Tenant  string           // the tenant read; "" for all
	Now     func() time.Time // the clock; nil means time.Now
}

// A Journal reads a StatsReader for the gauges of the metrics modules: at
// most once per TTL however many collections ask, one read at a time,
// each bounded by Timeout. A read that fails is remembered for the TTL
// too, so that a struggling store is not asked more often. It is safe for
// concurrent use.
type Journal struct {
	stats StatsReader
	opts  JournalOptions

	mu       sync.Mutex
	at       time.Time // when the last read ended; zero before the first
	last     donorsync.JournalStats
	err      error
	failures int64
	inflight chan struct{} // closed when the read under way ends; nil when none
}

// NewJournal returns a Journal of stats.
func NewJournal(stats StatsReader, opts JournalOptions) *Journal {
	opts.TTL = cmpOr(opts.TTL, DefaultTTL)
	opts.Timeout = cmpOr(opts.Timeout, DefaultTimeout)
	opts.Window = cmpOr(opts.Window, DefaultWindow)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Journal{stats: stats, opts: opts}
}

// Window returns the window of Snapshot.Received.
func (j *Journal) Window() time.Duration { return j.opts.Window }

// errTimeout is the error of a Read that waited Timeout for a read.
var errTimeout = errors.New("donorsync/metrics: the journal's statistics were not read in time")

// Read returns a Snapshot of the last read, reading afresh when it is
// older than the TTL. It waits for a read under way, until ctx is done
// or Timeout passes.
func (j *Journal) Read(ctx context.Context) (Snapshot, error) {
	j.mu.Lock()
	if j.inflight == nil && (j.at.IsZero() || j.opts.Now().Sub(j.at) >= j.opts.TTL) {
		j.inflight = make(chan struct{})
		go j.fetch(j.inflight)
	}
	done := j.inflight
	j.mu.Unlock()
	if done != nil {
		t := time.NewTimer(j.opts.Timeout)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			return Snapshot{}, errTimeout
		case <-ctx.Done():
			return Snapshot{}, fmt.Errorf("donorsync/metrics: read the journal's statistics: %w", ctx.Err())
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return Snapshot{}, j.err
	}
	return snapshot(j.last, j.opts.Now()), nil
}

// fetch reads the statistics, and closes done.
func (j *Journal) fetch(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), j.opts.Timeout)
	defer cancel()
	s, err := j.stats.JournalStats(ctx, j.opts.Tenant, j.opts.Now().Add(-j.opts.Window))
	if err != nil {
		err = fmt.Errorf("donorsync/metrics: read the journal's statistics: %w", err)
	}
	j.mu.Lock()
	j.at, j.inflight = j.opts.Now(), nil
	if j.last, j.err = s, err; err != nil {
		j.failures++
	}
	j.mu.Unlock()
	close(done)
}

// Failures returns the number of reads that failed.
func (j *Journal) Failures() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failures
}

// Statuses are the statuses of a delivery, in the order Snapshot.Received
// lists them; Backlog are those of the backlog.
var (
	Statuses = []donorsync.DeliveryStatus{donorsync.Pending, donorsync.Processed, donorsync.Duplicate,
		donorsync.Quarantined, donorsync.Failed, donorsync.Dead}
	Backlog = []donorsync.DeliveryStatus{donorsync.Pending, donorsync.Failed}
)

// A Snapshot is what the journal's gauges report.
type Snapshot struct {
	// Received and Backlog count deliveries by status, with a count
	// (maybe 0) for each of Statuses and Backlog.
	Received, Backlog map[donorsync.DeliveryStatus]int

	// OldestPending is the age of the oldest delivery of the backlog, in
	// seconds; 0 when there is none.
	OldestPending float64

	// Last is, by tenant then provider, the age of the last delivery
	// received, in seconds.
	Last []Age
}

// An Age is the age of a tenant's last delivery from a provider.
type Age struct {
	Tenant, Provider string
	Seconds          float64
}

// snapshot returns the Snapshot of s at now. Ages are never negative.
func snapshot(s donorsync.JournalStats, now time.Time) Snapshot {
	age := func(t time.Time) float64 { return max(now.Sub(t).Seconds(), 0) }
	snap := Snapshot{Received: map[donorsync.DeliveryStatus]int{}, Backlog: map[donorsync.DeliveryStatus]int{}}
	for _, st := range Statuses {
		snap.Received[st] = s.Received[st]
	}
	for _, st := range Backlog {
		snap.Backlog[st] = s.Backlog[st]
	}
	if !s.OldestPending.IsZero() {
		snap.OldestPending = age(s.OldestPending)
	}
	for _, f := range s.Last {
		snap.Last = append(snap.Last, Age{f.Tenant, f.Provider, age(f.ReceivedAt)})
	}
	return snap
}

// cmpOr returns v when it is positive, def otherwise.
func cmpOr(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
