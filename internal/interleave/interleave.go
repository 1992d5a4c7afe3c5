// Package interleave measures, for benchmarks, how long one function
// takes against another on the same machine at the same moments.
package interleave

import (
	"slices"
	"testing"
	"time"
)

// batch is how many calls are timed together, so that reading the clock
// costs little beside them.
const batch = 32

// Ratio runs ours and base in turns, a batch of calls each, for b's
// iterations, and returns the median over the turns of ours' time
// divided by base's: a moment when the machine is busy elsewhere slows
// one turn, and moves a median of many turns little, where it would move
// a ratio of totals.
func Ratio(b *testing.B, ours, base func()) float64 {
	var ratios []float64
	for b.Loop() {
		start := time.Now()
		for range batch {
			ours()
		}
		mid := time.Now()
		for range batch {
			base()
		}
		end := time.Now()
		if d := end.Sub(mid); d > 0 {
			ratios = append(ratios, float64(mid.Sub(start))/float64(d))
		}
	}
	if len(ratios) == 0 {
		return 0
	}
	slices.Sort(ratios)
	return ratios[len(ratios)/2]
}
