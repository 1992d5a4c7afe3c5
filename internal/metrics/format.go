package metrics

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Buckets returns the bucket bounds b sorted, without duplicates, NaNs
// and infinities (the last bucket is unbounded anyway), or def when none
// is left.
func Buckets(b, def []float64) []float64 {
	b = slices.DeleteFunc(slices.Clone(b), func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
	slices.Sort(b)
	b = slices.Compact(b)
	if len(b) == 0 {
		return slices.Clone(def)
	}
	return b
}

// Duration formats d without its zero units: "1h", "30m", "1h30m", "90s".
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
