package metrics

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	t.Parallel()
	def := []float64{1, 2}
	for _, c := range []struct{ in, want []float64 }{
		{nil, def},
		{[]float64{math.NaN()}, def},
		{[]float64{3, 1, 2, 1, math.NaN(), math.Inf(1), math.Inf(-1)}, []float64{1, 2, 3}},
	} {
		if got := Buckets(c.in, def); !slices.Equal(got, c.want) {
			t.Errorf("Buckets(%v) = %v; want %v", c.in, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", 30 * time.Minute: "30m", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 24 * time.Hour: "24h",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q; want %q", d, got, want)
		}
	}
}
