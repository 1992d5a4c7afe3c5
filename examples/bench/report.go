package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func write(path string, rows []row, notes []string, d time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nEach goal of the design beside a baseline measured in the same run, on the same machine.\n\n")
	command := "go run ./examples/bench"
	if only != "" {
		command += " -only " + only
	}
	fmt.Fprintf(&b, "- Date: %s\n- Machine: %s\n- Command: `%s` (each load run %v; client and server in one process; GOGC=%d for the whole run, as the example server sets it: `-gogc 100` for Go's default)\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine(), command, d, gogc)
	b.WriteString("| goal | donorsync | baseline | ratio | verdict |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.goal, r.measured, r.baseline, r.ratio, r.verdict)
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	fmt.Print(b.String())
	// Keep the written findings of an earlier run: they explain the table.
	if old, err := os.ReadFile(path); err == nil {
		if i := strings.Index(string(old), findings); i >= 0 {
			b.WriteString("\n" + string(old[i:]))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func rssSummary(s []float64) string {
	if len(s) == 0 {
		return "?"
	}
	peak := 0.0
	for _, v := range s {
		peak = max(peak, v)
	}
	return fmt.Sprintf("%.0f → %.0f, peak %.0f", s[0], s[len(s)-1], peak)
}
