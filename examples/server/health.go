package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/donorsync/donorsync"
)

// readyTimeout bounds the store's answer to a readiness probe.
const readyTimeout = 2 * time.Second

// readiness answers 200 when the store answers a read and a write within
// readyTimeout, and 503 otherwise, logging why at Warn: the probe a load
// balancer or an orchestrator asks before it sends deliveries.
func readiness(g *donorsync.Ingester, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "no-store")
		if err := g.Ready(ctx); err != nil {
			logger.WarnContext(r.Context(), "not ready: the store does not answer", "status", http.StatusServiceUnavailable, "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready: the store does not answer\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
}

// webhookNotFound answers 404 to a path under /webhooks/ that no
// platform's route matches, and logs it at Warn with the provider the
// path names: a platform set up with a wrong URL shows here.
func webhookNotFound(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.WarnContext(r.Context(), "webhook path not found", "provider", r.PathValue("provider"),
			"method", r.Method, "status", http.StatusNotFound, "remote", r.RemoteAddr)
		http.NotFound(w, r)
	})
}
