package donorsync

import (
	"context"
	"sync"
	"time"

	"github.com/donorsync/donorsync/donation"
)

// committer journals deliveries with group commit: while one transaction
// commits, the deliveries that arrive queue up, and the next transaction
// journals them all, so that many deliveries share one durable commit. A
// delivery waits for its own batch only. Deliveries received inline are
// applied in the same transaction. On a ParallelStore, several batches
// may commit at once.
type committer struct {
	mu      sync.Mutex
	queue   []*journalJob
	leaders int // goroutines committing batches
}

type journalJob struct {
	ctx    context.Context
	d      *Delivery
	apply  bool             // inline: apply events in the same transaction
	events []donation.Event // what to apply
	done   chan error
	// deferred is set once the job was left for a later batch, its locks
	// held by another transaction; it then waits for them.
	deferred bool
}

// maxGroup bounds a batch, so that one transaction stays short.
const maxGroup = 256

// journalGrouped records d as it is (its Status set by the caller) in a
// group commit, applying events too when apply is set, and returns once
// the transaction that holds it has committed.
func (g *Ingester) journalGrouped(ctx context.Context, d *Delivery, events []donation.Event, apply bool) error {
	job := &journalJob{ctx: ctx, d: d, apply: apply, events: events, done: make(chan error, 1)}
	c := &g.group
	c.mu.Lock()
	c.queue = append(c.queue, job)
	lead := c.leaders < g.parallelWrites()
	if lead {
		c.leaders++
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
// queue is empty. Where several commit at once, each takes its share of
// the queue.
func (g *Ingester) commitGroups() {
	c := &g.group
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxGroup, (len(c.queue)+c.leaders-1)/c.leaders)
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		if n == 0 {
			c.leaders--
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		g.commitBatch(batch)
	}
}

// parallelWrites is how many batches may commit at once.
func (g *Ingester) parallelWrites() int {
	if p, ok := g.Store.(ParallelStore); ok {
		return max(1, p.ParallelWrites())
	}
	return 1
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
	var run, later []*journalJob
	var states []Delivery
	err := g.Store.Update(ctx, func(tx Tx) error {
		run, later = live, nil
		if tl, ok := tx.(TryLocker); ok {
			// Leave for the next batch the deliveries received inline
			// whose locks another transaction holds, rather than wait.
			var err error
			if run, later, err = g.tryLockJobs(ctx, tl, live); err != nil {
				return err
			}
		}
		states = make([]Delivery, len(run))
		ds := make([]*Delivery, len(run))
		for i, j := range run {
			states[i] = *j.d // a retried transaction starts from the same state
			ds[i] = &states[i]
		}
		if r, ok := tx.(DeliveryRecorder); ok {
			if err := r.RecordDeliveries(ctx, ds); err != nil {
				return err
			}
		} else {
			for _, d := range ds {
				if _, err := tx.RecordDelivery(ctx, d); err != nil {
					return err
				}
			}
		}
		// Apply the new deliveries received inline, as one batch.
		var apply []*Delivery
		var decoded []Decoded
		for i, j := range run {
			if j.apply && ds[i].Status != Duplicate {
				apply = append(apply, ds[i])
				decoded = append(decoded, Decoded{Key: ds[i].Key, Events: j.events})
			}
		}
		if len(apply) == 0 {
			return nil
		}
		// They were journaled as processed already.
		return g.applyBatch(ctx, tx, apply, decoded, make([]error, len(apply)))
	})
	if err == nil {
		for i, j := range run {
			*j.d = states[i]
			j.done <- nil
		}
		if len(later) > 0 { // first in the queue: they keep their turn
			c := &g.group
			c.mu.Lock()
			c.queue = append(later, c.queue...)
			c.mu.Unlock()
		}
		return
	}
	// One delivery may have spoilt the batch (a duplicate raced in on
	// another replica, a delivery that cannot be applied): journal each
	// on its own, retrying lost races.
	for _, j := range live {
		if j.apply {
			j.done <- g.receiveOne(j.ctx, j.d, j.events)
			continue
		}
		j.done <- g.update(j.ctx, func(tx Tx) error {
			_, err := tx.RecordDelivery(j.ctx, j.d)
			return err
		})
	}
}

// tryLockJobs takes, without waiting, the locks of the deliveries of jobs
// to be applied inline, and returns the jobs to run now and those to leave
// for the next batch: deliveries whose locks another transaction holds,
// left once (a job left before waits for its locks), unless none would
// run.
func (g *Ingester) tryLockJobs(ctx context.Context, tl TryLocker, jobs []*journalJob) (run, later []*journalJob, err error) {
	var ds []*Delivery
	var decoded []Decoded
	var at []int
	for i, j := range jobs {
		if j.apply && !j.deferred {
			ds, decoded, at = append(ds, j.d), append(decoded, Decoded{Events: j.events}), append(at, i)
		}
	}
	if len(ds) == 0 {
		return jobs, nil, nil
	}
	keep, err := g.tryLockBatch(ctx, tl, ds, decoded, make([]error, len(ds)))
	if err != nil {
		return nil, nil, err
	}
	leave := make([]bool, len(jobs))
	for k, i := range at {
		leave[i] = !keep[k]
	}
	for i, j := range jobs {
		if leave[i] {
			later = append(later, j)
		} else {
			run = append(run, j)
		}
	}
	if len(run) == 0 {
		return jobs, nil, nil
	}
	for _, j := range later {
		j.deferred = true
	}
	return run, later, nil
}
