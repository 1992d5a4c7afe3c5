package donorsync

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// inHand holds the deliveries that the Workers of one Ingester have read
// ahead and not yet applied, so that they read different ones.
type inHand struct {
	mu  sync.Mutex
	ids map[TenantID]struct{}
	// unlisted is set once a View showed that the store cannot read
	// ahead (its Tx is not a DueLister), so that no more Views are spent
	// finding that out.
	unlisted bool
}

// ahead is a batch of due deliveries read and decoded before the writing
// transaction that claims and applies it, and held in hand until release.
type ahead struct {
	hand    *inHand
	ids     []TenantID
	at      map[TenantID]int
	ds      []*Delivery
	decoded []Decoded
	derrs   []error
	draft   Draft // its application drafted (Drafter), or nil
}

// readAhead reads and decodes, in a View, up to batch deliveries due now
// that no other Worker of the Ingester holds, when the Store writes one
// transaction at a time and its Tx is a DueLister; it returns nil
// otherwise. The caller releases the batch when done with it.
func (w *Worker) readAhead(ctx context.Context, batch int) (*ahead, error) {
	if p, ok := w.Ingester.Store.(ParallelStore); ok && p.ParallelWrites() > 1 {
		return nil, nil
	}
	hand := &w.Ingester.hand
	hand.mu.Lock()
	held, unlisted := len(hand.ids), hand.unlisted
	hand.mu.Unlock()
	if unlisted {
		return nil, nil
	}
	var ds []*Delivery
	lister, preloader := false, false
	err := w.Ingester.Store.View(ctx, func(tx Tx) error {
		l, ok := tx.(DueLister)
		if !ok {
			return nil
		}
		lister = true
		_, preloader = tx.(Preloader)
		var err error
		ds, err = l.DueDeliveries(ctx, Claim{Tenant: w.Tenant, Now: w.Ingester.now(), Limit: batch + held})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("donorsync: read due deliveries: %w", err)
	}
	if !lister {
		hand.mu.Lock()
		hand.unlisted = true
		hand.mu.Unlock()
		return nil, nil
	}
	a := &ahead{hand: hand, at: make(map[TenantID]int, min(len(ds), batch))}
	hand.mu.Lock()
	if hand.ids == nil {
		hand.ids = map[TenantID]struct{}{}
	}
	for _, d := range ds {
		id := TenantID{Tenant: d.Tenant, ID: d.ID}
		if _, held := hand.ids[id]; held || len(a.ds) == batch {
			continue
		}
		hand.ids[id] = struct{}{}
		a.at[id] = len(a.ds)
		a.ids, a.ds = append(a.ids, id), append(a.ds, d)
	}
	hand.mu.Unlock()
	a.decoded, a.derrs = make([]Decoded, len(a.ds)), make([]error, len(a.ds))
	for i, d := range a.ds { // outside the View: nothing held while decoding
		if src := w.source(d.Provider); src != nil {
			a.decoded[i], a.derrs[i] = src.Decode(d)
		}
	}
	if preloader {
		w.preload(ctx, a)
	}
	return a, nil
}

// preload reads, in a View, the records that applying a will read, for
// the writing transaction that applies it (Preloader). It reports no
// error: one that fails costs only its reads, the writing transaction
// reading what it needs itself, where its error shows.
func (w *Worker) preload(ctx context.Context, a *ahead) {
	want := w.Ingester.wants(a.ds, a.decoded, a.derrs)
	if want.empty() {
		return
	}
	w.Ingester.Store.View(ctx, func(tx Tx) error {
		if p, ok := tx.(Preloader); ok {
			return p.Preload(ctx, want)
		}
		return nil
	})
}

// draft applies the batch a in a draft (after the draft after, when not
// nil), when the Store is a Drafter and a is not nil, for the writing
// transaction that claims it to send. It returns nil when it could not:
// that transaction then applies the batch itself, where an error shows.
func (w *Worker) draft(ctx context.Context, after Draft, a *ahead) Draft {
	dr, ok := w.Ingester.Store.(Drafter)
	if !ok || a == nil || len(a.ds) == 0 {
		return nil
	}
	d, err := dr.Draft(ctx, after, func(tx Tx) error {
		return w.Ingester.applyBatch(ctx, tx, a.ds, a.decoded, a.derrs)
	})
	if err != nil {
		w.Ingester.logger().LogAttrs(ctx, slog.LevelDebug, "donorsync: worker: no draft; the writing transaction applies the batch",
			slog.Int("deliveries", len(a.ds)), logError(err))
		return nil
	}
	return d
}

// all reports whether ds are the deliveries of a, in the same order: a
// draft of a is then a draft of ds.
func (a *ahead) all(ds []*Delivery) bool {
	if a == nil || len(ds) != len(a.ids) {
		return false
	}
	for i, d := range ds {
		if a.ids[i] != (TenantID{Tenant: d.Tenant, ID: d.ID}) {
			return false
		}
	}
	return true
}

// release gives up the batch a holds; a may be nil.
func (a *ahead) release() {
	if a == nil {
		return
	}
	a.hand.mu.Lock()
	for _, id := range a.ids {
		delete(a.hand.ids, id)
	}
	a.hand.mu.Unlock()
}

// decode returns the decoded events of each delivery of ds, as read ahead
// (a may be nil), giving ds the bodies read then: the claim that returned
// ds may have left them out. A delivery not read ahead is decoded now. It
// fails when a delivery has no source, or neither a body nor one read
// ahead (a store that left a body out of a claim it did not narrow to the
// ids read ahead).
func (a *ahead) decode(source func(string) Source, ds []*Delivery) (decoded []Decoded, derrs []error, err error) {
	decoded = make([]Decoded, len(ds))
	derrs = make([]error, len(ds))
	for i, d := range ds {
		src := source(d.Provider)
		if src == nil {
			return nil, nil, errNoSource
		}
		if a != nil {
			if j, ok := a.at[TenantID{Tenant: d.Tenant, ID: d.ID}]; ok {
				d.Body, decoded[i], derrs[i] = a.ds[j].Body, a.decoded[j], a.derrs[j]
				continue
			}
		}
		if d.Body == nil {
			return nil, nil, errNoBody
		}
		decoded[i], derrs[i] = src.Decode(d)
	}
	return decoded, derrs, nil
}
