package reconcile

import (
	"context"
	"sync"

	"github.com/donorsync/donorsync"
)

// An applier journals and applies deliveries through an Ingester, a
// bounded number at a time, so that they share transactions.
type applier struct {
	g   *donorsync.Ingester
	src donorsync.Source
	sem chan struct{}
	wg  sync.WaitGroup

	mu  sync.Mutex
	err error // the first delivery that could not be journaled
}

func newApplier(g *donorsync.Ingester, src donorsync.Source, n int) *applier {
	return &applier{g: g, src: src, sem: make(chan struct{}, n)}
}

// submit journals and applies d in the background, then calls done with
// its outcome. It waits while the applier is full.
func (a *applier) submit(ctx context.Context, d *donorsync.Delivery, done func(*donorsync.Delivery)) {
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		a.fail(ctx.Err())
		return
	}
	a.wg.Add(1)
	go func() {
		defer func() {
			<-a.sem
			a.wg.Done()
		}()
		if err := a.g.Receive(ctx, a.src, d); err != nil {
			a.fail(err)
			return
		}
		done(d)
	}()
}

func (a *applier) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		a.err = err
	}
}

// failed returns the error that stopped a delivery from being journaled,
// if any.
func (a *applier) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// wait waits for the deliveries submitted, and returns failed's error.
func (a *applier) wait() error {
	a.wg.Wait()
	return a.failed()
}
