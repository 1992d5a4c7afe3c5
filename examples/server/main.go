// Command server is a runnable donorsync receiver for ActBlue, Anedot and
// Action Network, for the tenant "default".
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-db donorsync.db | -db postgres://...] [-mode queued|inline]
//		[-print-credentials] [-new-credentials] [-credentials FILE]
//		[-header-timeout 5s] [-read-timeout 15s]
//		[-reconcile-every 24h] [-reconcile-days 3] [-backfill-from 2024-01-01]
//		[-forward URL] [-forward-name forward] [-forward-timeout 15s] [-forward-retry-max 5m]
//	go run ./examples/server reconcile [-from YYYY-MM-DD] [-to YYYY-MM-DD] [-apply] [-json] [-db PATH|URL] [-tenant default]
//	go run ./examples/server status | deliveries | show | replay ...   (operator commands: see below)
//
// It stores into a SQLite file (or PostgreSQL, given a postgres:// URL).
// On first start it generates the webhook credentials and an admin token,
// saves them beside the database (-credentials), and prints each webhook
// URL with its credentials, ready to paste into the platforms. Later
// starts print the URLs and say where the secrets are kept, not what they
// are; -print-credentials prints them again. The variables
// DONORSYNC_ACTBLUE_USER, DONORSYNC_ACTBLUE_PASSWORD,
// DONORSYNC_ANEDOT_SECRET, DONORSYNC_ACTIONNETWORK_TOKEN and
// DONORSYNC_ADMIN_TOKEN, where set, take precedence; a secret among them
// weaker than 128 bits is refused (see strength).
//
// Anedot has one webhook per template type, each with its own secret
// token, all sending to the same URL. The tokens of the webhooks beyond
// the first go in DONORSYNC_ANEDOT_SECRETS, comma-separated, or in the
// list anedot_secrets of the credentials file (the variable, where set,
// takes precedence and is not saved to the file); each one, held to the
// same 128 bits, is accepted as DONORSYNC_ANEDOT_SECRET is.
//
// The SQLite database, its -wal and -shm files, the credentials file and
// the backfill's record are readable by their owner only (0600): the
// server creates them so, and tightens them, with a warning, if it finds
// them looser.
//
// A database that exists without its credentials (the file lost, the
// variables unset) stops the server: generating new secrets would lock
// every platform out. -new-credentials generates them anyway; every
// platform must then be given the new ones.
//
// # Reconciling with ActBlue's reports
//
// ActBlue gives up on a webhook after ten attempts; its CSV reports still
// hold the gift. The reconcile command compares the paid, refunded and
// cancelled-recurring reports of the days from -from (inclusive; default 7
// days ago) to -to (exclusive; default tomorrow, so that today is
// included), in ActBlue's calendar (US Eastern), with the store at -db,
// which it does not create (see package actblue/reconcile); it may run
// while the server runs. It prints a table of the differences, or with
// -json the report as JSON, and with -apply applies the rows the store is
// missing: each once however often it runs, as every row has its own
// idempotency key. It exits 0 when nothing differs, 1 when something
// differs (applied or not: some differences, such as another amount here
// or a donation in no report, applying cannot mend) and 2 on an error.
//
// It reads the reports with the credential of ActBlue's CSV API (ActBlue
// dashboard, Admin > API Credentials) in DONORSYNC_ACTBLUE_CLIENT_UUID and
// DONORSYNC_ACTBLUE_CLIENT_SECRET. DONORSYNC_ACTBLUE_API_URL changes where
// the API is (default https://secure.actblue.com), and
// DONORSYNC_ACTBLUE_API_BUDGET the requests a minute sent to it (default
// 10, which a reconciliation of up to 180 days spends 6 of).
//
// The server reconciles in the background too, with the same credential,
// applying what the store is missing, one run at a time:
//
//   - -reconcile-every 24h reconciles today and the -reconcile-days days
//     before it (3 by default), at start and then that long after the end
//     of each run; 0 (the default) runs none. Each run logs a line with
//     its counts (rows, differences by kind, applied), or a warning when
//     it fails, and the next run is tried all the same.
//   - -backfill-from 2024-01-01 reconciles from that day to today, at the
//     first start, before the periodic runs (ActBlue's reports are asked
//     for 180 days at a time). Its completion is recorded beside the
//     database (DB.backfill.json, or donorsync.backfill.json for
//     PostgreSQL), so that a restart does not repeat it; a backfill from
//     an earlier day runs again. One stopped half-way, even by SIGKILL,
//     runs again at the next start, or at the next periodic run (hourly
//     without -reconcile-every) when it failed; nothing is applied twice.
//
// Either flag without the credential stops the server at start.
// GET /api/default/reconciliation (with the admin token) answers what the
// runs found and applied since the server started, and where the
// backfill stands.
//
// # Forwarding changes
//
// -forward https://crm.example/hooks/donorsync posts each change the
// server makes to its records to that URL: a contact created, updated or
// merged, a donation recorded, refunded, settled or updated, a commitment
// created, cancelled, failed or updated, an activity recorded (package
// change). Each is a request of Standard Webhooks
// (https://www.standardwebhooks.com/): a POST of the change's JSON
// (Content-Type: application/json: its id, tenant, position, kind, key,
// delivery, time, and the record as it is after the change), with the
// headers webhook-id (the change's id, the same at every attempt: a
// receiver deduplicates by it), webhook-timestamp (the attempt's, in Unix
// seconds) and webhook-signature ("v1," and the base64 of the
// HMAC-SHA256 of "id.timestamp.body", keyed by the secret). The secret,
// whsec_ and the base64 of its key, is generated at the first start with
// -forward, for an existing database too, kept in the credentials file
// (forward_secret) and printed then, as the other secrets are;
// DONORSYNC_FORWARD_SECRET, where set, takes precedence, and is refused
// unless it is whsec_ and the base64 of 24 to 64 random bytes.
//
// The changes of a tenant go one at a time, in the order they were made.
// A change the receiver does not answer 2xx within -forward-timeout
// (another status, a redirect, which is not followed, a timeout, a refused
// connection) is tried again, after 1 s, 2 s, 4 s and so on up to
// -forward-retry-max, before any later change is sent: at least once
// each, in order. Where the forwarding stands is kept in the store under
// -forward-name, so that a restart, even after a SIGKILL, goes on from
// there, sending again at most the 100 changes in hand; servers sharing a
// PostgreSQL database share the work, and those forwarding elsewhere
// need names of their own. Changes are recorded only while -forward is
// on, and kept 7 days once forwarded. The reconcile and replay commands
// record those they make when DONORSYNC_FORWARD is set. Log lines name
// the change, its kind and the receiver's answer, never donor data. See
// docs/forwarding.md for a receiver.
//
// # Settings from the environment
//
// Each flag, of the server and of the reconcile command, may also be set
// by a variable: DONORSYNC_ and the flag in upper snake case, as
// DONORSYNC_ADDR for -addr or DONORSYNC_RECONCILE_EVERY for
// -reconcile-every (-h names each). A flag given on the command line wins
// over its variable; an empty variable counts as unset; a value the flag
// would refuse stops the command with an error naming the variable.
//
// Unless the environment sets GOGC, the server runs Go's garbage collector
// at GOGC=400 (see gcPercent).
//
// # Operator commands
//
// Against the same -db, while the server runs (SQLite or PostgreSQL), each
// with -json for programs:
//
//	server status                                   the last delivery of each platform, the last 24 hours by status, the backlog
//	server deliveries [-status dead] [-since 24h]   deliveries newest first (-oldest), with -provider, -kind, -limit, -after
//	server show [-body] ID                          one delivery: key, attempts, next attempt, error, earlier attempts, body
//	server replay ID                                apply one delivery again
//	server replay -status dead [-since 24h]         apply again every delivery of a status received since a time
//
// # Routes
//
//	POST /webhooks/actblue/{tenant}
//	POST /webhooks/anedot/{tenant}
//	POST /webhooks/actionnetwork/{tenant}/{token}
//	GET  /api/{tenant}/contacts|donations|commitments|deliveries   (Authorization: Bearer <admin token>)
//	GET  /api/{tenant}/contacts/{id}, /api/{tenant}/deliveries/{id}[?body=1]
//	POST /api/{tenant}/deliveries/{id}/replay, /api/{tenant}/replay?status=dead&since=24h
//	GET  /api/{tenant}/reconciliation
//	GET  /admin/   the operator pages (package admin): the admin token as a bearer token, or
//	               given once at /admin/login for a session cookie (12 hours; POST /admin/logout)
//	GET  /healthz   200 while the process answers
//	GET  /readyz    200 when the store answers a read and a write within 2 s, 503 otherwise
//	GET  /metrics   Prometheus metrics (Authorization: Bearer <admin token>; see below)
//
// Another method than POST on a webhook route is answered 405, and a path
// under /webhooks/ that no route matches 404; both are logged with the
// provider the path names.
//
// # Metrics
//
// GET /metrics serves the metrics of package
// github.com/donorsync/donorsync/metrics/prometheus (requests by provider
// and outcome, applies, retries, dead letters, durations, and the
// journal's backlog and freshness, read from the store at most once a
// minute), Go's and the process's, to a scraper that sends the admin
// token as a bearer token. -metrics-addr 127.0.0.1:9090 serves them there instead,
// without authentication, and not on -addr: keep that address off the
// internet (a loopback or private address, or a firewall), as the
// metrics name the tenants. See docs/metrics.md for alerts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/donorsync/donorsync/store/sqlite"
)

