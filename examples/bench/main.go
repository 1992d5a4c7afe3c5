// Command bench measures donorsync against the goals of its design, each
// beside a baseline measured in the same run on the same machine, and
// writes the results to BENCHMARKS.md:
//
//	go run ./examples/bench [-out BENCHMARKS.md] [-duration 5s]
//
// Set DONORSYNC_POSTGRES_URL to measure PostgreSQL too. Client and server
// run in one process and share the machine, for the baselines as for
// donorsync.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/examples/internal/loadgen"
	"github.com/donorsync/donorsync/store/sqlite"
	_ "modernc.org/sqlite"
)

// findings starts the hand-written part of BENCHMARKS.md, kept across runs.
const findings = "## Findings"

var creds = loadgen.Credentials{ActBlueUser: "bench-000001", ActBluePassword: "BenchPasswordBenchPass12"}

func main() {
	out := flag.String("out", "BENCHMARKS.md", "file to write")
	duration := flag.Duration("duration", 5*time.Second, "length of each load run")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memprofile := flag.String("memprofile", "", "write a profile of the whole run's allocations to this file")
	flag.Func("conns", "comma-separated connection counts of the closed-loop runs (default 32,128,256); each throughput is the best of them", func(v string) error {
		conns = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("want positive numbers, such as 32,128: %q", f)
			}
			conns = append(conns, n)
		}
		return nil
	})
	flag.IntVar(&rounds, "rounds", 2, "rounds of the ack-path throughput runs, baseline and donorsync in turn; each throughput is the best of them")
	flag.IntVar(&recordCache, "record-cache", 0, "sqlite.Options.RecordCache of the SQLite stores: records kept between transactions (0: the default; -1: none)")
	flag.IntVar(&sqliteQueue.workers, "sqlite-workers", 1, "Workers applying the queued end-to-end runs on SQLite")
	flag.IntVar(&sqliteQueue.batch, "sqlite-batch", 128, "Worker.Batch of the queued end-to-end runs on SQLite")
	flag.IntVar(&postgresQueue.workers, "postgres-workers", 2, "Workers applying the queued end-to-end runs on PostgreSQL")
	flag.IntVar(&postgresQueue.batch, "postgres-batch", 256, "Worker.Batch of the queued end-to-end runs on PostgreSQL")
	flag.IntVar(&reconcileConcurrency, "reconcile-concurrency", reconcileConcurrency, "Reconciler.Concurrency of the reconcile part: rows applied at once")
	flag.IntVar(&growthDonations, "growth-donations", growthDonations, "donations the growth part fills its store with")
	flag.StringVar(&growthDB, "growth-db", "", "where the growth part keeps its filled store, to start from it in later runs (filled there when missing); \"\" fills one for the run")
	flag.IntVar(&gogc, "gogc", gogc, "the garbage collector's target (GOGC) for the whole run; 400 is the example server's, 100 Go's default")
	flag.StringVar(&only, "only", "", "run only these comma-separated parts: sqlite-ack, sqlite-e2e, postgres, payload, attack, memory, observe (end to end with the Prometheus Observer against without), feed (queued end to end with the change feed on against off, SQLite and PostgreSQL), and, run only when named, sqlite-drafts (end to end with drafts against without), sqlite-index (end to end on a journal of 200,000 deliveries with the index JournalStats reads against without), growth (the bytes a donation in a store of 500,000, and end to end into it against into an empty store) and reconcile (ActBlue's reports reconciled and backfilled)")
	flag.Parse()
	debug.SetGCPercent(gogc)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	err := run(context.Background(), *out, *duration)
	if err == nil && *memprofile != "" {
		err = writeAllocs(*memprofile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// writeAllocs writes a profile of the allocations of the run to path
// (go tool pprof -sample_index=alloc_space).
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type row struct{ goal, measured, baseline, ratio, verdict string }

// recordCache is the SQLite stores' Options.RecordCache.
var recordCache int

// sqliteOptions are the options of the SQLite stores.
func sqliteOptions() *sqlite.Options { return &sqlite.Options{RecordCache: recordCache} }

// queue is how a queued end-to-end run applies its deliveries.
type queue struct {
	workers int // Workers
	batch   int // Worker.Batch
}

// sqliteQueue and postgresQueue are the queues of each store's queued
// end-to-end runs. SQLite writes one transaction at a time: one Worker,
// reading its next batch while one is applied, keeps its share of the
// writer busy, and a second would only take turns with it. PostgreSQL's
// Workers run side by side, and apply more per commit in batches of 256.
var sqliteQueue, postgresQueue queue

// gogc is the garbage collector's target during the run: by default the
// example server's (GOGC=400 unless its environment sets GOGC), so that
// the receiver is measured as it runs there. Baselines run in the same
// process, under the same setting.
var gogc = 400

// only lists the parts to run; "" runs them all.
var only string

// conns are the connection counts of the closed-loop runs. A throughput
// bound is the best over them: a closed loop of n connections cannot go
// faster than n divided by the latency of one request, so one count alone
// measures the load generator as much as the receiver.
var conns = []int{32, 128, 256}

// best runs measure at each connection count and returns the highest
// result and the count that gave it.
func best(measure func(conns int) float64) (float64, int) {
	top, at := 0.0, 0
	for _, n := range conns {
		if v := measure(n); v > top {
			top, at = v, n
		}
	}
	return top, at
}

// bestOf names the connection counts in a goal's row.
func bestOf() string {
	s := make([]string, len(conns))
	for i, n := range conns {
		s[i] = strconv.Itoa(n)
	}
	return "best of " + strings.Join(s, ", ") + " connections"
}

// part reports whether the named part of the run is selected. The
// drafts' and the index's comparisons, the reconciliation and the growth
// runs run only when named: each takes minutes.
func part(name string) bool {
	if only == "" {
		return name != "sqlite-drafts" && name != "sqlite-index" && name != "reconcile" && name != "growth"
	}
	return slices.Contains(strings.Split(only, ","), name)
}

// run runs the selected parts in turn and writes their rows to out.
func run(ctx context.Context, out string, d time.Duration) error {
	dir, err := os.MkdirTemp("", "donorsync-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{ctx: ctx, dir: dir, log: slog.New(slog.NewTextHandler(io.Discard, nil)), d: d,
		postgres: os.Getenv("DONORSYNC_POSTGRES_URL")}
	var rows []row
	for _, p := range parts {
		if !part(p.name) {
			continue
		}
		r, err := p.rows(b)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		rows = append(rows, r...)
	}
	return write(out, rows, b.notes, d)
}

// receiver is a donorsync ActBlue handler on store for the tenant "default",
// without a worker.
func receiver(store donorsync.Store, log *slog.Logger, queued bool) http.Handler {
	return tenantReceiver(store, log, queued, "default")
}

func tenantReceiver(store donorsync.Store, log *slog.Logger, queued bool, tenant string) http.Handler {
	auth, _ := actblue.NewAuthenticator(actblue.Credential{Tenant: tenant, Username: creds.ActBlueUser, Password: creds.ActBluePassword})
	mux := http.NewServeMux()
	src, _ := actblue.NewSource(auth, actblue.Options{})
	mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{Source: src,
		Ingester: &donorsync.Ingester{Store: store, Logger: log, Observer: observer, RecordChanges: recordChanges}, Logger: log, Queued: queued})
	return mux
}

// serve runs h on a loopback port until ctx is done, and returns its URL.
func serve(ctx context.Context, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	return "http://" + ln.Addr().String()
}

// send runs a load of opts against base, on connections of its own.
func send(ctx context.Context, base, tenant string, opts loadgen.Options) loadgen.Report {
	return sendShaped(ctx, base, tenant, shape{}, opts)
}

// sendShaped is send with deliveries of shape s.
func sendShaped(ctx context.Context, base, tenant string, s shape, opts loadgen.Options) loadgen.Report {
	c := loadgen.NewConns(opts.Conns)
	defer c.CloseIdle()
	gen := generator(base, tenant)
	gen.ActBlueBody, gen.Donors = s.body, s.donors
	return loadgen.Run(ctx, c, gen, opts)
}

// A shape is what the deliveries of a run are like; the zero value is
// the load generator's default: short ActBlue bodies from 5,000 donors.
type shape struct {
	tenant string            // the tenant; "" for one of the run's own
	body   loadgen.BodyMaker // ActBlue's bodies; nil for short ones
	donors int               // distinct donors; 0 for 5,000
}

func generator(base, tenant string) *loadgen.Generator {
	gen := loadgen.NewGenerator(uint64(time.Now().UnixNano()))
	gen.Base, gen.Tenant, gen.Creds = base, tenant, creds
	return gen
}

// closed sends to h for d in a closed loop of n connections.
func closed(ctx context.Context, h http.Handler, d time.Duration, n int) loadgen.Report {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	base := serve(ctx, h)
	return send(ctx, base, "default", loadgen.Options{Conns: n, Duration: d})
}

func open(ctx context.Context, h http.Handler, rate float64, d time.Duration) loadgen.Report {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	base := serve(ctx, h)
	return send(ctx, base, "default", loadgen.Options{Rate: rate, Conns: 256, Duration: d})
}

// endToEnd sends for d in a closed loop of n connections to a receiver,
// queued (with q's Workers) or inline, then waits until every delivery is
// applied, and returns the deliveries applied per second over the whole
// time. It uses a tenant of its own, so that deliveries left by earlier
// runs on the same store are not counted or applied.
func endToEnd(ctx context.Context, store donorsync.Store, log *slog.Logger, d time.Duration, queued bool, q queue, n int) (float64, e2eReport) {
	return endToEndShaped(ctx, store, log, d, queued, q, n, shape{})
}

// lastTenant is the tenant of the last end-to-end run.
var lastTenant string

// endToEndShaped is endToEnd with deliveries of shape s, into its tenant
// when it names one.
func endToEndShaped(ctx context.Context, store donorsync.Store, log *slog.Logger, d time.Duration, queued bool, q queue, n int, s shape) (float64, e2eReport) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tenant := s.tenant
	if tenant == "" {
		tenant = fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	}
	lastTenant = tenant
	h := tenantReceiver(store, log, queued, tenant)
	auth, _ := actblue.NewAuthenticator(actblue.Credential{Tenant: tenant, Username: creds.ActBlueUser, Password: creds.ActBluePassword})
	src, _ := actblue.NewSource(auth, actblue.Options{})
	ing := &donorsync.Ingester{Store: store, Logger: log, Observer: observer, RecordChanges: recordChanges}
	workers := q.workers
	if !queued {
		workers = 0
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &donorsync.Worker{Ingester: ing, Sources: []donorsync.Source{src}, Tenant: tenant, Batch: q.batch, Poll: 5 * time.Millisecond}
			w.Run(ctx)
		}()
	}
	start, cpu := time.Now(), cpuTime()
	base := serve(ctx, h)
	rep := sendShaped(ctx, base, tenant, s, loadgen.Options{Conns: n, Duration: d})
	for {
		var pending []*donorsync.Delivery
		store.View(ctx, func(tx donorsync.Tx) error {
			var err error
			pending, err = tx.Deliveries(ctx, tenant, donorsync.DeliveryFilter{Status: donorsync.Pending, Page: donorsync.Page{Limit: 1}})
			return err
		})
		if len(pending) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	used := cpuTime() - cpu
	cancel()
	wg.Wait()
	return float64(rep.OK) / elapsed.Seconds(), e2eReport{rep, used.Seconds() / elapsed.Seconds(), used / time.Duration(max(rep.OK, 1))}
}

// e2eReport is the load client's report of an end-to-end run, with the
// CPU the process used until every delivery was applied (PostgreSQL's
// own processes not counted): cores busy on average, and time per
// delivery.
type e2eReport struct {
	loadgen.Report
	cores       float64
	perDelivery time.Duration
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mode names the receiver's mode in a goal's row.
func mode(queued bool, q queue) string {
	if !queued {
		return "inline"
	}
	workers := fmt.Sprintf("%d workers", q.workers)
	if q.workers == 1 {
		workers = "1 worker"
	}
	return fmt.Sprintf("queued (%s, batches of %d)", workers, q.batch)
}

// goBench runs one Go benchmark and returns its custom metric.
func goBench(pkg, name, metric string) (float64, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^Benchmark"+strings.ReplaceAll(name, "/", "$/^")+"$", "-benchtime", "2s", pkg)
	cmd.Dir = "."
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, out)
	}
	m := regexp.MustCompile(`([0-9.]+) ` + regexp.QuoteMeta(metric)).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no %s in %s", metric, out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
