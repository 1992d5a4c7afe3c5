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
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
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
