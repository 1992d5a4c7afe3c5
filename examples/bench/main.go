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
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/examples/internal/loadgen"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/jackc/pgx/v5/stdlib"
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
	flag.IntVar(&gogc, "gogc", gogc, "the garbage collector's target (GOGC) for the whole run; 400 is the example server's, 100 Go's default")
	flag.StringVar(&only, "only", "", "run only these comma-separated parts: sqlite-ack, sqlite-e2e, postgres, payload, memory, and sqlite-drafts (end to end with drafts against without, run only when named)")
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
// drafts' comparison runs only when named.
func part(name string) bool {
	if only == "" {
		return name != "sqlite-drafts"
	}
	return slices.Contains(strings.Split(only, ","), name)
}

func run(ctx context.Context, out string, d time.Duration) error {
	dir, err := os.MkdirTemp("", "donorsync-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var rows []row
	var notes []string

	if part("sqlite-ack") {
		// Ack path on SQLite: a bare handler with a batched insert, then
		// donorsync (authenticate + journal durably + 200, queued mode).
		bare, err := bareSQLite(ctx, filepath.Join(dir, "bare.db"), true)
		if err != nil {
			return err
		}
		bodies, err := bareSQLite(ctx, filepath.Join(dir, "bodies.db"), false)
		if err != nil {
			return err
		}
		st, err := sqlite.Open(ctx, filepath.Join(dir, "ack.db"), sqliteOptions())
		if err != nil {
			return err
		}
		ours := receiver(st, quiet, true)
		rows = append(rows, ackRows(ctx, "SQLite", d, ours, bare, bodies)...)
		rows = append(rows, latencyRows(ctx, "SQLite", d, ours, bare, nil)...)
		st.Close()
	}

	if part("sqlite-e2e") {
		// End to end on SQLite: HTTP to processed contacts and donations,
		// each run from an empty database file, so that the runs compare.
		for _, queued := range []bool{true, false} {
			r, err := endToEndRow("End to end into SQLite ≥ 5,000 donations/s, "+mode(queued, sqliteQueue), 5000,
				func(n int) (float64, e2eReport, error) {
					st, err := sqlite.Open(ctx, filepath.Join(dir, fmt.Sprintf("e2e-%v-%d.db", queued, n)), sqliteOptions())
					if err != nil {
						return 0, e2eReport{}, err
					}
					defer st.Close()
					rate, rep := endToEnd(ctx, st, quiet, d, queued, sqliteQueue, n)
					return rate, rep, nil
				})
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
	}

	if part("sqlite-drafts") {
		r, err := draftRows(ctx, dir, quiet, d, max(rounds, 2))
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}

	// PostgreSQL, where a server is configured.
	url := os.Getenv("DONORSYNC_POSTGRES_URL")
	switch {
	case !part("postgres"):
	case url != "":
		pgRows, err := benchPostgres(ctx, url, quiet, d)
		if err != nil {
			return err
		}
		rows = append(rows, pgRows...)
	default:
		notes = append(notes, "PostgreSQL not measured: DONORSYNC_POSTGRES_URL was not set.")
	}

	if part("payload") {
		// Per payload, from the Go benchmarks.
		if r, err := goBench("./actblue", "VerifyDecode/ratio", "actblue/map"); err == nil {
			rows = append(rows, row{"Verify + decode + normalise a 2.3 KB ActBlue payload ≤ 0.5× json.Unmarshal into map[string]any", "", "", fmt.Sprintf("%.2f×", r), verdict(r <= 0.5)})
		} else {
			notes = append(notes, "actblue benchmark: "+err.Error())
		}
		if r, err := goBench("./anedot", "Verify/ratio", "verify/sha256"); err == nil {
			rows = append(rows, row{"Anedot HMAC verify ≤ 1.3× a SHA-256 of the body, ≤ 1 allocation", "1 alloc/op", "", fmt.Sprintf("%.2f×", r), verdict(r <= 1.3)})
		} else {
			notes = append(notes, "anedot benchmark: "+err.Error())
		}

	}

	if part("memory") {
		// Memory over a soak at a steady rate.
		st, err := sqlite.Open(ctx, filepath.Join(dir, "soak.db"), sqliteOptions())
		if err != nil {
			return err
		}
		soak := receiver(st, quiet, true)
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rss := sampleRSS(ctx, 4*d)
		soakRep := open(ctx, soak, 1000, 4*d)
		samples := <-rss
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		st.Close()
		perReq := float64(after.TotalAlloc-before.TotalAlloc) / float64(max(soakRep.Sent, 1))
		rows = append(rows, row{"Memory: bounded by in-flight requests × body limit; flat over a soak",
			fmt.Sprintf("RSS %s MiB over %v at 1,000/s (first → last, peak)", rssSummary(samples), (4 * d).Round(time.Second)),
			fmt.Sprintf("%.1f KiB allocated per request, client included", perReq/1024), "", verdict(flat(samples))})
	}

	return write(out, rows, notes, d)
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
		Ingester: &donorsync.Ingester{Store: store, Logger: log}, Logger: log, Queued: queued})
	return mux
}

