package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options shape a run.
type Options struct {
	// Rate is the open-loop rate in requests per second: requests are
	// scheduled at fixed times and latency counts from the scheduled time.
	// 0 runs a closed loop: Conns senders, each sending when answered.
	Rate float64
	// Conns is the number of closed-loop senders, or the most requests in
	// flight in an open loop.
	Conns int
	// Duration is how long to send.
	Duration time.Duration
	// Timeout, when set, bounds each request; one cut off counts as a
	// transport error.
	Timeout time.Duration
	// OnAck, when set, is called for every delivery answered 200, with
	// the status the receiver gave it.
	OnAck func(d Delivery, status string)
}

// A Report sums up a run.
type Report struct {
	Sent, Answered, OK  int
	Elapsed             time.Duration
	P50, P99, P999, Max time.Duration
	Codes               map[int]int // answers other than 200
	Errors              int         // transport errors
}

// Throughput returns the acknowledged deliveries per second.
func (r Report) Throughput() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

func (r Report) String() string {
	var codes []string
	for code, n := range r.Codes {
		codes = append(codes, fmt.Sprintf("%d x%d", code, n))
	}
	slices.Sort(codes)
	return fmt.Sprintf("sent %d in %v: %.0f acknowledged/s\nlatency p50 %v  p99 %v  p99.9 %v  max %v\nnon-2xx: %d %v; transport errors: %d",
		r.Sent, r.Elapsed.Round(time.Millisecond), r.Throughput(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond),
		r.P999.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Answered-r.OK, codes, r.Errors)
}

// Run sends deliveries from gen with client until opts.Duration passes or
// ctx is done.
func Run(ctx context.Context, client Doer, gen *Generator, opts Options) Report {
	ctx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	r := &runner{client: client, opts: opts, rep: Report{Codes: map[int]int{}}}
	start := time.Now()
	if opts.Rate > 0 {
		r.openLoop(ctx, gen, start)
	} else {
		r.closedLoop(ctx, gen)
	}
	return r.report(time.Since(start))
}

// A runner is a run in progress.
type runner struct {
	client Doer
	opts   Options
	sent   atomic.Int64
	wg     sync.WaitGroup

	mu   sync.Mutex
	lats []time.Duration
	rep  Report
}

// openLoop sends at opts.Rate, requests scheduled at fixed times, at
// most opts.Conns in flight, until ctx is done.
func (r *runner) openLoop(ctx context.Context, gen *Generator, start time.Time) {
	slots := make(chan struct{}, max(r.opts.Conns, 1))
	interval := time.Duration(float64(time.Second) / r.opts.Rate)
	next := start
	for ctx.Err() == nil {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		scheduled := next
		next = next.Add(interval)
		for _, d := range gen.Next() {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				r.wg.Wait()
				return
			}
			r.sent.Add(1)
			r.wg.Go(func() {
				defer func() { <-slots }()
				r.send(ctx, scheduled, d)
			})
		}
	}
	r.wg.Wait()
}

// closedLoop runs opts.Conns senders, each sending when answered, until
// ctx is done.
func (r *runner) closedLoop(ctx context.Context, gen *Generator) {
	var genMu sync.Mutex
	for range max(r.opts.Conns, 1) {
		r.wg.Go(func() {
			for ctx.Err() == nil {
				genMu.Lock()
				batch := gen.Next()
				genMu.Unlock()
				for _, d := range batch {
					if ctx.Err() != nil {
						return
					}
					r.sent.Add(1)
					r.send(ctx, time.Now(), d)
				}
			}
		})
	}
	r.wg.Wait()
}

// send sends d, scheduled at scheduled, and counts its answer.
func (r *runner) send(ctx context.Context, scheduled time.Time, d Delivery) {
	rctx := ctx
	if r.opts.Timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, r.opts.Timeout)
		defer cancel()
	}
	req, err := d.Request(rctx)
	if err != nil {
		return
	}
	resp, err := r.client.Do(req)
	lat := time.Since(scheduled)
	if err != nil {
		// Requests cut off by the end of the run are not errors; a dial
		// or read can fail on the deadline a moment before ctx's own
		// timer fires.
		if ctxErr(ctx, nil) == nil {
			r.mu.Lock()
			r.rep.Errors++
			r.mu.Unlock()
		}
		return
	}
	var body struct {
		Status string `json:"status"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r.mu.Lock()
	r.lats = append(r.lats, lat)
	if resp.StatusCode == http.StatusOK {
		r.rep.OK++
	} else {
		r.rep.Codes[resp.StatusCode]++
	}
	r.mu.Unlock()
	if resp.StatusCode == http.StatusOK && r.opts.OnAck != nil {
		r.opts.OnAck(d, body.Status)
	}
}

// report sums up the run, which took elapsed.
func (r *runner) report(elapsed time.Duration) Report {
	rep := r.rep
	rep.Elapsed = elapsed
	rep.Sent = int(r.sent.Load())
	rep.Answered = len(r.lats)
	slices.Sort(r.lats)
	pct := func(p float64) time.Duration {
		if len(r.lats) == 0 {
			return 0
		}
		return r.lats[min(len(r.lats)-1, int(p*float64(len(r.lats))))]
	}
	rep.P50, rep.P99, rep.P999, rep.Max = pct(0.50), pct(0.99), pct(0.999), pct(1)
	return rep
}

// ParseMix reads provider weights such as "actblue=6,anedot=2,actionnetwork=2".
func ParseMix(s string) (map[string]int, error) {
	w := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		name, n, ok := strings.Cut(part, "=")
		var v int
		if _, err := fmt.Sscan(n, &v); !ok || err != nil || v < 0 {
			return nil, fmt.Errorf("mix: %q: want provider=weight", part)
		}
		switch name {
		case "actblue", "anedot", "actionnetwork":
			w[name] = v
		default:
			return nil, fmt.Errorf("mix: unknown provider %q", name)
		}
	}
	return w, nil
}
