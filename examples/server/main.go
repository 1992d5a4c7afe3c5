// Command server is a runnable donorsync receiver for ActBlue, Anedot and
// Action Network, for the tenant "default".
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-db donorsync.db | -db postgres://...] [-mode queued|inline]
//
// It stores into a SQLite file (or PostgreSQL, given a postgres:// URL).
// On first start it generates the webhook credentials and an admin token,
// saves them beside the database (-credentials), and prints each webhook
// URL with its credentials, ready to paste into the platforms. The
// variables DONORSYNC_ACTBLUE_USER, DONORSYNC_ACTBLUE_PASSWORD,
// DONORSYNC_ANEDOT_SECRET, DONORSYNC_ACTIONNETWORK_TOKEN and
// DONORSYNC_ADMIN_TOKEN, where set, take precedence.
//
// Unless the environment sets GOGC, the server runs Go's garbage collector
// at GOGC=400 (see gcPercent).
//
// Routes:
//
//	POST /webhooks/actblue/{tenant}
//	POST /webhooks/anedot/{tenant}
//	POST /webhooks/actionnetwork/{tenant}/{token}
//	GET  /api/{tenant}/contacts|donations|commitments|deliveries   (Authorization: Bearer <admin token>)
//	POST /api/{tenant}/deliveries/{id}/replay
//	GET  /healthz
package main

import (
	"context"
	"crypto/sha256"
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
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
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// store is a donorsync.Store that can be closed.
type store interface {
	donorsync.Store
	Close() error
}

func openStore(ctx context.Context, db string) (store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db, nil)
}

// run starts the server and blocks until ctx is done. When ready is not
// nil, the listening address is sent on it once the server accepts
// connections.
func run(ctx context.Context, args []string, stdout io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	db := fs.String("db", "donorsync.db", "SQLite file, or a postgres:// URL")
	mode := fs.String("mode", "queued", "inline (apply before answering) or queued (answer once journaled; a worker applies)")
	headerTimeout := fs.Duration("header-timeout", 5*time.Second, "time allowed to read a request's headers")
	readTimeout := fs.Duration("read-timeout", 15*time.Second, "time allowed to read a whole request; slower clients are dropped")
	credPath := fs.String("credentials", "", "file that keeps the generated credentials (default: the SQLite file + .credentials.json, or donorsync.credentials.json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mode != "inline" && *mode != "queued" {
		return fmt.Errorf("-mode is %q: want inline or queued", *mode)
	}
	if *credPath == "" {
		*credPath = "donorsync.credentials.json"
		if !strings.Contains(*db, "://") {
			*credPath = *db + ".credentials.json"
		}
	}
	creds, err := loadCredentials(*credPath)
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()

	abAuth, err := actblue.NewAuthenticator(actblue.Credential{Tenant: tenant, Username: creds.ActBlueUser, Password: creds.ActBluePassword})
	if err != nil {
		return err
	}
	anedotAuth, err := anedot.NewAuthenticator(anedot.Credential{Tenant: tenant, Token: creds.AnedotSecret})
	if err != nil {
		return err
	}
	anAuth, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: tenant, Token: creds.ActionNetworkToken})
	if err != nil {
		return err
	}
	anedotSource, err := anedot.NewSource(anedotAuth, anedot.Options{})
	if err != nil {
		return err
	}
	actblueSource, err := actblue.NewSource(abAuth, actblue.Options{})
	if err != nil {
		return err
	}
	actionNetworkSource, err := actionnetwork.NewSource(anAuth, actionnetwork.Options{})
	if err != nil {
		return err
	}
	sources := []donorsync.Source{actblueSource, anedotSource, actionNetworkSource}
	ingester := &donorsync.Ingester{Store: st, Logger: logger}
	queued := *mode == "queued"

	mux := http.NewServeMux()
	for route, src := range map[string]donorsync.Source{
		"POST /webhooks/actblue/{tenant}":               sources[0],
		"POST /webhooks/anedot/{tenant}":                sources[1],
		"POST /webhooks/actionnetwork/{tenant}/{token}": sources[2],
	} {
		mux.Handle(route, &donorsync.Handler{Source: src, Ingester: ingester, Logger: logger, Queued: queued})
	}
	byProvider := map[string]donorsync.Source{}
	for _, s := range sources {
		byProvider[s.Provider()] = s
	}
	(&api{store: st, ingest: ingester, sources: byProvider, token: sha256.Sum256([]byte(creds.AdminToken))}).routes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: *headerTimeout,
		ReadTimeout:       *readTimeout,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	printWelcome(stdout, ln.Addr().String(), *db, *mode, *credPath, creds)

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

func printWelcome(w io.Writer, addr, db, mode, credPath string, c *credentials) {
	base := "http://" + addr
	store := "SQLite file " + db
	if strings.Contains(db, "://") {
		store = "PostgreSQL"
	}
	fmt.Fprintf(w, `donorsync is listening on %s (%s, %s mode)
Credentials are kept in %s. Put the server behind HTTPS before giving these URLs to the platforms.

ActBlue (Integrations > Webhooks; types ActBlue Default, Default Refunds, Default Cancellations; one URL for all):
  Endpoint URL: %s/webhooks/actblue/%s
  Username:     %s
  Password:     %s

Anedot (webhook URL and secret token; one webhook per template type):
  URL:          %s/webhooks/anedot/%s
  Secret token: %s

Action Network (API & Sync > Webhooks; trigger "All actions plus uploads"; the URL is the credential):
  URL:          %s/webhooks/actionnetwork/%s/%s

Read API (Authorization: Bearer <admin token>):
  curl -H 'Authorization: Bearer %s' %s/api/%s/donations
  Admin token:  %s

Send sample deliveries:
  go run ./examples/send -url %s -actblue-user '%s' -actblue-password '%s' -anedot-secret '%s' -actionnetwork-token '%s'
`, addr, store, mode, credPath,
		base, tenant, c.ActBlueUser, c.ActBluePassword,
		base, tenant, c.AnedotSecret,
		base, tenant, c.ActionNetworkToken,
		c.AdminToken, base, tenant, c.AdminToken,
		base, c.ActBlueUser, c.ActBluePassword, c.AnedotSecret, c.ActionNetworkToken)
}
