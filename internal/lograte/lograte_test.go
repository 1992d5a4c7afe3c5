package lograte_test

import (
	"testing"
	"time"

	"github.com/donorsync/donorsync/internal/lograte"
)

func TestTallySummarisesOncePerPeriod(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var timers []func()
	var waits []time.Duration
	var summaries [][]lograte.Count
	tl := &lograte.Tally{
		Period:    time.Second,
		Now:       func() time.Time { return now },
		AfterFunc: func(d time.Duration, f func()) { waits, timers = append(waits, d), append(timers, f) },
		Emit:      func(c []lograte.Count, _ time.Duration) { summaries = append(summaries, c) },
	}
	for i := range 1000 {
		tl.Add([]string{"unauthorized", "too large"}[i%3/2])
	}
	if len(timers) != 1 || len(summaries) != 0 {
		t.Fatalf("1000 events: %d timers armed, %d summaries; want 1 timer, no summary yet", len(timers), len(summaries))
	}
	now = now.Add(time.Second)
	timers[0]()
	want := []lograte.Count{{"too large", 333}, {"unauthorized", 667}}
	if len(summaries) != 1 || len(summaries[0]) != 2 || summaries[0][0] != want[0] || summaries[0][1] != want[1] {
		t.Fatalf("summaries %v, want one: %v", summaries, want)
	}
	// An event just after a summary waits for the rest of the period.
	now = now.Add(300 * time.Millisecond)
	tl.Add("unauthorized")
	if len(timers) != 2 || waits[1] != 700*time.Millisecond {
		t.Fatalf("timers %d, last wait %v; want a second timer for 700ms", len(timers), waits[len(waits)-1])
	}
	now = now.Add(700 * time.Millisecond)
	timers[1]()
	if len(summaries) != 2 || summaries[1][0] != (lograte.Count{"unauthorized", 1}) {
		t.Errorf("the last event's count was not written: %v", summaries)
	}
}

func TestStreak(t *testing.T) {
	t.Parallel()
	var s lograte.Streak
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if ended, _, _ := s.Succeed(now); ended {
		t.Error("a success outside a run ended one")
	}
	starts := 0
	for range 100 {
		if s.Fail(now) {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("100 failures started %d runs, want 1", starts)
	}
	s.Fail(now.Add(6 * time.Second))
	if ended, _, _ := s.Succeed(now.Add(6*time.Second + lograte.DefaultQuiet/2)); ended {
		t.Error("a success within Quiet of the last failure ended the run")
	}
	ended, n, lasted := s.Succeed(now.Add(6*time.Second + lograte.DefaultQuiet))
	if !ended || n != 101 || lasted != 6*time.Second {
		t.Errorf("Succeed = %v, %d, %v; want true, 101, 6s", ended, n, lasted)
	}
	if ended, _, _ := s.Succeed(now.Add(time.Minute)); ended {
		t.Error("a second success ended a run again")
	}
	if !s.Fail(now) {
		t.Error("a failure after the run did not start a new one")
	}
}

// Failures mixed with successes, as from a store that answers some
// requests in time and not others, are one run: one line at its start
// and one at its end, not a pair each.
func TestStreakOfMixedAnswers(t *testing.T) {
	t.Parallel()
	var s lograte.Streak
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	starts, ends := 0, 0
	for i := range 1000 {
		at := now.Add(time.Duration(i) * time.Millisecond)
		if i%2 == 0 && s.Fail(at) {
			starts++
		}
		if ended, _, _ := s.Succeed(at); i%2 == 1 && ended {
			ends++
		}
	}
	if ended, n, _ := s.Succeed(now.Add(time.Second + 2*time.Second)); ended {
		ends++
		if n != 500 {
			t.Errorf("the run held %d failures, want 500", n)
		}
	}
	if starts != 1 || ends != 1 {
		t.Errorf("1,000 answers, every other one failing: %d starts, %d ends; want 1 and 1", starts, ends)
	}
}
