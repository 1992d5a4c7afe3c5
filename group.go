package donorsync

import (
	"context"
	"sync"
	"time"
)

// committer journals deliveries with group commit: while one transaction
// commits, the deliveries that arrive queue up, and the next transaction
// journals them all, so that many deliveries share one durable commit. A
// delivery waits for its own batch only.
type committer struct {
	mu      sync.Mutex
	queue   []*journalJob
	leading bool
}

type journalJob struct {
	ctx  context.Context
	d    *Delivery
	done chan error
}

// maxGroup bounds a batch, so that one transaction stays short.
const maxGroup = 256

// journal records d as it is (its Status set by the caller) in a group
// commit, and returns once the transaction that holds it has committed.
func (g *Ingester) journalGrouped(ctx context.Context, d *Delivery) error {
	job := &journalJob{ctx: ctx, d: d, done: make(chan error, 1)}
	c := &g.group
	c.mu.Lock()
	c.queue = append(c.queue, job)
	lead := !c.leading
	if lead {
		c.leading = true
	}
	c.mu.Unlock()
	if lead {
		go g.commitGroups()
	}
	select {
	case err := <-job.done:
		return err
	case <-ctx.Done():
		// The batch may still commit it: the sender, told to retry, then
		// gets a duplicate.
		return ctx.Err()
	}
}

// commitGroups commits queued jobs, a batch per transaction, until the
// queue is empty.
func (g *Ingester) commitGroups() {
	c := &g.group
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxGroup)
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		if n == 0 {
			c.leading = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		g.commitBatch(batch)
	}
}

func (g *Ingester) commitBatch(batch []*journalJob) {
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	// The batch outlives any one request; it is bounded on its own.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	states := make([]Delivery, len(live))
	err := g.Store.Update(ctx, func(tx Tx) error {
		for i, j := range live {
			states[i] = *j.d // a retried transaction starts from the same state
		}
		if r, ok := tx.(DeliveryRecorder); ok {
			ds := make([]*Delivery, len(states))
			for i := range states {
				ds[i] = &states[i]
			}
			return r.RecordDeliveries(ctx, ds)
		}
		for i := range states {
			if _, err := tx.RecordDelivery(ctx, &states[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for i, j := range live {
			*j.d = states[i]
			j.done <- nil
		}
		return
	}
	// One delivery may have spoilt the batch (a duplicate raced in on
	// another replica): journal each on its own, retrying lost races.
	for _, j := range live {
		j := j
		j.done <- g.update(j.ctx, func(tx Tx) error {
			_, err := tx.RecordDelivery(j.ctx, j.d)
			return err
		})
	}
}
