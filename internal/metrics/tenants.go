// Package metrics holds what the metrics modules of this repository
// (metrics/prometheus and metrics/otel) share: the cap on the tenants
// that label their series, and the cached reading of the journal's
// statistics that their gauges report.
package metrics

import (
	"sync"
	"sync/atomic"
)

// OtherTenants is the label value of the tenants past a Tenants' cap.
const OtherTenants = "_other"

// Tenants gives the tenant label of a series, for at most a fixed number
// of distinct tenants: the first ones seen keep their name, and those
// after them share OtherTenants. It is safe for concurrent use.
type Tenants struct {
	max  int
	seen sync.Map // tenant -> struct{}
	n    atomic.Int64
	mu   sync.Mutex // serialises additions
}

// DefaultMaxTenants is the cap of NewTenants(0).
const DefaultMaxTenants = 100

// NewTenants returns Tenants that names at most max tenants; 0 or less
// means DefaultMaxTenants.
func NewTenants(max int) *Tenants {
	if max <= 0 {
		max = DefaultMaxTenants
	}
	return &Tenants{max: max}
}

// Label returns the label value of tenant: the tenant itself while the
// cap allows, OtherTenants past it. The empty tenant (a request refused
// before its tenant was vouched for) is always "" and does not count.
func (t *Tenants) Label(tenant string) string {
	if tenant == "" {
		return ""
	}
	if _, ok := t.seen.Load(tenant); ok {
		return tenant
	}
	if int(t.n.Load()) >= t.max {
		return OtherTenants
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.seen.Load(tenant); ok {
		return tenant
	}
	if int(t.n.Load()) >= t.max {
		return OtherTenants
	}
	t.seen.Store(tenant, struct{}{})
	t.n.Add(1)
	return tenant
}
