// Command server is a runnable donorsync receiver for ActBlue webhooks.
//
//	go run ./examples/server
//
// It listens on 127.0.0.1:8080, serves POST /webhooks/actblue/{tenant} for
// the tenant "default", and prints the URL and the Basic-Auth credentials
// to give ActBlue. The credentials come from DONORSYNC_ACTBLUE_USER and
// DONORSYNC_ACTBLUE_PASSWORD when both are set; otherwise new ones are
// generated at each start.
//
// It stores into memory (memstore): everything received is lost when it
// stops. It shows the wiring; do not point a live webhook at it.
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
	"syscall"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/memstore"
)

const tenant = "default"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx is done. When ready is not
// nil, the listening address is sent on it once the server accepts
// connections.
func run(ctx context.Context, args []string, stdout io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}

	cred, err := credential()
	if err != nil {
		return err
	}
	auth, err := actblue.NewAuthenticator(cred)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	store := memstore.New()

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{
		Source:   &actblue.Source{Auth: auth},
		Ingester: &donorsync.Ingester{Store: store, Logger: logger},
		Logger:   logger,
	})
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
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	url := "http://" + ln.Addr().String() + "/webhooks/actblue/" + tenant
	fmt.Fprintf(stdout, `donorsync is listening on %s (in-memory store: nothing survives a restart)

ActBlue webhook (Integrations > Webhooks; types ActBlue Default, Default Refunds, Default Cancellations):
  Endpoint URL: %s
  Username:     %s
  Password:     %s

Try it:
  curl -u '%s:%s' -H 'Content-Type: application/json' --data @actblue/testdata/contribution.json %s
`, ln.Addr(), url, cred.Username, cred.Password, cred.Username, cred.Password, url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Let requests in flight finish: a delivery being journaled is answered.
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// credential returns the ActBlue credential of the default tenant: from the
// environment when set, otherwise a new one.
func credential() (actblue.Credential, error) {
	user, pass := os.Getenv("DONORSYNC_ACTBLUE_USER"), os.Getenv("DONORSYNC_ACTBLUE_PASSWORD")
	switch {
	case user != "" && pass != "":
		return actblue.Credential{Tenant: tenant, Username: user, Password: pass}, nil
	case user != "" || pass != "":
		return actblue.Credential{}, errors.New("set both DONORSYNC_ACTBLUE_USER and DONORSYNC_ACTBLUE_PASSWORD, or neither")
	}
	return actblue.GenerateCredential(tenant, "donorsync")
}
