package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/donorsync/donorsync"
	operator "github.com/donorsync/donorsync/admin"
	prommetrics "github.com/donorsync/donorsync/metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newMetrics makes ingester report to a Prometheus Observer (beside the
// Observer already set, if any), which also reads the journal's gauges
// from it, and returns the handler of GET /metrics: the Observer's
// metrics, Go's and the process's.
func newMetrics(ingester *donorsync.Ingester, logger *slog.Logger) http.Handler {
	obs := prommetrics.New(prommetrics.Options{Stats: ingester})
	ingester.Observer = operator.Tee(ingester.Observer, obs)
	reg := prometheus.NewRegistry()
	reg.MustRegister(obs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// setUpMetrics makes the ingester report to the metrics of newMetrics.
// Without cfg.metricsAddr it returns their handler, for the main server
// to serve behind the admin token. With it, it serves them there, without
// authentication, until ctx is done, and returns nil: it fails when it
// cannot listen there.
func setUpMetrics(ctx context.Context, cfg *config, ingester *donorsync.Ingester, logger *slog.Logger) (http.Handler, error) {
	h := newMetrics(ingester, logger)
	if cfg.metricsAddr == "" {
		return h, nil
	}
	ln, err := net.Listen("tcp", cfg.metricsAddr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: cfg.headerTimeout, ReadTimeout: cfg.readTimeout,
		WriteTimeout: 15 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	logger.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "err", err)
		}
	}()
	context.AfterFunc(ctx, func() { srv.Close() })
	return nil, nil
}

// withAdminToken serves h to requests that bear the admin token, as the
// read API does.
func withAdminToken(token string, h http.Handler, logger *slog.Logger) http.Handler {
	return (&api{token: sha256.Sum256([]byte(token)), logger: logger}).requireBearer(h)
}