const tenant = "default"

// gcPercent is the garbage collector's target (GOGC) the server sets when
// the environment sets none. A receiver keeps little in memory (tens of
// MiB, SQLite's record cache included), so that with Go's default of 100
// the collector runs every few dozen milliseconds under load, and its
// assists land inside the store's writing transactions, which a SQLite
// store runs one at a time. At 400 the heap grows to about five times what
// is live rather than twice, and end to end into SQLite, queued, goes
// 11-38% faster (BENCHMARKS.md).
const gcPercent = 400

// tuneGC sets the collector's target to gcPercent, unless getenv says
// that GOGC is set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

func main() {
	os.Exit(runMain(os.Args[1:]))
}

// runMain runs the server, or the command args name, and returns the
// exit status.
func runMain(args []string) int {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 {
		switch args[0] {
		case "reconcile":
			return runReconcile(ctx, args[1:], os.Stdout, os.Stderr, os.Getenv)
		case "status", "deliveries", "show", "replay":
			return runOps(ctx, args[0], args[1:], os.Stdout, os.Stderr, os.Getenv)
		}
	}
	err := run(ctx, args, os.Stdout, os.Stderr, nil)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	return 0
}

// store is a donorsync.Store that can be closed.
type store interface {
	donorsync.Store
	Close() error
}

