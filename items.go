package donorsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// An item is a delivery of a batch with what decoding it gave: its events,
// or the error that quarantines it.
type item struct {
	d      *Delivery
	events []donation.Event
	err    error
}

// items are deliveries applied together, in one transaction: a Worker's
// batch, or the deliveries of a group commit received inline.
type items []item

// decoded returns the items whose deliveries could be decoded.
func (b items) decoded() items {
	out := make(items, 0, len(b))
	for _, it := range b {
		if it.err == nil {
			out = append(out, it)
		}
	}
	return out
}

// applyItems applies the events of the items that could be decoded, in tx; the
// first failure fails them all. It locks everything they touch at once,
// and reads ahead where tx can.
func (g *Ingester) applyItems(ctx context.Context, tx Tx, b items) error {
	b = b.decoded()
	if len(b) == 0 {
		return nil
	}
	var names []string
	for _, it := range b {
		names = append(names, g.lockNames(it.d, it.events)...)
	}
	slices.Sort(names)
	if err := tx.Lock(ctx, slices.Compact(names)); err != nil {
		return err
	}
	if err := g.prefetch(ctx, tx, b); err != nil {
		return err
	}
	for _, it := range b {
		if err := g.Apply(ctx, tx, it.d, it.events); err != nil {
			return err
		}
	}
	return nil
}

// settle stores, in tx, the outcome of items applied with applyItems:
// each delivery Processed, or Quarantined when it could not be decoded,
// its claim released. It returns their new states.
func (g *Ingester) settle(ctx context.Context, tx Tx, b items) ([]Delivery, error) {
	now := g.now()
	states := make([]Delivery, len(b))
	for i, it := range b {
		s := *it.d
		s.History = history(it.d)
		s.Attempts, s.UpdatedAt, s.ClaimedUntil, s.NextAttemptAt = s.Attempts+1, now, time.Time{}, time.Time{}
		s.Status, s.Error = Processed, ""
		if it.err != nil {
			s.Status, s.Error = Quarantined, text(it.err.Error())
		}
		if err := tx.UpdateDelivery(ctx, &s); err != nil {
			return nil, err
		}
		states[i] = s
	}
	return states, nil
}

