package main

import (
	"bufio"
	"context"
	"os"
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