// config is what the flags say.
type config struct {
	addr, db, mode, credPath         string
	headerTimeout, readTimeout       time.Duration
	printCredentials, newCredentials bool

	reconcileEvery time.Duration
	reconcileDays  int
	backfillFrom   time.Time // zero: no backfill

	metricsAddr string // "": /metrics on addr, behind the admin token

	forward         *url.URL // nil: no forwarding
	forwardName     string   // the consumer name of the forwarding's cursor
	forwardTimeout  time.Duration
	forwardRetryMax time.Duration
}

const usage = `Usage: server [flags]
       server reconcile [-from YYYY-MM-DD] [-to YYYY-MM-DD] [-apply] [-json] [-db PATH|URL] [-tenant T]

A donorsync receiver for ActBlue, Anedot and Action Network (tenant
"default"). The webhook credentials are generated on first start and kept
in -credentials; these variables, where set, take precedence:
DONORSYNC_ACTBLUE_USER, DONORSYNC_ACTBLUE_PASSWORD, DONORSYNC_ANEDOT_SECRET,
DONORSYNC_ACTIONNETWORK_TOKEN, DONORSYNC_ADMIN_TOKEN, and with -forward
DONORSYNC_FORWARD_SECRET. The secret tokens of more Anedot webhooks (one per
template type) go in DONORSYNC_ANEDOT_SECRETS, comma-separated, or in
anedot_secrets in the credentials file.

-forward posts every change to the records to a URL, signed as Standard
Webhooks says (docs/forwarding.md).

-reconcile-every, -backfill-from and the reconcile command read ActBlue's
reports with the CSV API credential in DONORSYNC_ACTBLUE_CLIENT_UUID and
DONORSYNC_ACTBLUE_CLIENT_SECRET; DONORSYNC_ACTBLUE_API_URL (default
https://secure.actblue.com) and DONORSYNC_ACTBLUE_API_BUDGET (requests a
minute, default 10) are optional. "server reconcile -h" describes the
command; "go doc ./examples/server" all of it.

Each flag may also be set by the variable named beside it, DONORSYNC_ and
the flag in upper snake case; a flag given wins over its variable.

Flags:
`

