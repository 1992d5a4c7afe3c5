package donorsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// Apply applies the events of delivery d within tx: it matches and merges
// each event's contact, then upserts its activities, commitment,
// adjustments and donation, deriving the donation's status. It writes
// nothing else, so it can be combined with other writes in one
// transaction.
//
// When the Ingester records changes (RecordChanges), Apply also appends
// to the change feed one change for each record it changed, and leaves
// out the writes that would change nothing.
//
// An error wrapping ErrInvalid means the events cannot be applied as they
// are; ErrConflict means the transaction lost a race and should be retried.
func (g *Ingester) Apply(ctx context.Context, tx Tx, d *Delivery, events []donation.Event) error {
	if err := tx.Lock(ctx, g.lockNames(d, events)); err != nil {
		return err
	}
	var rec *changeRecorder
	if g.RecordChanges {
		rec = newChangeRecorder(tx)
		tx = rec
	}
	for i := range events {
		if err := g.applyEvent(ctx, tx, d, &events[i]); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	if rec == nil {
		return nil
	}
	if cs := rec.changes(d, g.now()); len(cs) > 0 {
		return rec.Tx.AppendChanges(ctx, cs)
	}
	return nil
}

// applyEvent applies one event: its contact first, since the records
// after it point at the contact.
func (g *Ingester) applyEvent(ctx context.Context, tx Tx, d *Delivery, ev *donation.Event) error {
	if err := validate(d, ev); err != nil {
		return err
	}
	now := g.now()
	contactID, err := g.applyContact(ctx, tx, d, ev, now)
	if err != nil {
		return err
	}
	if err := applyActivities(ctx, tx, d, ev, contactID); err != nil {
		return err
	}
	if err := applyCommitment(ctx, tx, d, ev, contactID, now); err != nil {
		return err
	}
	if err := applyAdjustments(ctx, tx, d, ev); err != nil {
		return err
	}
	return applyDonations(ctx, tx, d, ev, contactID, now)
}

// applyContact upserts the event's contact, and returns its id; "" when
// the event has none, or one without any key to find it by again.
func (g *Ingester) applyContact(ctx context.Context, tx Tx, d *Delivery, ev *donation.Event, now time.Time) (string, error) {
	if ev.Contact == nil {
		return "", nil
	}
	in := ev.Contact.Clone()
	in.Tenant = d.Tenant
	in.Stamp(ev.At)
	var fallback []dedup.Key
	if ev.Donation != nil {
		fallback = []dedup.Key{giftKey(d.Provider, ev.Donation.ExternalID)}
	}
	return g.upsertContact(ctx, tx, in, fallback, now)
}

// giftKey is the key of a donor known by nothing but a gift: it finds
// the donor again when that gift is delivered again.
func giftKey(provider, externalID string) dedup.Key {
	return dedup.Key{Kind: dedup.Gift, Value: provider + ":" + externalID}
}

// applyActivities stores the event's activities, which belong to its
// contact: none without one.
func applyActivities(ctx context.Context, tx Tx, d *Delivery, ev *donation.Event, contactID string) error {
	if contactID == "" {
		return nil
	}
	for _, a := range ev.Activities {
		a.Tenant, a.Provider, a.ContactID, a.DeliveryID = d.Tenant, d.Provider, contactID, d.ID
		a.At = a.At.UTC()
		if err := tx.PutActivity(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// applyCommitment merges the event's commitment into the stored one.
func applyCommitment(ctx context.Context, tx Tx, d *Delivery, ev *donation.Event, contactID string, now time.Time) error {
	if ev.Commitment == nil {
		return nil
	}
	in := *ev.Commitment
	in.Tenant, in.Provider = d.Tenant, d.Provider
	in.ContactID = contactID
	if in.SourceTime.IsZero() {
		in.SourceTime = ev.At
	}
	read := func() (donation.Commitment, error) { return tx.Commitment(ctx, d.Tenant, d.Provider, in.ExternalID) }
	c, err := read()
	if err == nil {
		c, err = lockedOwner(ctx, tx, d.Tenant, contactID, c, commitmentOwner, read)
	}
	switch {
	case errors.Is(err, ErrNotFound):
		c = donation.Commitment{ID: NewID("cm")}
	case err != nil:
		return err
	}
	c.Merge(in)
	c.UpdatedAt = now
	return tx.PutCommitment(ctx, c)
}

// applyAdjustments stores the event's adjustments; the donations they
// adjust are derived again by applyDonations.
func applyAdjustments(ctx context.Context, tx Tx, d *Delivery, ev *donation.Event) error {
	for _, a := range ev.Adjustments {
		a.Tenant, a.Provider, a.DeliveryID = d.Tenant, d.Provider, d.ID
		if a.DonationID == "" && ev.Donation != nil {
			a.DonationID = ev.Donation.ExternalID
		}
		if err := tx.PutAdjustment(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// applyDonations merges the event's donation into the stored one, and
// derives the status of it and of every donation the event's adjustments
// name from the set of their adjustments. An adjustment that arrived
// before its donation waits for it.
func applyDonations(ctx context.Context, tx Tx, d *Delivery, ev *donation.Event, contactID string, now time.Time) error {
	for _, extID := range targets(ev) {
		own := ev.Donation != nil && ev.Donation.ExternalID == extID
		read := func() (donation.Donation, error) { return tx.Donation(ctx, d.Tenant, d.Provider, extID) }
		stored, err := read()
		if err == nil {
			stored, err = lockedOwner(ctx, tx, d.Tenant, contactID, stored, donationOwner, read)
		}
		switch {
		case errors.Is(err, ErrNotFound) && !own:
			continue
		case errors.Is(err, ErrNotFound):
			stored = donation.Donation{ID: NewID("dn"), Tenant: d.Tenant, Provider: d.Provider, ExternalID: extID}
		case err != nil:
			return err
		}
		if own {
			in := ev.Donation.Clone()
			in.Tenant, in.Provider, in.DeliveryID = d.Tenant, d.Provider, d.ID
			in.ContactID = contactID
			if in.SourceTime.IsZero() {
				in.SourceTime = ev.At
			}
			stored.Merge(in)
		}
		adjs, err := tx.Adjustments(ctx, d.Tenant, d.Provider, extID)
		if err != nil {
			return err
		}
		stored.Status, stored.Refunded = donation.Derive(stored.PlatformStatus, stored.Amount, adjs)
		stored.SettledAt = donation.SettledAt(adjs)
		stored.UpdatedAt = now
		if err := tx.PutDonation(ctx, stored); err != nil {
			return err
		}
	}
	return nil
}

// targets returns the external ids of the donations an event touches:
// its own, and those its adjustments name.
func targets(ev *donation.Event) []string {
	var ids []string
	if ev.Donation != nil {
		ids = append(ids, ev.Donation.ExternalID)
	}
	for _, a := range ev.Adjustments {
		if a.DonationID != "" && !slices.Contains(ids, a.DonationID) {
			ids = append(ids, a.DonationID)
		}
	}
	return ids
}

// lockNames returns the sorted names of the natural keys the events touch:
// contact keys, donations (adjusted ones included) and commitments; and,
// when the Ingester records changes, activities, so that two deliveries
// of one activity at once tell it once.
func (g *Ingester) lockNames(d *Delivery, events []donation.Event) []string {
	var names []string
	add := func(parts ...string) { names = append(names, d.Tenant+"\x1f"+strings.Join(parts, "\x1f")) }
	for _, ev := range events {
		if ev.Contact != nil {
			for _, k := range g.policy().Keys(*ev.Contact) {
				add("key", string(k.Kind), k.Value)
			}
		}
		if ev.Donation != nil {
			add("donation", d.Provider, ev.Donation.ExternalID)
		}
		for _, a := range ev.Adjustments {
			if a.DonationID != "" {
				add("donation", d.Provider, a.DonationID)
			}
		}
		if ev.Commitment != nil {
			add("commitment", d.Provider, ev.Commitment.ExternalID)
		}
		if g.RecordChanges {
			for _, a := range ev.Activities {
				add("activity", d.Provider, a.Key)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// contactLock is the name of the lock on a stored contact.
func contactLock(tenant, id string) string { return tenant + "\x1fcontact\x1f" + id }
