package donorsync

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/donorsync/donorsync/internal/batch"
)

// A pipeline prepares a Worker's batches ahead of the writing transaction
// that claims them. An Ingester chooses one once, from the Store's Model:
// noPipeline, or readAhead for a Store that writes one transaction at a
// time and reads beside it (SQLite).
type pipeline interface {
	// prepare returns the batch to claim next, prepared: a, read by
	// prepareAfter, when it is not nil, else a new one, empty when
	// nothing is due; nil when nothing is prepared ahead, and the writing
	// transaction claims what is due.
	prepare(ctx context.Context, w *Worker, a *ahead) (*ahead, error)
	// prepareAfter starts preparing the batch after a, which the
	// writing transaction is about to claim. Its result, wait, returns
	// that batch once the transaction is done, told whether it sent a's
	// draft; nil when there is none to keep.
	prepareAfter(ctx context.Context, w *Worker, a *ahead) (wait func(sent bool) *ahead)
	// send sends a's draft in tx, when a was drafted and the transaction
	// claimed exactly its deliveries, and reports whether it did; when
	// it did not, the transaction applies the batch itself.
	send(ctx context.Context, w *Worker, tx Tx, a *ahead, claimed items) (bool, error)
}

// noPipeline prepares nothing: the writing transaction claims, decodes
// and applies.
type noPipeline struct{}

func (noPipeline) prepare(context.Context, *Worker, *ahead) (*ahead, error) { return nil, nil }

func (noPipeline) prepareAfter(context.Context, *Worker, *ahead) func(bool) *ahead {
	return func(bool) *ahead { return nil }
}

func (noPipeline) send(context.Context, *Worker, Tx, *ahead, items) (bool, error) { return false, nil }

// pipeline returns the Ingester's pipeline.
func (g *Ingester) pipeline() pipeline {
	if _, r := g.execution(); r != nil {
		return r
	}
	return noPipeline{}
}

// readAhead reads and decodes each batch in a View, beside the writing
// transactions, preloads its records (Model.Preload) and drafts its
// application (Model.Drafts), so that the writing transaction that claims
// the batch by id is held for little but its writes. While one batch is
// written, the next is read and drafted after it. The Workers of one
// Ingester share it, and read different batches.
type readAhead struct {
	g     *Ingester
	model batch.Model

	mu   sync.Mutex
	held map[batch.ID]struct{} // read ahead by a Worker, not yet settled

	// unlisted is set once a View's Tx could not list due deliveries
	// (a store that wraps the View's Tx of one that declares read-ahead):
	// the writing transactions then claim what is due, and no more Views
	// are spent finding that out.
	unlisted atomic.Bool
}

// ahead is a batch read ahead, held until released.
type ahead struct {
	r     *readAhead
	ids   []batch.ID
	at    map[batch.ID]int
	items items
	draft batch.Draft // its application drafted, or nil
}

func (r *readAhead) prepare(ctx context.Context, w *Worker, a *ahead) (*ahead, error) {
	if a == nil {
		if r.unlisted.Load() {
			return nil, nil
		}
		var err error
		if a, err = r.read(ctx, w); err != nil || r.unlisted.Load() {
			a.release()
			return nil, err
		}
	}
	if len(a.ids) > 0 && a.draft == nil && w.pace.drafting() {
		a.draft = r.draftOf(ctx, nil, a)
	}
	return a, nil
}

func (r *readAhead) prepareAfter(ctx context.Context, w *Worker, a *ahead) func(sent bool) *ahead {
	if a == nil || len(a.ids) < w.batch() {
		return func(bool) *ahead { return nil }
	}
	var next *ahead
	done := make(chan struct{})
	go func() {
		defer close(done)
		next, _ = r.read(ctx, w) // an error shows again when the batch is read anew
		if len(next.ids) == w.batch() && a.draft != nil {
			next.draft = r.draftOf(ctx, a.draft, next)
		}
	}()
	return func(sent bool) *ahead {
		<-done
		if len(next.ids) < w.batch() { // read again after a pause, when more may be due
			next.release()
			return nil
		}
		if !sent { // drafted after a draft never sent: drafted anew
			next.draft = nil
		}
		return next
	}
}

func (r *readAhead) send(ctx context.Context, w *Worker, tx Tx, a *ahead, claimed items) (bool, error) {
	s, ok := tx.(batch.DraftSender)
	if !ok || a == nil || a.draft == nil || !a.all(claimed) {
		return false, nil
	}
	sent, err := s.SendDraft(ctx, a.draft)
	if skipped(err) {
		return false, nil
	}
	if err == nil {
		w.pace.drafted(sent)
	}
	return sent, err
}

