// Command load sends authenticated deliveries of all three platforms to a
// donorsync receiver and reports throughput and latency.
//
//	go run ./examples/load -url http://127.0.0.1:8080 -credentials donorsync.db.credentials.json -rate 2000 -duration 30s
//	go run ./examples/load ... -conns 32 -duration 30s            (closed loop)
//
// With -rate, the load is an open loop: requests are scheduled at a fixed
// rate and each latency is measured from its scheduled time, so a slow
// receiver cannot hide its queueing. Without it, -conns connections send
// as fast as they are answered (closed loop).
//
// Every delivery is unique (new line items, donation and resource ids),
// except -dup of them, sent twice, and refunds, sent before their
// donation for a share of the ActBlue gifts. Every acknowledged delivery is
// appended to -acked (one JSON line each), so that a checker can prove
// that none was lost.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/anedot"
)

type credentials struct {
	ActBlueUser        string `json:"actblue_user"`
	ActBluePassword    string `json:"actblue_password"`
	AnedotSecret       string `json:"anedot_secret"`
	ActionNetworkToken string `json:"actionnetwork_token"`
}

// An acked record is written for every delivery answered 200.
type acked struct {
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	ID       string `json:"id"` // line item, donation or resource id
	Status   string `json:"status"`
}

type result struct {
	latency time.Duration
	status  int
	err     bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "base URL of the receiver")
	tenant := fs.String("tenant", "default", "tenant")
	credPath := fs.String("credentials", "donorsync.db.credentials.json", "credentials file written by examples/server")
	rate := fs.Float64("rate", 0, "requests per second (open loop); 0 for a closed loop")
	conns := fs.Int("conns", 16, "connections (closed loop), or the most requests in flight (open loop)")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	mix := fs.String("mix", "actblue=6,anedot=2,actionnetwork=2", "provider weights")
	dup := fs.Float64("dup", 0.05, "share of deliveries sent twice")
	refundFirst := fs.Float64("refund-first", 0.02, "share of ActBlue gifts whose refund is sent before the gift")
	ackedPath := fs.String("acked", "", "file to append every acknowledged delivery to (JSON lines)")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, err := os.ReadFile(*credPath)
	if err != nil {
		return err
	}
	var creds credentials
	if err := json.Unmarshal(data, &creds); err != nil {
		return fmt.Errorf("%s: %w", *credPath, err)
	}
	weights, err := parseMix(*mix)
	if err != nil {
		return err
	}
	var ackFile *bufio.Writer
	var ackMu sync.Mutex
	if *ackedPath != "" {
		f, err := os.OpenFile(*ackedPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		ackFile = bufio.NewWriter(f)
		defer ackFile.Flush()
	}

	gen := &generator{base: *base, tenant: *tenant, creds: creds, weights: weights, dup: *dup, refundFirst: *refundFirst,
		rng: rand.New(rand.NewPCG(*seed, *seed^0x9e3779b97f4a7c15)), run: time.Now().UnixNano() % 1_000_000_000}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}, Timeout: 30 * time.Second}

	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	results := make(chan result, 4096)
	var sent atomic.Int64
	send := func(scheduled time.Time, d delivery) {
		r, err := d.request(ctx)
		if err != nil {
			results <- result{err: true}
			return
		}
		resp, err := client.Do(r)
		lat := time.Since(scheduled)
		if err != nil {
			results <- result{latency: lat, err: ctx.Err() == nil}
			return
		}
		var body struct {
			Status string `json:"status"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		results <- result{latency: lat, status: resp.StatusCode}
		if resp.StatusCode == http.StatusOK && ackFile != nil {
			line, _ := json.Marshal(acked{Provider: d.provider, Kind: d.kind, ID: d.id, Status: body.Status})
			ackMu.Lock()
			ackFile.Write(append(line, '\n'))
			ackMu.Unlock()
		}
	}

	var lats []time.Duration
	statuses := map[int]int{}
	errors := 0
	collected := make(chan struct{})
	go func() {
		for r := range results {
			if r.err {
				errors++
				continue
			}
			if r.status != 0 {
				lats = append(lats, r.latency)
				statuses[r.status]++
			}
		}
		close(collected)
	}()

	start := time.Now()
	var wg sync.WaitGroup
	if *rate > 0 {
		// Open loop: one goroutine per request, at most -conns in flight;
		// a request that cannot start on time still counts from its slot.
		slots := make(chan struct{}, *conns)
		interval := time.Duration(float64(time.Second) / *rate)
		next := start
		for ctx.Err() == nil {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			scheduled := next
			next = next.Add(interval)
			for _, d := range gen.next() {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
				}
				if ctx.Err() != nil {
					break
				}
				sent.Add(1)
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					send(scheduled, d)
				}()
			}
		}
	} else {
		var mu sync.Mutex
		for range *conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					mu.Lock()
					batch := gen.next()
					mu.Unlock()
					for _, d := range batch {
						if ctx.Err() != nil {
							return
						}
						sent.Add(1)
						send(time.Now(), d)
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	<-collected

	slices.Sort(lats)
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(p*float64(len(lats))))]
	}
	ok := statuses[http.StatusOK]
	fmt.Fprintf(out, "sent %d in %v: %.0f answered/s, %.0f acknowledged/s\n", sent.Load(), elapsed.Round(time.Millisecond),
		float64(len(lats))/elapsed.Seconds(), float64(ok)/elapsed.Seconds())
	fmt.Fprintf(out, "latency p50 %v  p99 %v  p99.9 %v  max %v\n", pct(0.50), pct(0.99), pct(0.999), pct(1))
	var codes []string
	for code, n := range statuses {
		if code != http.StatusOK {
			codes = append(codes, fmt.Sprintf("%d x%d", code, n))
		}
	}
	slices.Sort(codes)
	fmt.Fprintf(out, "non-2xx: %d %v; transport errors: %d\n", len(lats)-ok, codes, errors)
	return nil
}

func parseMix(s string) (map[string]int, error) {
	w := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		name, n, ok := strings.Cut(part, "=")
		var v int
		if _, err := fmt.Sscan(n, &v); !ok || err != nil || v < 0 {
			return nil, fmt.Errorf("-mix: %q: want provider=weight", part)
		}
		switch name {
		case "actblue", "anedot", "actionnetwork":
			w[name] = v
		default:
			return nil, fmt.Errorf("-mix: unknown provider %q", name)
		}
	}
	return w, nil
}

// A delivery is one request to send.
type delivery struct {
	provider, kind, id string
	url                string
	body               []byte
	sign               func(*http.Request)
}

func (d delivery) request(ctx context.Context) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, strings.NewReader(string(d.body)))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	if d.sign != nil {
		d.sign(r)
	}
	return r, nil
}

// generator makes unique deliveries. It is not safe for concurrent use.
type generator struct {
	base, tenant string
	creds        credentials
	weights      map[string]int
	dup          float64
	refundFirst  float64
	rng          *rand.Rand
	run          int64
	n            int64
}

// next returns the deliveries of one step: usually one; two for a
// duplicate or for a refund sent before its gift.
func (g *generator) next() []delivery {
	g.n++
	id := g.run*1_000_000 + g.n
	total := 0
	for _, w := range g.weights {
		total += w
	}
	pick := g.rng.IntN(max(total, 1))
	provider := "actblue"
	for _, name := range []string{"actblue", "anedot", "actionnetwork"} {
		if pick < g.weights[name] {
			provider = name
			break
		}
		pick -= g.weights[name]
	}
	donor := g.rng.IntN(5000) // donors recur, so contacts are matched and merged
	var out []delivery
	switch provider {
	case "actblue":
		cred := actblue.Credential{Username: g.creds.ActBlueUser, Password: g.creds.ActBluePassword}
		sign := func(r *http.Request) { r.SetBasicAuth(cred.Username, cred.Password) }
		url := g.base + "/webhooks/actblue/" + g.tenant
		gift := delivery{provider: provider, kind: "contribution", id: fmt.Sprint(id), url: url, body: actblueBody(id, donor, ""), sign: sign}
		if g.rng.Float64() < g.refundFirst {
			refund := delivery{provider: provider, kind: "refund", id: fmt.Sprint(id), url: url, body: actblueBody(id, donor, `,"refundedAt":"2024-06-10T10:00:00-04:00"`), sign: sign}
			out = append(out, refund)
		}
		out = append(out, gift)
	case "anedot":
		body := anedotBody(id, donor)
		secret := g.creds.AnedotSecret
		out = append(out, delivery{provider: provider, kind: "donation_completed", id: fmt.Sprintf("d%d", id), url: g.base + "/webhooks/anedot/" + g.tenant,
			body: body, sign: func(r *http.Request) { r.Header.Set(anedot.SignatureHeader, anedot.Sign(secret, body)) }})
	default:
		out = append(out, delivery{provider: provider, kind: "osdi:donation", id: fmt.Sprintf("an-%d", id),
			url: g.base + "/webhooks/actionnetwork/" + g.tenant + "/" + g.creds.ActionNetworkToken, body: actionNetworkBody(id, donor)})
	}
	if g.rng.Float64() < g.dup {
		out = append(out, out[len(out)-1])
	}
	return out
}

func actblueBody(id int64, donor int, refund string) []byte {
	return fmt.Appendf(nil, `{"donor":{"firstname":"Load","lastname":"Donor%d","addr1":"%d Main St","city":"Austin","state":"TX","zip":"78701",
"country":"US","email":"donor%d@load.example","phone":"512555%04d","employerData":{"employer":"Load Co","occupation":"Tester"}},
"contribution":{"createdAt":"2024-06-07T15:49:32-04:00","orderNumber":"AB%d","contributionForm":"load","refcodes":{"refcode":"load"},
"recurringPeriod":"once","recurringDuration":0,"isPaypal":false,"isMobile":true,"isExpress":false,"withExpressLane":false,"status":"approved","customFields":[]},
"lineitems":[{"sequence":0,"entityId":99999,"fecId":"C00999999","committeeName":"Load Committee","amount":"25.00",
"paidAt":"2024-06-07T15:49:33-04:00","lineitemId":%d%s}]}`, donor, donor, donor, donor%10000, id, id, refund)
}

func anedotBody(id int64, donor int) []byte {
	return fmt.Appendf(nil, `{"event":"donation_completed","payload":{"submission_id":"s%d","donation":{"id":"d%d","fees":{"anedot_fees":{"amount":"1.30"},"vendor_fees":[]}},
"origin":"hosted","event_amount":"25.00","amount_in_dollars":"25.0","net_amount":"23.70","frequency":"once",
"created_at":"2024-06-07 22:06:25 UTC","updated_at":"2024-06-07 22:06:26 UTC","email":"donor%d@load.example",
"first_name":"Load","last_name":"Donor%d","address_line_1":"%d Main St","address_city":"Austin","address_region":"TX","address_postal_code":"78701"}}`,
		id, id, donor, donor, donor)
}

func actionNetworkBody(id int64, donor int) []byte {
	return fmt.Appendf(nil, `[{"osdi:donation":{"identifiers":["action_network:an-%d"],"created_date":"2024-06-08T09:00:00Z","modified_date":"2024-06-08T09:00:00Z",
"currency":"usd","amount":"10.00","recipients":[{"display_name":"Load Group","amount":"10.00"}],
"person":{"modified_date":"2024-06-08T09:00:00Z","given_name":"Load","family_name":"Donor%d","email_addresses":[{"address":"donor%d@load.example","primary":true}]}},
"action_network:sponsor":{"title":"Load Group"},"idempotency_key":"an-%d"}]`, id, donor, donor, id)
}
