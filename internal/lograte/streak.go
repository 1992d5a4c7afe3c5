package lograte

import (
	"sync"
	"sync/atomic"
	"time"
)

// A Streak follows a run of failures, such as a store that cannot
// journal: Fail reports whether a failure starts a run (write one line
// then), and Succeed, after a run, returns how many failures it held and
// how long it lasted (write one line then). The zero value is ready; a
// Streak is safe for concurrent use, and Succeed outside a run costs one
// atomic load.
type Streak struct {
	failing atomic.Bool
	mu      sync.Mutex
	n       int
	since   time.Time
}

// Fail records a failure at now and reports whether it starts a run.
func (s *Streak) Fail(now time.Time) (first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.failing.Load() {
		return false
	}
	s.failing.Store(true)
	s.n, s.since = 1, now
	return true
}

// Succeed records a success at now. When it ends a run, ended is true,
// with the number of failures of the run and its length.
func (s *Streak) Succeed(now time.Time) (ended bool, failures int, lasted time.Duration) {
	if !s.failing.Load() {
		return false, 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.failing.Load() {
		return false, 0, 0
	}
	s.failing.Store(false)
	return true, s.n, now.Sub(s.since)
}