// read reads and decodes, in a View, up to a batch of deliveries due now
// that no other Worker of the Ingester holds, and preloads their records.
// The caller releases the batch.
func (r *readAhead) read(ctx context.Context, w *Worker) (*ahead, error) {
	size := w.batch()
	r.mu.Lock()
	held := len(r.held)
	r.mu.Unlock()
	var ds []*Delivery
	err := r.g.Store.View(ctx, func(tx Tx) error {
		l, ok := tx.(lister)
		if !ok {
			r.unlisted.Store(true)
			return nil
		}
		var err error
		ds, err = l.DueDeliveries(ctx, Claim{Tenant: w.Tenant, Now: r.g.now(), Limit: size + held})
		return err
	})
	a := &ahead{r: r, at: make(map[batch.ID]int, min(len(ds), size))}
	if err != nil {
		return a, fmt.Errorf("donorsync: read due deliveries: %w", err)
	}
	r.mu.Lock()
	if r.held == nil {
		r.held = map[batch.ID]struct{}{}
	}
	for _, d := range ds {
		id := batch.ID{Tenant: d.Tenant, ID: d.ID}
		if _, held := r.held[id]; held || len(a.items) == size {
			continue
		}
		r.held[id] = struct{}{}
		a.at[id] = len(a.items)
		a.ids, a.items = append(a.ids, id), append(a.items, item{d: d})
	}
	r.mu.Unlock()
	for i := range a.items { // outside the View: nothing held while decoding
		it := &a.items[i]
		if src := w.source(it.d.Provider); src != nil {
			var dec Decoded
			dec, it.err = decode(r.g.logger(), src, it.d)
			it.events = dec.Events
		}
	}
	r.preload(ctx, a)
	return a, nil
}

// preload reads, in a View, the records that applying a will read, for
// the writing transaction that applies it. It reports no error: one that
// fails costs only its reads, the writing transaction reading what it
// needs itself, where its error shows.
func (r *readAhead) preload(ctx context.Context, a *ahead) {
	if !r.model.Preload {
		return
	}
	want := r.g.wants(a.items)
	if want.Empty() {
		return
	}
	r.g.Store.View(ctx, func(tx Tx) error {
		if p, ok := tx.(batch.Preloader); ok {
			return p.Preload(ctx, want)
		}
		return nil
	})
}

// draftOf applies the batch a in a draft (after the draft after, when not
// nil), for the writing transaction that claims it to send. It returns
// nil when it could not: that transaction then applies the batch itself,
// where an error shows.
func (r *readAhead) draftOf(ctx context.Context, after batch.Draft, a *ahead) batch.Draft {
	draft, ok := batch.DraftOf(r.g.Store).(draftFunc)
	if !r.model.Drafts || !ok || len(a.items) == 0 {
		return nil
	}
	d, err := draft(ctx, after, func(tx Tx) error {
		return r.g.applyItems(ctx, tx, a.items)
	})
	if err != nil {
		r.g.logger().LogAttrs(ctx, slog.LevelDebug, "donorsync: worker: no draft; the writing transaction applies the batch",
			slog.Int("deliveries", len(a.items)), logError(err))
		return nil
	}
	return d
}

// all reports whether claimed are the deliveries of a, in the same order:
// a draft of a is then a draft of claimed.
func (a *ahead) all(claimed items) bool {
	if len(claimed) != len(a.ids) {
		return false
	}
	for i, it := range claimed {
		if a.ids[i] != (batch.ID{Tenant: it.d.Tenant, ID: it.d.ID}) {
			return false
		}
	}
	return true
}

// claimBy narrows a Worker's claim to the batch a, when a is not nil.
// Either way the claiming transaction settles what it claims.
func (a *ahead) claimBy() batch.ClaimBy {
	if a == nil {
		return batch.ClaimBy{Settling: true}
	}
	return batch.ClaimBy{IDs: a.ids, NoBody: true, Settling: true}
}

// release gives up the batch a holds; a may be nil.
func (a *ahead) release() {
	if a == nil {
		return
	}
	a.r.mu.Lock()
	for _, id := range a.ids {
		delete(a.r.held, id)
	}
	a.r.mu.Unlock()
}

// decode returns the claimed deliveries ds with their events, as read
// ahead in a (which may be nil), giving ds the bodies read then: the claim
// may have left them out. A delivery not read ahead is decoded now. It
// fails when a delivery has no source, or neither a body nor one read
// ahead (a store that left a body out of a claim it did not narrow to the
// ids read ahead). A decoder's panic is logged to logger.
func (a *ahead) decode(logger *slog.Logger, source func(string) Source, ds []*Delivery) (items, error) {
	b := make(items, len(ds))
	for i, d := range ds {
		src := source(d.Provider)
		if src == nil {
			return nil, errNoSource
		}
		if a != nil {
			if j, ok := a.at[batch.ID{Tenant: d.Tenant, ID: d.ID}]; ok {
				read := a.items[j]
				d.Body = read.d.Body
				b[i] = item{d: d, events: read.events, err: read.err}
				continue
			}
		}
		if d.Body == nil {
			return nil, errNoBody
		}
		dec, err := decode(logger, src, d)
		b[i] = item{d: d, events: dec.Events, err: err}
	}
	return b, nil
}

// draftPace keeps a Worker whose drafts are refused from drafting every
// batch: after a refusal it applies 1, 2, 4, ... up to maxUndrafted
// batches without drafting before it drafts again, so that Workers whose
// drafts another's commits keep refusing (several on one SQLite store)
// waste one draft in this many batches.
type draftPace struct {
	undrafted, refusals atomic.Int32
}

const maxUndrafted = 16

// drafting reports whether the Worker drafts its next batch.
func (p *draftPace) drafting() bool {
	for {
		n := p.undrafted.Load()
		if n <= 0 {
			return true
		}
		if p.undrafted.CompareAndSwap(n, n-1) {
			return false
		}
	}
}

// drafted notes whether a draft was sent or refused.
func (p *draftPace) drafted(sent bool) {
	if sent {
		p.refusals.Store(0)
		return
	}
	n := min(p.refusals.Add(1), 5)
	p.undrafted.Store(min(int32(1)<<(n-1), maxUndrafted))
}
