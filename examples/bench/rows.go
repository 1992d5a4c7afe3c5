package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// rounds is how many times ackRows measures each side at each
// connection count.
var rounds = 2

// ackRows compares the best throughput of ours on store with the best of
// a bare handler inserting the same rows (the goal's bound: 0.65), and for
// reference with the best of one inserting the body alone, each over the
// connection counts and rounds. The three take turns, so that all meet
// the same moments of a shared machine.
func ackRows(ctx context.Context, store string, d time.Duration, ours, same, bodies http.Handler) []row {
	sides := []http.Handler{same, bodies, ours}
	top, at := make([]float64, len(sides)), make([]int, len(sides))
	for range max(rounds, 1) {
		for _, n := range conns {
			for i, h := range sides {
				if v := closed(ctx, h, d, n).Throughput(); v > top[i] {
					top[i], at[i] = v, n
				}
			}
		}
	}
	of := fmt.Sprintf(" (%s, %d rounds)", bestOf(), max(rounds, 1))
	goal := ratioRow("Ack path on "+store+": throughput ≥ 65% of a bare net/http handler with a batched insert of the same rows (a deliveries table like the store's)"+of,
		top[2], top[0], 0.65, true, "%.0f/s")
	goal.measured += fmt.Sprintf(" (%d conns)", at[2])
	goal.baseline += fmt.Sprintf(" (%d conns)", at[0])
	ref := ratioRow("Ack path on "+store+", for reference: beside a batched insert of the body alone (one column, no index)"+of,
		top[2], top[1], 0, true, "%.0f/s")
	ref.measured += fmt.Sprintf(" (%d conns)", at[2])
	ref.baseline += fmt.Sprintf(" (%d conns)", at[1])
	ref.verdict = "reference"
	return []row{goal, ref}
}

// latencyRows compares the latencies of ours on store with those of the
// bare handler, in open loops at 2,000 requests/s: the p99 against 2× the
// bare handler's, the slowest answer against 250 ms. settle, when not
// nil, runs before each loop.
func latencyRows(ctx context.Context, store string, d time.Duration, ours, bare http.Handler, settle func()) []row {
	if settle == nil {
		settle = func() {}
	}
	settle()
	bareOpen := open(ctx, bare, 2000, d)
	settle()
	oursOpen := open(ctx, ours, 2000, d)
	return []row{
		ratioRow("Ack path on "+store+": p99 ≤ 2× the bare handler's p99 at 2,000 requests/s",
			ms(oursOpen.P99), ms(bareOpen.P99), 2, false, "%.2f ms"),
		{"Ack path on " + store + ": no response over 250 ms at 2,000 requests/s", fmt.Sprintf("max %.1f ms, %d non-2xx",
			ms(oursOpen.Max), oursOpen.Answered-oursOpen.OK), fmt.Sprintf("max %.1f ms", ms(bareOpen.Max)), "",
			verdict(ms(oursOpen.Max) <= 250 && oursOpen.OK == oursOpen.Answered)},
	}
}

// endToEndRow reports the best end-to-end rate over the connection counts
// against goal.
func endToEndRow(goal string, want float64, run func(conns int) (float64, e2eReport, error)) (row, error) {
	reps := map[int]e2eReport{}
	var errs []error
	rate, at := best(func(n int) float64 {
		rate, rep, err := run(n)
		errs = append(errs, err)
		reps[n] = rep
		return rate
	})
	rep := reps[at]
	return row{goal + " (" + bestOf() + ")", fmt.Sprintf("%.0f/s (%d conns)", rate, at),
		fmt.Sprintf("answered %.0f/s; this process's CPU %.2f cores, %.0f µs a delivery", rep.Throughput(), rep.cores, float64(rep.perDelivery)/float64(time.Microsecond)),
		"", verdict(rate >= want)}, errors.Join(errs...)
}

// ratioRow compares measured with baseline: higher is better when
// higherBetter, and the goal is a bound on measured/baseline.
func ratioRow(goal string, measured, baseline, bound float64, higherBetter bool, unit string) row {
	r := measured / baseline
	ok := r <= bound
	if higherBetter {
		ok = r >= bound
	}
	return row{goal, fmt.Sprintf(unit, measured), fmt.Sprintf(unit, baseline), fmt.Sprintf("%.2f×", r), verdict(ok)}
}
