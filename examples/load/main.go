// Command load sends authenticated deliveries of all three platforms to a
// donorsync receiver and reports throughput and latency.
//
//	go run ./examples/load -url http://127.0.0.1:8080 -rate 2000 -duration 30s      (open loop)
//	go run ./examples/load -url http://127.0.0.1:8080 -conns 32 -duration 30s        (closed loop)
//	go run ./examples/load -check acked.jsonl                                         (prove nothing was lost)
//
// With -rate, requests are scheduled at a fixed rate and each latency is
// measured from its scheduled time, so a slow receiver cannot hide its
// queueing. Without it, -conns connections send as fast as they are
// answered. Every delivery is unique (new line items, donation and
// resource ids), except a -dup share sent twice, and a -refund-first share
// of ActBlue gifts whose refund arrives before the gift. With -acked,
// every acknowledged delivery is appended to a file (JSON lines); -check
// then asks the receiver's read API for each one.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/donorsync/donorsync/examples/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// An acked record is written for every delivery answered 200.
type acked struct {
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	Status   string `json:"status"`
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
	check := fs.String("check", "", "check that every delivery recorded in this file is in the receiver, then exit")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, err := os.ReadFile(*credPath)
	if err != nil {
		return err
	}
	var creds loadgen.Credentials
	if err := json.Unmarshal(data, &creds); err != nil {
		return fmt.Errorf("%s: %w", *credPath, err)
	}
	if *check != "" {
		return checkAcked(ctx, out, *base, *tenant, creds.AdminToken, *check)
	}
	weights, err := loadgen.ParseMix(*mix)
	if err != nil {
		return err
	}
	gen := loadgen.NewGenerator(*seed)
	gen.Base, gen.Tenant, gen.Creds, gen.Weights, gen.Dup, gen.RefundFirst = *base, *tenant, creds, weights, *dup, *refundFirst
	opts := loadgen.Options{Rate: *rate, Conns: *conns, Duration: *duration}
	if *ackedPath != "" {
		f, err := os.OpenFile(*ackedPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		w := bufio.NewWriter(f)
		defer w.Flush()
		var mu sync.Mutex
		opts.OnAck = func(d loadgen.Delivery, status string) {
			line, _ := json.Marshal(acked{Provider: d.Provider, Kind: d.Kind, ID: d.ID, Status: status})
			mu.Lock()
			w.Write(append(line, '\n'))
			mu.Unlock()
		}
	}
	opts.Timeout = 30 * time.Second
	// Plain HTTP goes through loadgen.Conns, which leaves more of a shared
	// machine's CPU to the receiver; https through an http.Client.
	var client loadgen.Doer = loadgen.NewConns(*conns)
	if !strings.HasPrefix(*base, "http://") {
		client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}}
	}
	fmt.Fprintln(out, loadgen.Run(ctx, client, gen, opts))
	return nil
}

// checkAcked reads the donations of the tenant through the read API and
// reports every acknowledged delivery whose donation is missing.
func checkAcked(ctx context.Context, out io.Writer, base, tenant, token, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	want := map[string]acked{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a acked
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		want[a.Provider+"/"+a.ID] = a
	}
	have := map[string]bool{}
	after := ""
	for {
		r, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/%s/donations?limit=1000&after=%s", base, tenant, after), nil)
		r.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return err
		}
		var page struct {
			Items []struct {
				ID         string `json:"id"`
				Provider   string `json:"provider"`
				ExternalID string `json:"external_id"`
			} `json:"items"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("read API: status %d: %v", resp.StatusCode, err)
		}
		if len(page.Items) == 0 {
			break
		}
		for _, d := range page.Items {
			have[d.Provider+"/"+d.ExternalID] = true
		}
		after = page.Items[len(page.Items)-1].ID
	}
	missing := 0
	for k := range want {
		if !have[k] {
			missing++
			if missing <= 10 {
				fmt.Fprintln(out, "missing:", k)
			}
		}
	}
	fmt.Fprintf(out, "%d acknowledged deliveries, %d donations in the receiver, %d missing\n", len(want), len(have), missing)
	if missing > 0 {
		return fmt.Errorf("%d acknowledged deliveries are not in the receiver", missing)
	}
	return nil
}
