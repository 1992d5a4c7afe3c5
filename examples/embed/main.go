// Command embed is the README's embedding example: a receiver for one
// ActBlue tenant on SQLite, with the Worker that retries what could not be
// applied at once, server timeouts, and a graceful stop.
//
//	ACTBLUE_USERNAME=acme-482913 ACTBLUE_PASSWORD=... go run ./examples/embed
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/store/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := sqlite.Open(ctx, "donorsync.db", nil) // or postgres.Open(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	auth, err := actblue.NewAuthenticator(actblue.Credential{
		Tenant: "acme", Username: os.Getenv("ACTBLUE_USERNAME"), Password: os.Getenv("ACTBLUE_PASSWORD")})
	if err != nil {
		log.Fatal(err)
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ingester := &donorsync.Ingester{Store: store}
	worker := &donorsync.Worker{Ingester: ingester, Sources: []donorsync.Source{src}}
	stopped := make(chan struct{})
	go func() { worker.Run(ctx); close(stopped) }()

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{Source: src, Ingester: ingester})
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 15 * time.Second, WriteTimeout: 15 * time.Second, IdleTimeout: time.Minute}
	go func() { <-ctx.Done(); srv.Shutdown(context.WithoutCancel(ctx)) }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	<-stopped // the Worker leaves nothing claimed
}
