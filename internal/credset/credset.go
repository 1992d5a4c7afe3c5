// Package credset holds credentials by tenant, with expiry, for the
// provider authenticators: one place for tenant resolution and for
// checking every live credential without revealing which one matched.
package credset

import (
	"sync"
	"time"
)

// A Set holds credentials of type C by tenant. The zero value is empty and
// ready; a Set is safe for concurrent use.
type Set[C any] struct {
	mu sync.RWMutex
	m  map[string][]entry[C]
}

type entry[C any] struct {
	cred    C
	expires time.Time
}

// live is 1 when the credential has not expired at now, 0 otherwise.
func (e entry[C]) live(now time.Time) int {
	if !e.expires.IsZero() && !now.Before(e.expires) {
		return 0
	}
	return 1
}

// Put adds c for tenant, replacing the credentials for which same
// reports true. A zero expires means never.
func (s *Set[C]) Put(tenant string, c C, expires time.Time, same func(C) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][]entry[C])
	}
	list := make([]entry[C], 0, len(s.m[tenant])+1)
	for _, e := range s.m[tenant] {
		if !same(e.cred) {
			list = append(list, e)
		}
	}
	s.m[tenant] = append(list, entry[C]{cred: c, expires: expires})
}

// Len returns the number of tenants with credentials, expired or not.
func (s *Set[C]) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// Expire sets the expiry of the tenant's credentials for which match
// reports true, and reports whether there were any.
func (s *Set[C]) Expire(tenant string, at time.Time, match func(C) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for i, e := range s.m[tenant] {
		if match(e.cred) {
			s.m[tenant][i].expires = at
			found = true
		}
	}
	return found
}

// Check resolves the tenant (name, or the only tenant when name is empty)
// and calls check for each of its credentials, expired or not, or once for
// dummy when the tenant is unknown, so that the work done does not tell
// which credential matched or whether the tenant exists. check returns 1
// for a match and 0 otherwise, computed in constant time. ok is true when
// a live credential of a known tenant matched.
func (s *Set[C]) Check(name string, now time.Time, dummy C, check func(C) int) (tenant string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tenant, list, known := s.resolve(name)
	if !known {
		check(dummy)
		return "", false
	}
	match := 0
	for _, e := range list {
		match |= check(e.cred) & e.live(now)
	}
	return tenant, match == 1
}

// resolve returns the tenant name stands for (the only tenant when name
// is empty) and its credentials; the caller holds s.mu.
func (s *Set[C]) resolve(name string) (tenant string, list []entry[C], known bool) {
	tenant = name
	if tenant == "" && len(s.m) == 1 {
		for t := range s.m {
			tenant = t
		}
	}
	list, known = s.m[tenant]
	return tenant, list, known
}

// Select resolves the tenant as Check does and appends to into its
// credentials, expired or not, each with 1 in live when it is live at now
// and 0 otherwise; for an unknown tenant it returns "" and dummy alone,
// not live, so that checking what it returns costs the same either way.
// It suits a check that must wait (for a body to be read) and so cannot
// run under the Set's lock.
func (s *Set[C]) Select(name string, now time.Time, dummy C, to []Live[C]) (tenant string, creds []Live[C]) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tenant, list, known := s.resolve(name)
	if !known {
		return "", append(to, Live[C]{Cred: dummy})
	}
	for _, e := range list {
		to = append(to, Live[C]{Cred: e.cred, Live: e.live(now)})
	}
	return tenant, to
}

// Live is a credential returned by Select, with 1 in Live when it is live.
type Live[C any] struct {
	Cred C
	Live int
}
