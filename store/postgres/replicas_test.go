package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
)

// TestTwoReplicas runs two receivers, each with its own connection pool,
// store, handler and worker, as two replicas sharing one database. Every
// delivery is sent to both at once. Each donor must end as one contact,
// each line item as one donation, each delivery processed once: in inline
// mode, and in queued mode where the two workers share the queue.
func TestTwoReplicas(t *testing.T) {
	for _, queued := range []bool{false, true} {
		t.Run(map[bool]string{false: "inline", true: "queued"}[queued], func(t *testing.T) { twoReplicas(t, queued) })
	}
}

func twoReplicas(t *testing.T, queued bool) {
	_, pool := freshSchema(t)
	template, err := os.ReadFile("../../actblue/testdata/contribution.json")
	if err != nil {
		t.Fatal(err)
	}
	cred := actblue.Credential{Tenant: "acme", Username: "acme-1", Password: "ReplicaPasswordReplica12"}
	auth, err := actblue.NewAuthenticator(cred)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var urls []string
	var workers sync.WaitGroup
	ctx, stopWorkers := context.WithCancel(t.Context())
	defer func() { stopWorkers(); workers.Wait() }()
	for range 2 {
		store := newStore(t, pool())
		ingester := &donorsync.Ingester{Store: store, Logger: quiet}
		src, err := actblue.NewSource(auth, actblue.Options{})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{
			Source:   src,
			Ingester: ingester,
			Logger:   quiet,
			Queued:   queued,
			Deadline: -1, // this test checks correctness, not latency
		})
		workers.Add(1)
		go func() {
			defer workers.Done()
			w := &donorsync.Worker{Ingester: ingester, Sources: []donorsync.Source{src}, Batch: 4, Poll: 10 * time.Millisecond}
			w.Run(ctx)
		}()
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/webhooks/actblue/acme")
	}

	const donors, items = 15, 3
	var wg sync.WaitGroup
	errs := make(chan error, donors*items*2)
	for d := range donors {
		for i := range items {
			body := bytes.ReplaceAll(template, []byte("Peter.Gibbons@Initech.example"), fmt.Appendf(nil, "donor%d@example.org", d))
			body = bytes.ReplaceAll(body, []byte(`"lineitemId": 99999999`), fmt.Appendf(nil, `"lineitemId": %d`, 1000*d+i))
			body = bytes.ReplaceAll(body, []byte(`"phone": "(589) 742-7087 x5082"`), []byte(`"phone": ""`))
			for _, url := range urls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := actblue.NewRequest(t.Context(), url, cred, body)
					if err != nil {
						errs <- err
						return
					}
					resp, err := http.DefaultClient.Do(r)
					if err != nil {
						errs <- err
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("status %d: %s", resp.StatusCode, b)
					}
				}()
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	store := newStore(t, pool())
	// In queued mode, wait until the workers have applied everything.
	for deadline := time.Now().Add(30 * time.Second); queued; time.Sleep(20 * time.Millisecond) {
		var pending []*donorsync.Delivery
		if err := store.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			pending, err = tx.Deliveries(t.Context(), "acme", donorsync.DeliveryFilter{Status: donorsync.Pending})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still pending", len(pending))
		}
	}
	err = store.View(t.Context(), func(tx donorsync.Tx) error {
		cs, err := tx.Contacts(t.Context(), "acme", donorsync.Page{Limit: 1000})
		if err != nil {
			return err
		}
		ds, err := tx.Donations(t.Context(), "acme", donorsync.Page{Limit: 1000})
		if err != nil {
			return err
		}
		dl, err := tx.Deliveries(t.Context(), "acme", donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1000}})
		if err != nil {
			return err
		}
		if len(cs) != donors || len(ds) != donors*items {
			t.Errorf("%d contacts and %d donations; want %d and %d", len(cs), len(ds), donors, donors*items)
		}
		perContact := map[string]int{}
		for _, d := range ds {
			perContact[d.ContactID]++
		}
		for _, c := range cs {
			if perContact[c.ID] != items {
				t.Errorf("contact %s has %d donations, want %d", c.ID, perContact[c.ID], items)
			}
		}
		status := map[donorsync.DeliveryStatus]int{}
		for _, d := range dl {
			status[d.Status]++
		}
		if status[donorsync.Processed] != donors*items || status[donorsync.Duplicate] != donors*items {
			t.Errorf("deliveries %v; want %d processed and %d duplicates", status, donors*items, donors*items)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
