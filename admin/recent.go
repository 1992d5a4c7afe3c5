package admin

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/observe"
)

// DefaultWindow is the window of a Recent whose Window is zero.
const DefaultWindow = 24 * time.Hour

// recentSlots is how many parts a Recent's window is counted in: the
// counts cover the window to within one part (30 minutes of 24 hours).
const recentSlots = 48

// maxRecentKeys bounds the distinct counts one part of the window keeps;
// past it, new ones are counted under the provider Other.
const maxRecentKeys = 256

// Other is the provider under which a Recent counts what it has no room
// to count apart (see Recent).
const Other = "(other)"

// A Recent is an observe.Observer that counts, over a sliding window,
// the requests the webhook Handlers answered, by provider, status,
// outcome and cause of a 401, and the deliveries applied, by provider
// and status: what the journal cannot tell, since a refused request is
// never journaled. Set it as the Ingester's Observer (with Tee beside
// another) and as Handler.Recent.
//
// It counts in 48 parts of its window, so the counts cover the last 24
// hours to within 30 minutes, and keeps at most 256 distinct counts in
// each part (a few providers times a few outcomes need far fewer; past
// that they are counted under the provider Other): its memory is
// bounded whatever the traffic. It is safe for concurrent use; its
// methods hold a lock for a few map operations. A nil *Recent counts
// nothing. The zero value is ready to use; do not copy one in use.
type Recent struct {
	// Window is how far back the counts go. 0 means DefaultWindow.
	Window time.Duration
	// Now is its clock. Nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	start time.Time // first use
	slots [recentSlots]recentSlot
}

// recentSlot holds the counts of one part of the window.
type recentSlot struct {
	n        int64 // the part's number since the epoch; 0 when unused
	requests map[RequestCount]int
	applied  map[AppliedCount]int
}

// A RequestCount is the number of requests a Recent counted with the
// same provider, status, outcome and cause.
type RequestCount struct {
	Provider    string
	Status      int // the HTTP status sent
	Outcome     observe.Outcome
	AuthFailure observe.AuthFailure // for a 401
	Count       int
}

// An AppliedCount is the number of deliveries of a provider whose
// application a Recent counted with the same outcome.
type AppliedCount struct {
	Provider string
	Status   donorsync.DeliveryStatus
	Count    int
}

// Counts are what a Recent counted since Since.
type Counts struct {
	// Since is where the counts start: the start of the window, or the
	// Recent's first use when that is later.
	Since    time.Time
	Requests []RequestCount // by provider, status, outcome and cause
	Applied  []AppliedCount // by provider and status
}

// Request implements observe.Observer.
func (r *Recent) Request(_ context.Context, e observe.Request) {
	if r == nil {
		return
	}
	k := RequestCount{Provider: e.Provider, Status: e.Status, Outcome: e.Outcome, AuthFailure: e.AuthFailure}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.slot()
	if s.requests == nil {
		s.requests = map[RequestCount]int{}
	}
	if _, ok := s.requests[k]; !ok && len(s.requests) >= maxRecentKeys {
		k.Provider = Other
	}
	s.requests[k]++
}

// Applied implements observe.Observer.
func (r *Recent) Applied(_ context.Context, e observe.Apply) {
	if r == nil {
		return
	}
	k := AppliedCount{Provider: e.Provider, Status: donorsync.DeliveryStatus(e.Outcome)}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.slot()
	if s.applied == nil {
		s.applied = map[AppliedCount]int{}
	}
	if _, ok := s.applied[k]; !ok && len(s.applied) >= maxRecentKeys {
		k.Provider = Other
	}
	s.applied[k]++
}

// Counts returns what r counted over its window.
func (r *Recent) Counts() Counts {
	if r == nil {
		return Counts{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock()
	r.first(now)
	requests, applied := r.sum(r.part(now))
	c := Counts{Since: now.Add(-r.window())}
	if c.Since.Before(r.start) {
		c.Since = r.start
	}
	for k, n := range requests {
		k.Count = n
		c.Requests = append(c.Requests, k)
	}
	for k, n := range applied {
		k.Count = n
		c.Applied = append(c.Applied, k)
	}
	slices.SortFunc(c.Requests, func(a, b RequestCount) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Status, b.Status),
			cmp.Compare(a.Outcome, b.Outcome), cmp.Compare(a.AuthFailure, b.AuthFailure))
	})
	slices.SortFunc(c.Applied, func(a, b AppliedCount) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Status, b.Status))
	})
	return c
}

// sum adds up the counts of the parts of the window that ends with part
// cur. r.mu is held.
func (r *Recent) sum(cur int64) (map[RequestCount]int, map[AppliedCount]int) {
	requests, applied := map[RequestCount]int{}, map[AppliedCount]int{}
	for i := range r.slots {
		s := &r.slots[i]
		if s.n <= cur-recentSlots || s.n > cur {
			continue
		}
		for k, n := range s.requests {
			requests[k] += n
		}
		for k, n := range s.applied {
			applied[k] += n
		}
	}
	return requests, applied
}

// slot returns the part of the window now falls in, emptied if it held
// the counts of an earlier turn of the ring. r.mu is held.
func (r *Recent) slot() *recentSlot {
	now := r.clock()
	r.first(now)
	n := r.part(now)
	s := &r.slots[n%recentSlots]
	if s.n != n {
		*s = recentSlot{n: n}
	}
	return s
}

func (r *Recent) first(now time.Time) {
	if r.start.IsZero() {
		r.start = now
	}
}

// part numbers the part of the window t falls in, from 1.
func (r *Recent) part(t time.Time) int64 {
	width := int64(r.window() / recentSlots)
	return t.UnixNano()/max(width, 1) + 1
}

func (r *Recent) window() time.Duration {
	if r.Window > 0 {
		return r.Window
	}
	return DefaultWindow
}

func (r *Recent) clock() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
