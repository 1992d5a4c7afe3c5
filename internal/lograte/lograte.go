// Package lograte keeps logs that a sender or an outage can fill to a
// few lines: a Tally sums repeated events into one summary at most once a
// period, and a Streak reports a run of failures once when it starts and
// once when it ends. Neither keeps a goroutine: a Tally arms a timer only
// while it holds a count not yet written, so that no count is lost.
package lograte

import (
	"sort"
	"sync"
	"time"
)

// A Tally counts events by cause and calls Emit with the counts at most
// once per Period: the first event after a summary arms a timer for the
// rest of the period, and the timer writes the summary. The zero value is
// not ready; set Period and Emit. A Tally is safe for concurrent use.
type Tally struct {
	// Period is the shortest time between two summaries.
	Period time.Duration
	// Emit writes a summary: the counts by cause since the last one, in
	// the order of the causes' names, and the time they cover.
	Emit func(counts []Count, since time.Duration)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AfterFunc arms the timer; nil means time.AfterFunc. Tests replace
	// it to fire the timer themselves.
	AfterFunc func(d time.Duration, f func())

	mu     sync.Mutex
	counts map[string]int
	armed  bool
	last   time.Time // when the last summary was written
	first  time.Time // the first event counted since then
}

// A Count is how many events of one cause a summary covers.
type Count struct {
	Cause string
	N     int
}

// Add counts one event of cause.
func (t *Tally) Add(cause string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = make(map[string]int)
	}
	now := t.now()
	if len(t.counts) == 0 {
		t.first = now
	}
	t.counts[cause]++
	if t.armed {
		return
	}
	t.armed = true
	wait := max(t.last.Add(t.Period).Sub(now), 0)
	after := t.AfterFunc
	if after == nil {
		after = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	after(wait, t.flush)
}

// flush writes the summary of the counts held, if any.
func (t *Tally) flush() {
	t.mu.Lock()
	counts := make([]Count, 0, len(t.counts))
	for cause, n := range t.counts {
		counts = append(counts, Count{cause, n})
	}
	clear(t.counts)
	now := t.now()
	since := now.Sub(t.first)
	t.last, t.armed = now, false
	t.mu.Unlock()
	if len(counts) == 0 {
		return
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i].Cause < counts[j].Cause })
	t.Emit(counts, since)
}

func (t *Tally) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}
