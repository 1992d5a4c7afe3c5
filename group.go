package donorsync

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// committer journals deliveries with group commit: while one transaction
// commits, the deliveries that arrive queue up, and the next transaction
// journals them all, so that many deliveries share one durable commit. A
// delivery waits for its own batch only. Deliveries received inline are
// applied in the same transaction. On a Store that declares several
// writers, as many batches may commit at once.
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

// maxGroup and maxGroupBytes bound a batch, so that one transaction stays
// short, and so that the bodies a transaction holds while a store stalls
// are bounded however many senders retry.
const (
	maxGroup      = 256
	maxGroupBytes = 8 << 20
)

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
		// Still queued, it is dropped, with its body; taken by a batch, it
		// may still commit: the sender, told to retry, then gets a
		// duplicate.
		c.drop(job)
		return ctx.Err()
	}
}

// drop takes job out of the queue, if it is still there.
func (c *committer) drop(job *journalJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.queue, job); i >= 0 {
		c.queue = slices.Delete(c.queue, i, i+1)
	}
}

// take removes the next batch from the queue: its share of the queue
// where several leaders commit at once, within maxGroup and maxGroupBytes
// (but at least one job).
func (c *committer) take() []*journalJob {
	n := min(len(c.queue), maxGroup, (len(c.queue)+c.leaders-1)/c.leaders)
	size := 0
	for i, j := range c.queue[:n] {
		if size += len(j.d.Body); size > maxGroupBytes && i > 0 {
			n = i
			break
		}
	}
	batch := c.queue[:n:n]
	c.queue = c.queue[n:]
	return batch
}

// commitGroups commits queued jobs, a batch per transaction, until the
// queue is empty. Where several commit at once, each takes its share of
// the queue.
func (g *Ingester) commitGroups() {
	c := &g.group
	for {
		c.mu.Lock()
		batch := c.take()
		if len(batch) == 0 {
			c.leaders--
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		g.commitBatch(batch)
	}
}

// parallelWrites is how many batches may commit at once: as many as the
// Store declares writers.
func (g *Ingester) parallelWrites() int {
	m, _ := g.execution()
	return max(1, m.Writers)
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
	start := time.Now()
	err := g.Store.Update(ctx, func(tx Tx) error {
		var err error
		if run, later, err = g.leaveBusy(ctx, tx, live); err != nil {
			return err
		}
		states = make([]Delivery, len(run))
		ds := make([]*Delivery, len(run))
		for i, j := range run {
			states[i] = *j.d // a retried transaction starts from the same state
			ds[i] = &states[i]
		}
		if err := g.recordAll(ctx, tx, ds); err != nil {
			return err
		}
		// Apply the new deliveries received inline, as one batch; they
		// were journaled as processed already.
		var apply items
		for i, j := range run {
			if j.apply && ds[i].Status != Duplicate {
				apply = append(apply, item{d: ds[i], events: j.events})
			}
		}
		return g.applyItems(ctx, tx, apply)
	})
	if err == nil {
		g.committed(ctx, start, run, states)
		if len(later) > 0 { // first in the queue: they keep their turn
			c := &g.group
			c.mu.Lock()
			c.queue = append(later, c.queue...)
			c.mu.Unlock()
		}
		return
	}
	g.oneByOne(ctx, live)
}

// committed hands the jobs of a batch committed after start their
// deliveries' states, and observes those applied.
func (g *Ingester) committed(ctx context.Context, start time.Time, run []*journalJob, states []Delivery) {
	var applied []*Delivery
	for i, j := range run {
		*j.d = states[i]
		if j.apply && j.d.Status != Duplicate {
			applied = append(applied, j.d)
		}
	}
	g.observeApplied(ctx, start, false, applied...)
	for _, j := range run {
		j.done <- nil
	}
}

// oneByOne journals each job of a batch that failed on its own: one
// delivery may have spoilt the batch (a duplicate raced in on another
// replica, a delivery that cannot be applied). Lost races are retried.
func (g *Ingester) oneByOne(ctx context.Context, jobs []*journalJob) {
	for _, j := range jobs {
		if j.apply {
			start := time.Now()
			err := g.receiveOne(j.ctx, j.d, j.events)
			if err == nil && j.d.Status != Duplicate {
				g.observeApplied(ctx, start, false, j.d)
			}
			j.done <- err
			continue
		}
		j.done <- g.update(j.ctx, func(tx Tx) error {
			_, err := tx.RecordDelivery(j.ctx, j.d)
			return err
		})
	}
}

// leaveBusy returns the jobs to run now and those to leave for the next
// batch, where the Store declares locks that can be tried: deliveries
// received inline whose locks another transaction holds, left once (a job
// left before waits for its locks), unless none would run.
func (g *Ingester) leaveBusy(ctx context.Context, tx Tx, jobs []*journalJob) (run, later []*journalJob, err error) {
	tl, ok := tx.(batch.TryLocker)
	if !ok || !g.declared().TryLock {
		return jobs, nil, nil
	}
	var try items
	for _, j := range jobs {
		if j.apply && !j.deferred {
			try = append(try, item{d: j.d, events: j.events})
		}
	}
	if len(try) == 0 {
		return jobs, nil, nil
	}
	_, left, err := g.tryLock(ctx, tl, try)
	switch {
	case skipped(err):
		return jobs, nil, nil
	case err != nil:
		return nil, nil, err
	case len(left) == 0:
		return jobs, nil, nil
	}
	busy := make(map[*Delivery]bool, len(left))
	for _, it := range left {
		busy[it.d] = true
	}
	for _, j := range jobs {
		if busy[j.d] {
			j.deferred = true
			later = append(later, j)
		} else {
			run = append(run, j)
		}
	}
	return run, later, nil
}