// The ack path's baselines answer 200 once the body is inserted, with
// others in one transaction, by a bare net/http handler: no
// authentication, no parsing. The design's bound inserts the same rows as
// donorsync's journal, into a table like its own (deliveries: the same
// columns and indexes); the body alone, in a table of one column and no
// index, is measured beside it for reference.

// bareSQLite is the baseline on a SQLite file like the store's, in WAL
// mode with synchronous=FULL: with sameRows, the deliveries table of a
// store made by sqlite.Open; otherwise a table of bodies.
func bareSQLite(ctx context.Context, path string, sameRows bool) (http.Handler, error) {
	if sameRows {
		st, err := sqlite.Open(ctx, path, nil)
		if err != nil {
			return nil, err
		}
		if err := st.Close(); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if sameRows {
		return batchedInsert(db, deliveryInsert(func(int) string { return "?" }), deliveryArgs), nil
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		return nil, err
	}
	return batchedInsert(db, `INSERT INTO rows (body) VALUES (?)`, bodyArgs), nil
}

// deliveryInsert inserts one row into a store's deliveries table, with
// placeholder(n) the nth parameter.
func deliveryInsert(placeholder func(n int) string) string {
	const columns = "tenant, id, provider, kind, key, body, received_at, status, duplicate_of, attempts, error, updated_at, next_attempt_at, claimed_until"
	ps := make([]string, strings.Count(columns, ",")+1)
	for i := range ps {
		ps[i] = placeholder(i + 1)
	}
	return "INSERT INTO deliveries (" + columns + ") VALUES (" + strings.Join(ps, ", ") + ")"
}

// baselineKeys numbers the rows of the baselines, so that each has a key
// of its own, as each delivery of the load does.
var baselineKeys atomic.Int64

// deliveryArgs are the values of deliveryInsert that donorsync journals
// for a pending ActBlue donation with body.
func deliveryArgs(body []byte) []any {
	now := time.Now().UnixMicro()
	key := "donation:" + strconv.FormatInt(baselineKeys.Add(1), 10)
	return []any{"default", donorsync.NewID("dl"), "actblue", "", key, body, now, string(donorsync.Pending), "", 0, "", now, 0, 0}
}

// bodyArgs are the values of an insert of the body alone.
func bodyArgs(body []byte) []any { return []any{body} }

type insertJob struct {
	args []any
	done chan error
}

// batchedInsert is a bare handler: it reads the body and hands the values
// args makes of it to one goroutine, which inserts everything handed to
// it meanwhile (up to 256 rows) in one transaction, with a statement
// prepared once; it answers 200 after the commit.
func batchedInsert(db *sql.DB, insert string, args func(body []byte) []any) http.Handler {
	jobs := make(chan insertJob, 4096)
	go func() {
		stmt, prepErr := db.Prepare(insert) // on failure, every request is answered 503
		for first := range jobs {
			batch := []insertJob{first}
		more:
			for len(batch) < 256 {
				select {
				case j := <-jobs:
					batch = append(batch, j)
				default:
					break more
				}
			}
			err := prepErr
			var tx *sql.Tx
			if err == nil {
				tx, err = db.Begin()
			}
			if err == nil {
				stmt := tx.Stmt(stmt)
				for _, j := range batch {
					if _, err = stmt.Exec(j.args...); err != nil {
						break
					}
				}
				if err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
			}
			for _, j := range batch {
				j.done <- err
			}
		}
	}()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		done := make(chan error, 1)
		jobs <- insertJob{args(body), done}
		if err := <-done; err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"pending"}`+"\n")
	})
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
	c := loadgen.NewConns(opts.Conns)
	defer c.CloseIdle()
	return loadgen.Run(ctx, c, generator(base, tenant), opts)
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tenant := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	h := tenantReceiver(store, log, queued, tenant)
	auth, _ := actblue.NewAuthenticator(actblue.Credential{Tenant: tenant, Username: creds.ActBlueUser, Password: creds.ActBluePassword})
	src, _ := actblue.NewSource(auth, actblue.Options{})
	ing := &donorsync.Ingester{Store: store, Logger: log}
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
	rep := send(ctx, base, tenant, loadgen.Options{Conns: n, Duration: d})
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

// freshSchema makes a schema of its own for a run, so that each run
// starts from empty tables as each SQLite run starts from an empty file,
// and returns dsn with the schema as search path; drop drops it.
func freshSchema(ctx context.Context, db *sql.DB, dsn string) (schemaDSN string, drop func(), err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("DONORSYNC_POSTGRES_URL: %w", err)
	}
	schema := fmt.Sprintf("donorsync_bench_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop = func() {
		ctx := context.WithoutCancel(ctx)
		db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		// Write out now what the run left in the server's buffers, so that
		// flushing it does not land in the next run (needs a superuser;
		// skipped otherwise).
		db.ExecContext(ctx, "CHECKPOINT")
	}
	q := u.Query()
	q.Set("search_path", schema) // a run-time parameter of each connection
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// freshPostgres opens a Store in a schema of its own; done closes it and
// drops the schema.
func freshPostgres(ctx context.Context, db *sql.DB, dsn string) (st *postgres.Store, done func(), err error) {
	schemaDSN, drop, err := freshSchema(ctx, db, dsn)
	if err != nil {
		return nil, nil, err
	}
	st, err = postgres.Open(ctx, schemaDSN)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { st.Close(); drop() }, nil
}

// freshDB returns a database/sql handle on the tables of a Store in a
// schema of its own (migrated by postgres.Open), for the baseline of the
// same rows; done closes it and drops the schema.
func freshDB(ctx context.Context, db *sql.DB, dsn string) (schemaDB *sql.DB, done func(), err error) {
	schemaDSN, drop, err := freshSchema(ctx, db, dsn)
	if err != nil {
		return nil, nil, err
	}
	st, err := postgres.Open(ctx, schemaDSN)
	if err == nil {
		st.Close()
		schemaDB, err = sql.Open("pgx", schemaDSN)
	}
	if err != nil {
		drop()
		return nil, nil, err
	}
	return schemaDB, func() { schemaDB.Close(); drop() }, nil
}

func benchPostgres(ctx context.Context, url string, log *slog.Logger, d time.Duration) ([]row, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(4)
	st, done, err := freshPostgres(ctx, db, url)
	if err != nil {
		return nil, err
	}
	defer done()
	// Fresh tables for the baselines: the deliveries table of a store in
	// a schema of its own, and a table of bodies.
	bareDB, dropBare, err := freshDB(ctx, db, url)
	if err != nil {
		return nil, err
	}
	defer dropBare()
	if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)`); err != nil {
		return nil, err
	}
	bare := batchedInsert(bareDB, deliveryInsert(func(n int) string { return "$" + strconv.Itoa(n) }), deliveryArgs)
	bodies := batchedInsert(db, `INSERT INTO bench_rows (body) VALUES ($1)`, bodyArgs)
	ours := receiver(st, log, true)
	rows := ackRows(ctx, "PostgreSQL", d, ours, bare, bodies)
	// Each open loop starts with the server's buffers written out
	// (CHECKPOINT, as after each end-to-end run), so that neither side
	// meets the checkpoint that the closed loops' writes brought on.
	rows = append(rows, latencyRows(ctx, "PostgreSQL", d, ours, bare, func() { db.ExecContext(ctx, "CHECKPOINT") })...)
	for _, queued := range []bool{true, false} {
		r, err := endToEndRow("End to end into PostgreSQL ≥ 3,000 donations/s, "+mode(queued, postgresQueue), 3000,
			func(n int) (float64, e2eReport, error) {
				st, done, err := freshPostgres(ctx, db, url)
				if err != nil {
					return 0, e2eReport{}, err
				}
				defer done()
				rate, rep := endToEnd(ctx, st, log, d, queued, postgresQueue, n)
				return rate, rep, nil
			})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
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

var _ = stdlib.GetDefaultDriver // registers the "pgx" driver

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

// sampleRSS reads the process's resident set size every second for d.
func sampleRSS(ctx context.Context, d time.Duration) <-chan []float64 {
	out := make(chan []float64, 1)
	go func() {
		var samples []float64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		end := time.After(d)
		for {
			samples = append(samples, rss())
			select {
			case <-t.C:
			case <-end:
				out <- samples
				return
			case <-ctx.Done():
				out <- samples
				return
			}
		}
	}()
	return out
}

func rss() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// flat reports whether the second half of a soak grew less than 20% over
// the first half's peak.
func flat(s []float64) bool {
	if len(s) < 4 {
		return false
	}
	peak1, peak2 := 0.0, 0.0
	for i, v := range s {
		if i < len(s)/2 {
			peak1 = max(peak1, v)
		} else {
			peak2 = max(peak2, v)
		}
	}
	return peak2 <= peak1*1.2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// rounds is how many times ackRows measures each side at each
// connection count.
var rounds = 2

// ackRows compares the best throughput of ours on store with the best of
// a bare handler inserting the same rows (the goal's bound: 0.65), and for
// reference with the best of one inserting the body alone, each over the
// connection counts and rounds. The three take turns, so that all meet
// the same moments of a shared machine.
func ackRows(ctx context.Context, store string, d time.Duration, ours, same, bodies http.Handler) []row {
	sides := []http.Handler{same, bodies, ours}
	top, at := make([]float64, len(sides)), make([]int, len(sides))
	for range max(rounds, 1) {
		for _, n := range conns {
			for i, h := range sides {
				if v := closed(ctx, h, d, n).Throughput(); v > top[i] {
					top[i], at[i] = v, n
				}
			}
		}
	}
	of := fmt.Sprintf(" (%s, %d rounds)", bestOf(), max(rounds, 1))
	goal := ratioRow("Ack path on "+store+": throughput ≥ 65% of a bare net/http handler with a batched insert of the same rows (a deliveries table like the store's)"+of,
		top[2], top[0], 0.65, true, "%.0f/s")
	goal.measured += fmt.Sprintf(" (%d conns)", at[2])
	goal.baseline += fmt.Sprintf(" (%d conns)", at[0])
	ref := ratioRow("Ack path on "+store+", for reference: beside a batched insert of the body alone (one column, no index)"+of,
		top[2], top[1], 0, true, "%.0f/s")
	ref.measured += fmt.Sprintf(" (%d conns)", at[2])
	ref.baseline += fmt.Sprintf(" (%d conns)", at[1])
	ref.verdict = "reference"
	return []row{goal, ref}
}

// latencyRows compares the latencies of ours on store with those of the
// bare handler, in open loops at 2,000 requests/s: the p99 against 2× the
// bare handler's, the slowest answer against 250 ms. settle, when not
// nil, runs before each loop.
func latencyRows(ctx context.Context, store string, d time.Duration, ours, bare http.Handler, settle func()) []row {
	if settle == nil {
		settle = func() {}
	}
	settle()
	bareOpen := open(ctx, bare, 2000, d)
	settle()
	oursOpen := open(ctx, ours, 2000, d)
	return []row{
		ratioRow("Ack path on "+store+": p99 ≤ 2× the bare handler's p99 at 2,000 requests/s",
			ms(oursOpen.P99), ms(bareOpen.P99), 2, false, "%.2f ms"),
		{"Ack path on " + store + ": no response over 250 ms at 2,000 requests/s", fmt.Sprintf("max %.1f ms, %d non-2xx",
			ms(oursOpen.Max), oursOpen.Answered-oursOpen.OK), fmt.Sprintf("max %.1f ms", ms(bareOpen.Max)), "",
			verdict(ms(oursOpen.Max) <= 250 && oursOpen.OK == oursOpen.Answered)},
	}
}

// endToEndRow reports the best end-to-end rate over the connection counts
// against goal.
func endToEndRow(goal string, want float64, run func(conns int) (float64, e2eReport, error)) (row, error) {
	reps := map[int]e2eReport{}
	var errs []error
	rate, at := best(func(n int) float64 {
		rate, rep, err := run(n)
		errs = append(errs, err)
		reps[n] = rep
		return rate
	})
	rep := reps[at]
	return row{goal + " (" + bestOf() + ")", fmt.Sprintf("%.0f/s (%d conns)", rate, at),
		fmt.Sprintf("answered %.0f/s; this process's CPU %.2f cores, %.0f µs a delivery", rep.Throughput(), rep.cores, float64(rep.perDelivery)/float64(time.Microsecond)),
		"", verdict(rate >= want)}, errors.Join(errs...)
}

// ratioRow compares measured with baseline: higher is better when
// higherBetter, and the goal is a bound on measured/baseline.
func ratioRow(goal string, measured, baseline, bound float64, higherBetter bool, unit string) row {
	r := measured / baseline
	ok := r <= bound
	if higherBetter {
		ok = r >= bound
	}
	return row{goal, fmt.Sprintf(unit, measured), fmt.Sprintf(unit, baseline), fmt.Sprintf("%.2f×", r), verdict(ok)}
}

func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func write(path string, rows []row, notes []string, d time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nEach goal of the design beside a baseline measured in the same run, on the same machine.\n\n")
	fmt.Fprintf(&b, "- Date: %s\n- Machine: %s\n- Command: `go run ./examples/bench` (each load run %v; client and server in one process; GOGC=%d for the whole run, as the example server sets it: `-gogc 100` for Go's default)\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine(), d, gogc)
	b.WriteString("| goal | donorsync | baseline | ratio | verdict |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.goal, r.measured, r.baseline, r.ratio, r.verdict)
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	fmt.Print(b.String())
	// Keep the written findings of an earlier run: they explain the table.
	if old, err := os.ReadFile(path); err == nil {
		if i := strings.Index(string(old), findings); i >= 0 {
			b.WriteString("\n" + string(old[i:]))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func rssSummary(s []float64) string {
	if len(s) == 0 {
		return "?"
	}
	peak := 0.0
	for _, v := range s {
		peak = max(peak, v)
	}
	return fmt.Sprintf("%.0f → %.0f, peak %.0f", s[0], s[len(s)-1], peak)
}
