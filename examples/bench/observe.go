package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync"
	prommetrics "github.com/donorsync/donorsync/metrics/prometheus"
	"github.com/donorsync/donorsync/observe"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// observer is the Observer of the Ingesters of the receivers and Workers
// the runs make: nil but in the observed runs of observeRows.
var observer observe.Observer

// observeConns is the connection count of the observer's runs, those of
// the drafts' runs.
const observeConns = draftConns

// observeRows measures end to end into SQLite, inline, with and without
// the Prometheus Observer (its journal's gauges included, scraped every
// second), in rounds whose two runs take turns, each from an empty
// database file, against the goal: observing costs at most 3% of the
// throughput.
//
// A receiver's throughput is bounded by the CPU time a delivery costs,
// and on a shared machine the rate of a run varies by tens of percent
// with what else runs, the CPU time a delivery costs much less: the
// verdict is on the CPU time this process (client included) spent per
// delivery, with against without, the median over the rounds of each
// round's ratio. The rates, and the time spent in the Observer's calls
// (their duration, an upper bound of their CPU time), are beside it.
func observeRows(ctx context.Context, dir string, log *slog.Logger, d time.Duration, rounds int) ([]row, error) {
	rates, cpu := map[bool][]float64{}, map[bool][]float64{} // per second; µs a delivery
	var calls []float64                                      // µs a delivery in the Observer's calls
	for r := range rounds {
		for _, observed := range []bool{r%2 == 0, r%2 != 0} { // who goes first alternates
			st, err := sqlite.Open(ctx, filepath.Join(dir, fmt.Sprintf("observe-%v-%d.db", observed, r)), sqliteOptions())
			if err != nil {
				return nil, err
			}
			var stop func() time.Duration
			if observed {
				stop = observeWith(ctx, st)
			}
			rate, rep := endToEnd(ctx, st, log, d, false, sqliteQueue, observeConns)
			if observed {
				calls = append(calls, micros(stop())/float64(max(rep.OK, 1)))
			}
			st.Close()
			rates[observed] = append(rates[observed], rate)
			cpu[observed] = append(cpu[observed], micros(rep.perDelivery))
		}
	}
	paired := make([]float64, rounds)
	for r := range paired {
		paired[r] = cpu[true][r] / cpu[false][r]
	}
	cost := median(paired)
	return []row{{
		fmt.Sprintf("Metrics: the Prometheus Observer (its journal's gauges scraped every second) costs ≤ 3%% of end-to-end throughput into SQLite, inline: CPU time a delivery with it ≤ 1.03× without (median of %d rounds' ratios, the runs of a round taking turns; %d conns)", rounds, observeConns),
		fmt.Sprintf("with: %s; CPU %s µs a delivery, %.1f µs of it in the Observer's calls", perSecond(rates[true]), list(cpu[true], "%.0f"), median(calls)),
		fmt.Sprintf("without: %s; CPU %s µs a delivery", perSecond(rates[false]), list(cpu[false], "%.0f")),
		fmt.Sprintf("CPU %.3f× (rounds %s); rate %.2f×", cost, list(paired, "%.2f"), median(rates[true])/median(rates[false])),
		verdict(cost <= 1.03)}}, nil
}

// observeWith sets observer to a Prometheus Observer whose journal's gauges
// read st, and scrapes it every second, until the function it returns is
// called, which returns the time spent in the Observer's calls.
func observeWith(ctx context.Context, st donorsync.Store) (stop func() time.Duration) {
	obs := prommetrics.New(prommetrics.Options{Stats: &donorsync.Ingester{Store: st}})
	reg := prometheus.NewRegistry()
	reg.MustRegister(obs)
	timed := &timedObserver{Observer: obs}
	observer = timed
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, http.MethodGet, "/metrics", nil))
			}
		}
	}()
	return func() time.Duration {
		cancel()
		<-done
		observer = nil
		return time.Duration(timed.spent.Load())
	}
}

// timedObserver adds the time its Observer's calls take to spent.
type timedObserver struct {
	observe.Observer
	spent atomic.Int64
}

func (o *timedObserver) Request(ctx context.Context, r observe.Request) {
	start := time.Now()
	o.Observer.Request(ctx, r)
	o.spent.Add(int64(time.Since(start)))
}

func (o *timedObserver) Applied(ctx context.Context, a observe.Apply) {
	start := time.Now()
	o.Observer.Applied(ctx, a)
	o.spent.Add(int64(time.Since(start)))
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func list(v []float64, format string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(s, ", ")
}