// tryLock takes, without waiting, the locks of the items that could be
// decoded, and splits b into the items it holds every lock of (an item
// not decoded needs none) and the others. When it holds every lock of
// none of those that need some, it keeps them all: they then wait for
// their locks, so that the caller always makes progress.
func (g *Ingester) tryLock(ctx context.Context, tl batch.TryLocker, b items) (keep, left items, err error) {
	names := make([][]string, len(b))
	var all []string
	for i, it := range b {
		if it.err == nil {
			names[i] = g.lockNames(it.d, it.events)
			all = append(all, names[i]...)
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) == 0 {
		return b, nil, nil
	}
	held, err := tl.TryLock(ctx, all)
	if err != nil {
		return nil, nil, err
	}
	if len(held) != len(all) {
		return nil, nil, fmt.Errorf("donorsync: TryLock answered for %d of %d locks; it must answer for each name", len(held), len(all))
	}
	busy := map[string]bool{}
	for i, n := range all {
		if !held[i] {
			busy[n] = true
		}
	}
	some := false // an item that needs locks holds them all
	for i, it := range b {
		if slices.ContainsFunc(names[i], func(n string) bool { return busy[n] }) {
			left = append(left, it)
			continue
		}
		keep = append(keep, it)
		some = some || names[i] != nil
	}
	if !some {
		return b, nil, nil
	}
	return keep, left, nil
}

// wants names the records that applying the items that could be decoded
// reads by natural key: their activities too where the Ingester records
// changes.
func (g *Ingester) wants(b items) batch.Wants {
	var want batch.Wants
	for _, it := range b.decoded() {
		d := it.d
		for _, ev := range it.events {
			if ev.Contact != nil {
				keys := g.policy().Keys(*ev.Contact)
				for _, k := range keys {
					want.Keys = append(want.Keys, batch.Key{Tenant: d.Tenant, Key: k})
				}
				if len(keys) == 0 && ev.Donation != nil { // the fallback of upsertContact
					want.Keys = append(want.Keys, batch.Key{Tenant: d.Tenant, Key: giftKey(d.Provider, ev.Donation.ExternalID)})
				}
			}
			if ev.Donation != nil {
				want.Donations = append(want.Donations, batch.Ref{Tenant: d.Tenant, Provider: d.Provider, ExternalID: ev.Donation.ExternalID})
			}
			for _, a := range ev.Adjustments {
				if a.DonationID != "" {
					want.Donations = append(want.Donations, batch.Ref{Tenant: d.Tenant, Provider: d.Provider, ExternalID: a.DonationID})
				}
			}
			if ev.Commitment != nil {
				want.Commitments = append(want.Commitments, batch.Ref{Tenant: d.Tenant, Provider: d.Provider, ExternalID: ev.Commitment.ExternalID})
			}
			if g.RecordChanges { // read to tell an activity new from one stored before
				for _, a := range ev.Activities {
					want.Activities = append(want.Activities, batch.Ref{Tenant: d.Tenant, Provider: d.Provider, ExternalID: a.Key})
				}
			}
		}
	}
	return want
}

// prefetch reads ahead, where tx can, what applying b will read: the
// owners of its contact keys, its donations with their adjustments and
// its commitments; then it locks the owners and reads them afresh, and,
// where writers run side by side, the contacts its donations and
// commitments point at, and reads those afresh too (see lockedOwner).
func (g *Ingester) prefetch(ctx context.Context, tx Tx, b items) error {
	p, ok := tx.(batch.Prefetcher)
	if !ok || !g.declared().Batch {
		return nil
	}
	want := g.wants(b)
	if want.Empty() {
		return nil
	}
	owners, err := p.Prefetch(ctx, want)
	if err != nil {
		return ignoreSkip(err)
	}
	// The owners found were read before they were locked: lock them now,
	// and read them again.
	var again batch.Wants
	locks := make([]string, 0, len(owners))
	for k, id := range owners {
		again.Contacts = append(again.Contacts, batch.ID{Tenant: k.Tenant, ID: id})
		locks = append(locks, contactLock(k.Tenant, id))
	}
	var owned batch.Wants    // the donations and commitments stored with a contact
	var held map[string]bool // the locks of their contacts
	if g.parallelWrites() > 1 {
		if owned, held, err = ownedRecords(ctx, tx, want); err != nil {
			return err
		}
		for name := range held {
			locks = append(locks, name)
		}
		again.Donations, again.Commitments = owned.Donations, owned.Commitments
	}
	for range maxOwnerMoves {
		if len(locks) == 0 {
			return nil
		}
		slices.Sort(locks)
		if err := tx.Lock(ctx, slices.Compact(locks)); err != nil {
			return err
		}
		if _, err := p.Prefetch(ctx, again); err != nil || held == nil {
			return ignoreSkip(err)
		}
		// A record moved to another contact between the reads: lock that
		// one too, and read the records again.
		_, now, err := ownedRecords(ctx, tx, owned)
		if err != nil {
			return err
		}
		locks, again.Contacts = locks[:0], nil
		for name := range now {
			if !held[name] {
				locks = append(locks, name)
				held[name] = true
			}
		}
	}
	return fmt.Errorf("%w: records moved from contact to contact while they were read", ErrConflict)
}

// ownedRecords returns, of the donations and commitments w names, those
// stored with a contact, as tx reads them, and the names of the locks of
// those contacts.
func ownedRecords(ctx context.Context, tx Tx, w batch.Wants) (batch.Wants, map[string]bool, error) {
	var owned batch.Wants
	names := map[string]bool{}
	for _, r := range w.Donations {
		d, err := tx.Donation(ctx, r.Tenant, r.Provider, r.ExternalID)
		switch {
		case err == nil && d.ContactID != "":
			owned.Donations = append(owned.Donations, r)
			names[contactLock(r.Tenant, d.ContactID)] = true
		case err != nil && !errors.Is(err, ErrNotFound):
			return owned, nil, err
		}
	}
	for _, r := range w.Commitments {
		c, err := tx.Commitment(ctx, r.Tenant, r.Provider, r.ExternalID)
		switch {
		case err == nil && c.ContactID != "":
			owned.Commitments = append(owned.Commitments, r)
			names[contactLock(r.Tenant, c.ContactID)] = true
		case err != nil && !errors.Is(err, ErrNotFound):
			return owned, nil, err
		}
	}
	return owned, names, nil
}