// parseFlags reads the server's flags from args, and those args leave
// unset from their variables (see parseWithEnv); -h and errors in args
// are written to output.
func parseFlags(args []string, getenv func(string) string, output io.Writer) (*config, error) {
	var c config
	var backfillFrom, forward string
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		io.WriteString(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.db, "db", "donorsync.db", "SQLite file, or a postgres:// URL")
	fs.StringVar(&c.mode, "mode", "queued", "inline (apply before answering) or queued (answer once journaled; a worker applies)")
	fs.DurationVar(&c.headerTimeout, "header-timeout", 5*time.Second, "time allowed to read a request's headers")
	fs.DurationVar(&c.readTimeout, "read-timeout", 15*time.Second, "time allowed to read a whole request; slower clients are dropped")
	fs.StringVar(&c.credPath, "credentials", "", "file that keeps the generated credentials (default: the SQLite file + .credentials.json, or donorsync.credentials.json)")
	fs.BoolVar(&c.printCredentials, "print-credentials", false, "print the credentials at start (they are printed unasked only when generated)")
	fs.BoolVar(&c.newCredentials, "new-credentials", false, "generate the credentials missing for an existing database (every platform must then be given the new ones)")
	fs.DurationVar(&c.reconcileEvery, "reconcile-every", 0, "reconcile the recent days with ActBlue's reports, applying what is missing, at start and this long after each run (0: never)")
	fs.IntVar(&c.reconcileDays, "reconcile-days", 3, "the recent days -reconcile-every reconciles: today and this many days before it")
	fs.StringVar(&backfillFrom, "backfill-from", "", "reconcile from this day (YYYY-MM-DD) to today once, at the first start, applying what is missing")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve GET /metrics on this address, without authentication (default: on -addr, with the admin token)")
	fs.StringVar(&forward, "forward", "", "POST every change to this `URL`, signed as Standard Webhooks says (see docs/forwarding.md)")
	fs.StringVar(&c.forwardName, "forward-name", "forward", "the name the forwarding's place in the change feed is kept under")
	fs.DurationVar(&c.forwardTimeout, "forward-timeout", 15*time.Second, "time allowed to each forwarding request; slower answers are failures, tried again")
	fs.DurationVar(&c.forwardRetryMax, "forward-retry-max", 5*time.Minute, "the longest wait before a change whose forwarding failed is tried again")
	from, err := parseWithEnv(fs, args, getenv)
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (the one command is reconcile, given first)", fs.Arg(0))
	}
	if err := c.parseForward(forward, from); err != nil {
		return nil, err
	}
	if c.mode != "inline" && c.mode != "queued" {
		return nil, fmt.Errorf("%s is %q: want inline or queued", from.of("mode"), c.mode)
	}
	if err := c.parseReconcile(backfillFrom, from); err != nil {
		return nil, err
	}
	if c.credPath == "" {
		c.credPath = "donorsync.credentials.json"
		if !c.postgres() {
			c.credPath = c.db + ".credentials.json"
		}
	}
	return &c, nil
}

// parseReconcile checks the flags of the background reconciliations;
// o says where they were set.
func (c *config) parseReconcile(backfillFrom string, o origins) error {
	if c.reconcileEvery < 0 {
		return fmt.Errorf("%s is %v: want a duration, or 0 for never", o.of("reconcile-every"), c.reconcileEvery)
	}
	if c.reconcileDays < 0 {
		return fmt.Errorf("%s is %d: want 0 (today only) or more", o.of("reconcile-days"), c.reconcileDays)
	}
	if backfillFrom == "" {
		return nil
	}
	from, err := parseDay(o.of("backfill-from"), backfillFrom)
	if err != nil {
		return err
	}
	if from.After(actBlueDay(time.Now())) {
		return fmt.Errorf("%s %s is after today", o.of("backfill-from"), backfillFrom)
	}
	c.backfillFrom = from
	return nil
}

