package reports

import (
	"context"
	"sync"
	"time"
)

// budget lets at most n requests start in any window of time: before a
// request it waits until the n-th request before it is a window old.
type budget struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	starts []time.Time // the last n start times, oldest first
}

// wait blocks until a request may start, and counts it as started.
func (b *budget) wait(ctx context.Context, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.starts) >= b.n {
		d := b.starts[0].Add(b.window).Sub(now())
		if d <= 0 {
			b.starts = b.starts[1:]
			continue
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	b.starts = append(b.starts, now())
	return nil
}
