package metrics

import (
	"fmt"
	"sync"
	"testing"
)

func TestTenantsCapsTheLabels(t *testing.T) {
	t.Parallel()
	ts := NewTenants(2)
	for _, c := range []struct{ tenant, want string }{
		{"a", "a"}, {"", ""}, {"b", "b"}, {"a", "a"}, {"c", OtherTenants}, {"b", "b"}, {"", ""}, {"d", OtherTenants},
	} {
		if got := ts.Label(c.tenant); got != c.want {
			t.Errorf("Label(%q) = %q; want %q", c.tenant, got, c.want)
		}
	}
}

func TestTenantsCapHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	ts := NewTenants(10)
	var mu sync.Mutex
	named := map[string]bool{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				l := ts.Label(fmt.Sprintf("t%d", (g*7+i)%40))
				mu.Lock()
				named[l] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	delete(named, OtherTenants)
	if len(named) != 10 {
		t.Errorf("%d tenants named; want 10: %v", len(named), named)
	}
}