// reconciles reports whether c asks for reconciliations in the background.
func (c *config) reconciles() bool {
	return c.reconcileEvery > 0 || !c.backfillFrom.IsZero()
}

func (c *config) postgres() bool {
	return strings.HasPrefix(c.db, "postgres://") || strings.HasPrefix(c.db, "postgresql://")
}

// name names the database in messages, without a URL's password.
func (c *config) name() string {
	if c.postgres() {
		return "the PostgreSQL database"
	}
	return "SQLite file " + c.db
}

// openStore opens the database and reports whether it holds data from
// earlier starts. A SQLite database and its -wal and -shm files are
// created readable by their owner only, and tightened if they exist.
func openStore(ctx context.Context, c *config, logger *slog.Logger) (store, bool, error) {
	if c.postgres() {
		st, err := postgres.Open(ctx, c.db, nil)
		if err != nil {
			return nil, false, err
		}
		existing, err := hasData(ctx, st)
		if err != nil {
			st.Close()
			return nil, false, err
		}
		return st, existing, nil
	}
	fi, err := os.Stat(c.db)
	existing := err == nil && fi.Size() > 0
	if err := tighten(logger, sqliteFiles(c.db)...); err != nil {
		return nil, false, err
	}
	if err := createPrivate(c.db); err != nil {
		return nil, false, err
	}
	st, err := sqlite.Open(ctx, c.db, nil)
	if err != nil {
		return nil, false, err
	}
	// SQLite made its -wal and -shm files with the database's mode; make
	// sure of it.
	if err := tighten(logger, sqliteFiles(c.db)...); err != nil {
		st.Close()
		return nil, false, err
	}
	return st, existing, nil
}

// hasData reports whether the store journaled any delivery for the tenant.
func hasData(ctx context.Context, st donorsync.Store) (bool, error) {
	var ds []*donorsync.Delivery
	err := st.View(ctx, func(tx donorsync.Tx) error {
		var err error
		ds, err = tx.Deliveries(ctx, tenant, donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1}})
		return err
	})
	return len(ds) > 0, err
}

// run starts the server and blocks until ctx is done. When ready is not
// nil, the listening address is sent on it once the server accepts
// connections. The start-up text goes to stdout, the log to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	cfg, err := parseFlags(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	// Refuse weak secrets before the store creates anything.
	env, err := fromEnv(os.Getenv)
	if err != nil {
		return err
	}
	var client *reports.Client
	if cfg.reconciles() {
		if client, err = reportsClient(os.Getenv); err != nil {
			return fmt.Errorf("-reconcile-every and -backfill-from read ActBlue's reports: %w", err)
		}
	}
	st, existing, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	creds, err := loadCredentials(credentialOptions{
		path: cfg.credPath, db: cfg.name(), existingDB: existing, allowNew: cfg.newCredentials, forwarding: cfg.forward != nil,
		env: env, logger: logger,
	})
	if err != nil {
		return err
	}
	sources, err := newSources(creds)
	if err != nil {
		return err
	}
	ingester := &donorsync.Ingester{Store: st, Logger: logger, RecordChanges: cfg.forward != nil}
	metrics, err := setUpMetrics(ctx, cfg, ingester, logger)
	if err != nil {
		return err
	}
	rc, err := newReconciliation(cfg, client, ingester, logger)
	if err != nil {
		return err
	}
	background, err := backgrounds(cfg, st, creds, rc, logger)
	if err != nil {
		return err
	}
	mux := newMux(st, ingester, sources, creds, cfg.mode == "queued", rc, metrics, logger)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := newHTTPServer(cfg, mux, logger)
	printWelcome(stdout, welcome{addr: ln.Addr().String(), cfg: cfg, creds: creds, reconciling: rc.describe()})
	return serve(ctx, srv, ln, ingester, sources, background, ready)
}

