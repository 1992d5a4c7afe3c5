package actblue_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/memstore"
)

// TestRotationUnderLoad switches a tenant to a new credential while
// deliveries flow with both: no delivery is rejected during the overlap,
// and the old credential stops working when it expires.
func TestRotationUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	body := fixture(t, "contribution.json")
	fresh := actblue.Credential{Tenant: "acme", Username: "acme-654321", Password: "FreshPasswordFreshPass99"}
	var rejected, accepted atomic.Int32
	// The new credential works at once: the platform is given it and
	// switches over while the old one still works.
	if err := e.auth.Add(fresh); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c := cred
				if (i+n)%2 == 1 {
					c = fresh // the platform switched over for some deliveries
				}
				status, _, _ := e.post(t, c, "acme", body)
				if status == http.StatusOK {
					accepted.Add(1)
				} else {
					rejected.Add(1)
				}
			}
		}()
	}
	// While deliveries flow: the old credential is given an expiry, and
	// the credentials are changed under the readers.
	time.Sleep(100 * time.Millisecond)
	e.auth.Expire("acme", cred.Username, time.Now().Add(time.Hour))
	for range 20 {
		if err := e.auth.Add(actblue.Credential{Tenant: "other", Username: "other-2", Password: "AnotherPasswordAnother12"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if rejected.Load() != 0 || accepted.Load() == 0 {
		t.Errorf("%d rejected and %d accepted during the overlap; want none rejected", rejected.Load(), accepted.Load())
	}
	e.auth.Expire("acme", cred.Username, time.Now())
	if status, _, _ := e.post(t, cred, "acme", body); status != http.StatusUnauthorized {
		t.Errorf("old credential after expiry: %d", status)
	}
	if status, _, _ := e.post(t, fresh, "acme", body); status != http.StatusOK {
		t.Errorf("new credential after the old expired: %d", status)
	}
}
