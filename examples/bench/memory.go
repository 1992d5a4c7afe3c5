package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

// memPeaks are the highest memory figures sampled over a run, in MiB.
type memPeaks struct {
	rssBefore float64 // the process's resident set when the run began
	rss       float64 // the process's resident set
	heap      float64 // the Go heap's objects, live or not yet swept
	live      float64 // the Go heap found live by a collection

	// flat reports whether the live heap of the run's second half grew
	// less than 20% over its first half's peak.
	flat bool
}

func (m memPeaks) String() string {
	return fmt.Sprintf("peak RSS %.0f MiB (%.0f before), peak Go heap %.0f MiB, live %.1f MiB", m.rss, m.rssBefore, m.heap, m.live)
}

// sampleMemory samples the process's memory every interval until the
// function it returns is called, which returns the peaks.
func sampleMemory(every time.Duration) (stop func() memPeaks) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	peaks := memPeaks{rssBefore: rss()}
	var live []float64
	read := func() {
		metrics.Read(samples)
		peaks.rss = max(peaks.rss, rss())
		peaks.heap = max(peaks.heap, mib(samples[0].Value))
		live = append(live, mib(samples[1].Value))
	}
	read()
	done, out := make(chan struct{}), make(chan memPeaks)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				read()
			case <-done:
				read()
				peaks.live, peaks.flat = slices.Max(live), flat(live)
				out <- peaks
				return
			}
		}
	}()
	return func() memPeaks {
		close(done)
		return <-out
	}
}

func mib(v metrics.Value) float64 {
	if v.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(v.Uint64()) / (1 << 20)
}
