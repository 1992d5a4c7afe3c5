package lograte

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultQuiet is how long a Streak whose Quiet is zero waits after its
// last failure before a success ends the run.
const DefaultQuiet = time.Second

// A Streak follows a run of failures, such as a store that cannot
// journal: Fail reports whether a failure starts a run (write one line
// then), and Succeed, once no failure came for Quiet, ends the run and
// returns how many failures it held and how long it lasted (write one line
// then). Failures mixed with successes, as from a store that answers some
// requests in time and not others, make one run, not a run each. The zero
// value is ready; a Streak is safe for concurrent use, and Succeed outside
// a run costs one atomic load.
type Streak struct {
	// Quiet is how long after the last failure a success ends the run;
	// 0 means DefaultQuiet.
	Quiet time.Duration

	failing  atomic.Bool
	mu       sync.Mutex
	n        int
	since    time.Time
	lastFail time.Time
}

// Fail records a failure at now and reports whether it starts a run.
func (s *Streak) Fail(now time.Time) (first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastFail = now
	if s.failing.Load() {
		s.n++
		return false
	}
	s.failing.Store(true)
	s.n, s.since = 1, now
	return true
}

// Succeed records a success at now. When it ends a run (no failure for
// Quiet), ended is true, with the number of failures of the run and the
// time from its first failure to its last.
func (s *Streak) Succeed(now time.Time) (ended bool, failures int, lasted time.Duration) {
	if !s.failing.Load() {
		return false, 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	quiet := s.Quiet
	if quiet <= 0 {
		quiet = DefaultQuiet
	}
	if !s.failing.Load() || now.Sub(s.lastFail) < quiet {
		return false, 0, 0
	}
	s.failing.Store(false)
	return true, s.n, s.lastFail.Sub(s.since)
}
