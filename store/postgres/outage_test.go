package postgres_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// proxy forwards TCP connections to a server until cut: then it closes
// every connection and refuses new ones, as a database that went away.
type proxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.down.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
}

func (p *proxy) restore() { p.down.Store(false) }

// proxiedStore returns a store in a fresh schema whose connections go
// through a proxy, which the test cuts to take the database away. Both
// are closed when the test ends.
func proxiedStore(t *testing.T) (*postgres.Store, *proxy) {
	t.Helper()
	schema, _ := freshSchema(t)
	u, err := url.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if target == "" {
		target = "127.0.0.1:5432"
	}
	px := newProxy(t, target)
	u.Host = px.ln.Addr().String()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.ConnectTimeout = 200 * time.Millisecond
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := postgres.New(context.Background(), pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, px
}

// long runs the long versions of the reliability tests:
// go test ./store/postgres -run Outage -long
var long = flag.Bool("long", false, "run the long versions of the reliability tests")

// TestDatabaseOutageUnderLoad cuts PostgreSQL off while deliveries flow:
// the handler answers 503 with Retry-After within its deadline, never a
// late or lost acknowledgement; once the database is back, deliveries are
// acknowledged again, and every acknowledged one is stored.
func TestDatabaseOutageUnderLoad(t *testing.T) {
	store, px := proxiedStore(t)

	cred := actblue.Credential{Tenant: "acme", Username: "acme-1", Password: "OutagePasswordOutage1234"}
	auth, _ := actblue.NewAuthenticator(cred)
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	const deadline = 300 * time.Millisecond
	srv := httptest.NewServer(&donorsync.Handler{Source: src,
		Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Logger: quiet, Queued: true, Deadline: deadline})
	defer srv.Close()

	var mu sync.Mutex
	acked := map[int]bool{}
	statuses := map[int]int{}
	var slowest time.Duration
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := int(next.Add(1))
				body := []byte(fmt.Sprintf(`{"donor":{"email":"d%d@example.org"},"contribution":{"createdAt":"2024-06-07T15:49:32-04:00","orderNumber":"AB%d"},"lineitems":[{"lineitemId":%d,"amount":"5.00"}]}`, id%50, id, id))
				r, _ := actblue.NewRequest(context.Background(), srv.URL+"/webhooks/actblue/acme", cred, body)
				start := time.Now()
				resp, err := http.DefaultClient.Do(r)
				took := time.Since(start)
				if err != nil {
					t.Error(err)
					return
				}
				retry := resp.Header.Get("Retry-After")
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				slowest = max(slowest, took)
				if resp.StatusCode == http.StatusOK {
					acked[id] = true
				}
				if resp.StatusCode == http.StatusServiceUnavailable && retry == "" {
					t.Error("503 without Retry-After")
				}
				mu.Unlock()
			}
		}()
	}
	outages, outage := 1, 1500*time.Millisecond
	if *long {
		outages, outage = 5, 10*time.Second
	}
	time.Sleep(300 * time.Millisecond)
	for range outages {
		px.cut()
		time.Sleep(outage)
		px.restore()
		time.Sleep(outage)
	}
	close(stop)
	wg.Wait()

	if statuses[http.StatusServiceUnavailable] == 0 || statuses[http.StatusOK] == 0 {
		t.Fatalf("statuses %v: want acknowledgements before and after, and 503s during the outage", statuses)
	}
	if other := len(statuses) - 2; other > 0 {
		t.Errorf("statuses %v: only 200 and 503 may be answered", statuses)
	}
	// The deadline bounds every answer; allow for scheduling on a loaded
	// machine.
	if slowest > deadline+700*time.Millisecond {
		t.Errorf("slowest answer took %v with a %v deadline", slowest, deadline)
	}
	// Recovery: after the outage, deliveries are acknowledged again, and
	// every acknowledged delivery is journaled.
	// Page by page: a long run acknowledges more than one page holds.
	keys := map[string]bool{}
	for after := ""; ; {
		var page []*donorsync.Delivery
		err = store.View(context.Background(), func(tx donorsync.Tx) error {
			var err error
			page, err = tx.Deliveries(context.Background(), "acme", donorsync.DeliveryFilter{Page: donorsync.Page{After: after, Limit: 10000}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			keys[d.Key] = true
		}
		after = page[len(page)-1].ID
	}
	for id := range acked {
		if !keys[fmt.Sprintf("contribution:%d", id)] {
			t.Errorf("acknowledged delivery %d is not journaled", id)
		}
	}
	t.Logf("statuses %v, slowest answer %v", statuses, slowest)
}
