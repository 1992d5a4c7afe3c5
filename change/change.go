// Package change defines the change feed: the record, written in the
// same transaction as the effect it describes, of every contact,
// donation, commitment and activity the engine creates or changes, so
// that a host application can react to them (a thank-you, a text to a
// new donor, a refund pushed to accounting).
//
// A change exists if and only if its effect committed: a duplicate
// delivery, or a replay that changes nothing, writes none. Each tenant's
// changes are numbered by Position in the order their transactions
// committed, so that folding them in order gives the stored records (see
// Kind for what each kind means to a fold). donorsync.Feed reads them
// with a durable cursor per consumer; a Store keeps them (see
// donorsync.Tx).
package change

import (
	"slices"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

// A Change is one effect committed to a tenant's records.
type Change struct {
	// ID is the change's own id, stable across reads and deliveries of it.
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	// Position orders the tenant's feed: 1 for its first change, then
	// one more for each, in the order their transactions committed.
	Position int64 `json:"position"`
	Kind     Kind  `json:"kind"`
	// Key is the record's key: a contact's id, or "provider:external id"
	// for a donation or commitment, "provider:key" for an activity.
	Key string `json:"key"`
	// DeliveryID is the journaled delivery that caused the change.
	DeliveryID string `json:"delivery_id"`
	// At is when the engine made the change (its clock).
	At time.Time `json:"at"`

	// Fields names what changed, for ContactUpdated, DonationUpdated,
	// DonationStatusChanged, DonationSettled and CommitmentUpdated, as
	// the record's fields are named in JSON, sorted.
	Fields []string `json:"fields,omitempty"`
	// From is the contact merged into the contact Key, for ContactsMerged.
	From string `json:"from,omitempty"`
	// Previous is the donation's status before a DonationStatusChanged,
	// or the commitment's before a commitment change.
	Previous string `json:"previous,omitempty"`

	// The record's state after the change: the one the kind names.
	Contact    *contact.Contact     `json:"contact,omitempty"`
	Donation   *donation.Donation   `json:"donation,omitempty"`
	Commitment *donation.Commitment `json:"commitment,omitempty"`
	Activity   *contact.Activity    `json:"activity,omitempty"`
	// Adjustments are, with a donation, every adjustment it has
	// (refunds, chargebacks, settlements), by key.
	Adjustments []donation.Adjustment `json:"adjustments,omitempty"`
}

// A Kind is what a change did.
type Kind string

// The kinds of change, and what a fold of the feed does with each: set
// the record Key to the state the change carries, unless said otherwise.
const (
	ContactCreated Kind = "contact.created"
	ContactUpdated Kind = "contact.updated"
	// ContactsMerged: contact From was found to be contact Key, and
	// merged into it: From is gone, and its donations, commitments and
	// activities are Key's. A ContactUpdated of Key follows, in the same
	// transaction, when its state changed. It carries no state.
	ContactsMerged Kind = "contact.merged"

	DonationRecorded Kind = "donation.recorded" // a donation stored for the first time
	// DonationStatusChanged: the donation's Status or Refunded amount
	// changed (refunded, partially refunded, voided, charged back,
	// chargeback reversed, ACH returned), Previous holding the status
	// before.
	DonationStatusChanged Kind = "donation.status_changed"
	DonationSettled       Kind = "donation.settled" // the platform settled its funds (SettledAt), its status unchanged
	DonationUpdated       Kind = "donation.updated" // other fields changed

	CommitmentCreated   Kind = "commitment.created"
	CommitmentCancelled Kind = "commitment.cancelled" // its status became cancelled
	CommitmentFailed    Kind = "commitment.failed"    // its status became failed
	CommitmentUpdated   Kind = "commitment.updated"   // other changes, a commitment active again included

	ActivityRecorded Kind = "activity.recorded"
)

// A Cursor is where a named consumer of the feed is in one tenant's
// feed, and who holds it: a consumer leases a cursor to handle the
// changes past it, so that replicas sharing a consumer name never handle
// the same change at once.
type Cursor struct {
	Consumer string
	Tenant   string
	// Position is that of the last change handled: 0 before the first.
	Position int64
	// Token names the holder of the lease, until LeasedUntil; the lease
	// is free when LeasedUntil is zero or past.
	Token       string
	LeasedUntil time.Time
}

// A Claim asks for the lease of a cursor with changes past it.
type Claim struct {
	Consumer string
	Tenant   string    // "" for any tenant
	Token    string    // the claimant's token, set on the cursor claimed
	Now      time.Time // cursors whose lease is free at this time
	Until    time.Time // the lease lapses then
}

// Clone returns a deep copy of c.
func (c Change) Clone() Change {
	c.Fields = slices.Clone(c.Fields)
	c.Adjustments = slices.Clone(c.Adjustments)
	if c.Contact != nil {
		v := c.Contact.Clone()
		c.Contact = &v
	}
	if c.Donation != nil {
		v := c.Donation.Clone()
		c.Donation = &v
	}
	if c.Commitment != nil {
		v := c.Commitment.Clone()
		c.Commitment = &v
	}
	if c.Activity != nil {
		v := *c.Activity
		c.Activity = &v
	}
	return c
}