// backgrounds returns what runs beside the server, as cfg asks: the
// reconciliations rc (unless nil) and the forwarding of the changes of st,
// signed with the secret creds keep.
func backgrounds(cfg *config, st donorsync.Store, creds *credentials, rc *reconciliation, logger *slog.Logger) ([]func(context.Context), error) {
	var bg []func(context.Context)
	if rc != nil {
		bg = append(bg, rc.run)
	}
	if cfg.forward != nil {
		feed, err := newForwarding(cfg, st, creds, logger)
		if err != nil {
			return nil, err
		}
		bg = append(bg, func(ctx context.Context) { feed.Run(ctx) })
	}
	return bg, nil
}

// newHTTPServer is the server of mux, with the timeouts of cfg.
func newHTTPServer(cfg *config, mux http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.headerTimeout,
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// newSources makes the three providers' sources from the credentials.
func newSources(creds *credentials) ([]donorsync.Source, error) {
	abAuth, err := actblue.NewAuthenticator(actblue.Credential{Tenant: tenant, Username: creds.ActBlueUser, Password: creds.ActBluePassword})
	if err != nil {
		return nil, err
	}
	anedotAuth, err := anedot.NewAuthenticator(creds.anedotCredentials()...)
	if err != nil {
		return nil, err
	}
	anAuth, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: tenant, Token: creds.ActionNetworkToken})
	if err != nil {
		return nil, err
	}
	actblueSource, err := actblue.NewSource(abAuth, actblue.Options{})
	if err != nil {
		return nil, err
	}
	anedotSource, err := anedot.NewSource(anedotAuth, anedot.Options{})
	if err != nil {
		return nil, err
	}
	actionNetworkSource, err := actionnetwork.NewSource(anAuth, actionnetwork.Options{})
	if err != nil {
		return nil, err
	}
	return []donorsync.Source{actblueSource, anedotSource, actionNetworkSource}, nil
}

// newMux routes the webhooks of sources (ActBlue, Anedot, Action Network),
// the operator pages and the read API, the status of the reconciliations
// rc (nil when off), the health check and, behind the admin token, the
// metrics (unless nil).
func newMux(st donorsync.Store, ingester *donorsync.Ingester, sources []donorsync.Source, creds *credentials, queued bool,
	rc *reconciliation, metrics http.Handler, logger *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	// Every method reaches the Handlers, which answer 405 to all but POST
	// and log it with their provider.
	for route, src := range map[string]donorsync.Source{
		"/webhooks/actblue/{tenant}":               sources[0],
		"/webhooks/anedot/{tenant}":                sources[1],
		"/webhooks/actionnetwork/{tenant}/{token}": sources[2],
	} {
		mux.Handle(route, &donorsync.Handler{Source: src, Ingester: ingester, Logger: logger, Queued: queued})
	}
	mux.Handle("/webhooks/{provider}/", webhookNotFound(logger))
	mountAdmin(mux, ingester, sources, creds.AdminToken, rc, logger)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /readyz", readiness(ingester, logger))
	if metrics != nil {
		mux.Handle("GET /metrics", withAdminToken(creds.AdminToken, metrics, logger))
	}
	return mux
}

// serve serves srv on ln, with a worker and each of background beside
// it, until ctx is done.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, ingester *donorsync.Ingester, sources []donorsync.Source,
	background []func(context.Context), ready chan<- string) error {
	// In queued mode a worker applies what the handlers journal; it also
	// retries failed deliveries in both modes.
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// A short lease: deliveries claimed by a process that died are
		// taken up again ten seconds later.
		w := &donorsync.Worker{Ingester: ingester, Sources: sources, Lease: 10 * time.Second}
		w.Run(workerCtx)
	}()
	for _, run := range background {
		wg.Go(func() { run(workerCtx) })
	}

	var err error
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		// Stop accepting, let requests in flight finish (a delivery being
		// journaled is answered), then stop the worker, which finishes the
		// delivery in hand; anything left pending is applied at next start.
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
		if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
	}
	stopWorker()
	wg.Wait()
	return err
}
