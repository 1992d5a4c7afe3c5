package metrics

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/google/go-cmp/cmp"
)

// reader is a StatsReader that counts its reads, which wait for release
// when it is not nil.
type reader struct {
	calls   atomic.Int64
	since   atomic.Value // time.Time of the last read
	release chan struct{}
	err     error
	stats   donorsync.JournalStats
}

func (r *reader) JournalStats(ctx context.Context, tenant string, since time.Time) (donorsync.JournalStats, error) {
	r.calls.Add(1)
	r.since.Store(since)
	if r.release != nil {
		<-r.release // a store that does not honour ctx
	}
	return r.stats, r.err
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestJournalSnapshotsAtTheClock(t *testing.T) {
	t.Parallel()
	r := &reader{stats: donorsync.JournalStats{
		Received:      map[donorsync.DeliveryStatus]int{donorsync.Processed: 7, donorsync.Pending: 2},
		Backlog:       map[donorsync.DeliveryStatus]int{donorsync.Pending: 2},
		OldestPending: t0.Add(-10 * time.Minute),
		Last: []donorsync.Freshness{
			{Tenant: "a", Provider: "actblue", ReceivedAt: t0.Add(-25 * time.Hour)},
			{Tenant: "a", Provider: "anedot", ReceivedAt: t0.Add(time.Second)}, // a clock behind the store's
		},
	}}
	c := &clock{now: t0}
	j := NewJournal(r, JournalOptions{Now: c.Now, Window: 2 * time.Hour})
	got, err := j.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Snapshot{
		Received: map[donorsync.DeliveryStatus]int{donorsync.Pending: 2, donorsync.Processed: 7, donorsync.Duplicate: 0,
			donorsync.Quarantined: 0, donorsync.Failed: 0, donorsync.Dead: 0},
		Backlog:       map[donorsync.DeliveryStatus]int{donorsync.Pending: 2, donorsync.Failed: 0},
		OldestPending: 600,
		Last:          []Age{{"a", "actblue", 25 * 3600}, {"a", "anedot", 0}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	if since := r.since.Load().(time.Time); !since.Equal(t0.Add(-2 * time.Hour)) {
		t.Errorf("read since %v; want the window before now, %v", since, t0.Add(-2*time.Hour))
	}
	// Within the TTL the same read serves, its ages counted at the clock.
	c.advance(10 * time.Second)
	got, err = j.Read(context.Background())
	if err != nil || r.calls.Load() != 1 || got.Last[0].Seconds != 25*3600+10 || got.OldestPending != 610 {
		t.Errorf("read again within the TTL: %d reads, ages %v and %v, error %v; want 1 read, ages 90010 and 610",
			r.calls.Load(), got.Last[0].Seconds, got.OldestPending, err)
	}
	c.advance(DefaultTTL)
	if _, err := j.Read(context.Background()); err != nil || r.calls.Load() != 2 {
		t.Errorf("read after the TTL: %d reads, error %v; want 2", r.calls.Load(), err)
	}
}

func TestJournalEmptyHasNoOldest(t *testing.T) {
	t.Parallel()
	j := NewJournal(&reader{}, JournalOptions{Now: (&clock{now: t0}).Now})
	got, err := j.Read(context.Background())
	if err != nil || got.OldestPending != 0 || len(got.Last) != 0 || len(got.Received) != len(Statuses) || len(got.Backlog) != 2 {
		t.Errorf("Read = %+v, %v; want zero counts for every status, no ages", got, err)
	}
}

func TestJournalReadsOnceForConcurrentCollections(t *testing.T) {
	t.Parallel()
	r := &reader{release: make(chan struct{})}
	j := NewJournal(r, JournalOptions{Now: (&clock{now: t0}).Now, Timeout: time.Minute})
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := j.Read(context.Background())
			errs <- err
		})
	}
	for r.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others wait for it
	close(r.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := r.calls.Load(); n != 1 {
		t.Errorf("%d reads for 10 concurrent collections; want 1", n)
	}
}

func TestJournalTimesOutOnAStuckStore(t *testing.T) {
	t.Parallel()
	r := &reader{release: make(chan struct{})}
	defer close(r.release)
	j := NewJournal(r, JournalOptions{Now: (&clock{now: t0}).Now, Timeout: 20 * time.Millisecond})
	for range 3 {
		start := time.Now()
		_, err := j.Read(context.Background())
		if !errors.Is(err, errTimeout) || time.Since(start) > 5*time.Second {
			t.Errorf("Read = %v after %v; want a timeout after 20ms", err, time.Since(start))
		}
	}
	if n := r.calls.Load(); n != 1 {
		t.Errorf("%d reads of a stuck store; want 1 (no more while it is stuck)", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.Read(ctx); !errors.Is(err, context.Canceled) && !errors.Is(err, errTimeout) {
		t.Errorf("Read with a done context = %v; want it done", err)
	}
}

func TestJournalRemembersAFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	r := &reader{err: boom}
	c := &clock{now: t0}
	j := NewJournal(r, JournalOptions{Now: c.Now, TTL: time.Minute})
	for range 2 {
		if _, err := j.Read(context.Background()); !errors.Is(err, boom) {
			t.Errorf("Read = %v; want %v", err, boom)
		}
	}
	if r.calls.Load() != 1 || j.Failures() != 1 {
		t.Errorf("%d reads, %d failures; want 1 and 1 within the TTL", r.calls.Load(), j.Failures())
	}
	c.advance(time.Minute)
	r.err = nil
	if _, err := j.Read(context.Background()); err != nil || j.Failures() != 1 {
		t.Errorf("Read after the TTL = %v, %d failures; want a success, 1 failure", err, j.Failures())
	}
}
