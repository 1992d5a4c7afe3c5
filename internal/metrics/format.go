package metrics

import (
	"math"
	"slices"
	"strings"
	"time"
)

// DurationBuckets are the default bounds, in seconds, of the duration
// histograms: from half a millisecond, as a delivery is journaled, to ten
// seconds. SizeBuckets are the bounds, in bytes, of the histogram of
// request bodies: 256 B to 1 MiB (donorsync.DefaultMaxBodyBytes) by fours.
// Neither is modified: Buckets returns copies.
var (
	DurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	SizeBuckets     = []float64{256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20}
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

// Label returns s as a valid label value: invalid UTF-8, which the
// Prometheus client refuses (panicking in its Must functions), replaced.
func Label(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}
