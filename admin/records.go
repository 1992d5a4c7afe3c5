package admin

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// records are the stored records a decoded event made, looked up by the
// event's natural keys; Missing names those not in the store (a delivery
// not applied yet, or not applied at all).
type records struct {
	Contact     *contact.Contact
	Donations   []donationRecord
	Commitment  *donation.Commitment
	Activities  []contact.Activity
	Missing     []string
	ContactNote string // how the contact was found, when not through a donation or commitment
}

// A donationRecord is a stored donation with its adjustments; Donation
// is nil when only adjustments that name it are stored.
type donationRecord struct {
	ExternalID  string
	Donation    *donation.Donation
	Adjustments []donation.Adjustment
}

// lookup finds the records that ev, decoded from a delivery of provider
// for tenant, made: the donation of its donation and of each adjustment,
// with their adjustments, its commitment, the contact that owns them
// (or, for an event without them, the contact that owns one of its
// keys), and the activities it records.
func lookup(ctx context.Context, tx donorsync.Tx, tenant, provider string, ev donation.Event) (records, error) {
	var rec records
	contactID := ""
	for _, id := range donationIDs(ev) {
		dr, err := lookupDonation(ctx, tx, tenant, provider, id)
		if err != nil {
			return rec, err
		}
		if dr.Donation == nil {
			rec.Missing = append(rec.Missing, "donation "+id)
		} else if contactID == "" {
			contactID = dr.Donation.ContactID
		}
		rec.Donations = append(rec.Donations, dr)
	}
	if ev.Commitment != nil {
		c, err := tx.Commitment(ctx, tenant, provider, ev.Commitment.ExternalID)
		switch {
		case errors.Is(err, donorsync.ErrNotFound):
			rec.Missing = append(rec.Missing, "commitment "+ev.Commitment.ExternalID)
		case err != nil:
			return rec, err
		default:
			rec.Commitment = &c
			contactID = cmp.Or(contactID, c.ContactID)
		}
	}
	if err := rec.lookupContact(ctx, tx, tenant, contactID, ev); err != nil {
		return rec, err
	}
	return rec, rec.lookupActivities(ctx, tx, tenant, provider, ev)
}

// donationIDs are the external ids of the donations ev names, its
// donation's first.
func donationIDs(ev donation.Event) []string {
	var ids []string
	if ev.Donation != nil {
		ids = append(ids, ev.Donation.ExternalID)
	}
	for _, a := range ev.Adjustments {
		if !slices.Contains(ids, a.DonationID) {
			ids = append(ids, a.DonationID)
		}
	}
	return ids
}

// lookupDonation reads a donation by its natural key, and its
// adjustments.
func lookupDonation(ctx context.Context, tx donorsync.Tx, tenant, provider, id string) (donationRecord, error) {
	dr := donationRecord{ExternalID: id}
	d, err := tx.Donation(ctx, tenant, provider, id)
	switch {
	case errors.Is(err, donorsync.ErrNotFound):
	case err != nil:
		return dr, err
	default:
		dr.Donation = &d
	}
	dr.Adjustments, err = tx.Adjustments(ctx, tenant, provider, id)
	return dr, err
}

// lookupContact reads the contact of id, or when id is "", the contact
// that owns one of the keys of ev's contact.
func (rec *records) lookupContact(ctx context.Context, tx donorsync.Tx, tenant, id string, ev donation.Event) error {
	if id == "" && ev.Contact != nil {
		for _, k := range dedup.Keys(*ev.Contact) {
			c, err := tx.ContactByKey(ctx, tenant, k)
			if errors.Is(err, donorsync.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			id, rec.ContactNote = c.ID, "found by its "+string(k.Kind)
			break
		}
	}
	if id == "" {
		if ev.Contact != nil {
			rec.Missing = append(rec.Missing, "contact")
		}
		return nil
	}
	c, err := tx.Contact(ctx, tenant, id)
	if errors.Is(err, donorsync.ErrNotFound) {
		rec.Missing = append(rec.Missing, "contact "+id)
		return nil
	}
	if err == nil {
		rec.Contact = &c
	}
	return err
}

// lookupActivities reads the activities ev records, on its contact.
func (rec *records) lookupActivities(ctx context.Context, tx donorsync.Tx, tenant, provider string, ev donation.Event) error {
	if len(ev.Activities) == 0 {
		return nil
	}
	var stored []contact.Activity
	if rec.Contact != nil {
		var err error
		if stored, err = tx.Activities(ctx, tenant, rec.Contact.ID); err != nil {
			return err
		}
	}
	for _, a := range ev.Activities {
		i := slices.IndexFunc(stored, func(s contact.Activity) bool { return s.Provider == provider && s.Key == a.Key })
		if i < 0 {
			rec.Missing = append(rec.Missing, "activity "+a.Key)
			continue
		}
		rec.Activities = append(rec.Activities, stored[i])
	}
	return nil
}
