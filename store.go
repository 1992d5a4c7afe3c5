package donorsync

import (
	"context"
	"strings"
	"time"

	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// A Store keeps the journal of deliveries and the contacts, donations,
// adjustments and commitments made from them.
//
// Implementations must be safe for concurrent use and must pass
// storetest.Run. Everything a transaction writes becomes visible at once
// when it commits, and not at all when it does not.
type Store interface {
	// Update runs fn in a read-write transaction. It commits when fn
	// returns nil and rolls back otherwise, returning fn's error. Update
	// must not return before the commit is durable, to the degree the
	// adapter documents.
	Update(ctx context.Context, fn func(Tx) error) error

	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
}

// Page selects a page of a listing ordered by id, ascending unless the
// listing says otherwise (DeliveryFilter.NewestFirst).
type Page struct {
	// After is the id the page follows in the listing's order: the page
	// holds greater ids, or smaller ones in a listing newest first. ""
	// for the first page.
	After string
	Limit int // at most this many; 0 or less means 100
}

// NoKind, as DeliveryFilter.Kind, selects the deliveries without a Kind.
const NoKind = "-"

// DeliveryFilter selects deliveries in a listing.
type DeliveryFilter struct {
	Page
	Status   DeliveryStatus // only this status; "" for all
	Since    time.Time      // only those received at or after this time
	Provider string         // only this provider; "" for all

	// Kind selects by Delivery.Kind: "" selects every kind; NoKind the
	// deliveries without one; a Kind ending in "*" those whose kind
	// begins with what precedes the "*" (such as "report:*"); any other
	// Kind only that kind.
	Kind string

	// NewestFirst lists by descending id (ids sort by arrival): Page.After
	// then selects ids less than it. False lists by ascending id.
	NewestFirst bool
}

// Matches reports whether d passes f's Status, Since, Provider and Kind,
// whatever its Page. A store that filters deliveries in Go can use it.
func (f DeliveryFilter) Matches(d *Delivery) bool {
	if f.Status != "" && d.Status != f.Status || d.ReceivedAt.Before(f.Since) ||
		f.Provider != "" && d.Provider != f.Provider {
		return false
	}
	switch prefix, ok := strings.CutSuffix(f.Kind, "*"); {
	case f.Kind == "":
		return true
	case f.Kind == NoKind:
		return d.Kind == ""
	case ok:
		return strings.HasPrefix(d.Kind, prefix)
	}
	return d.Kind == f.Kind
}

// Claim selects the deliveries a Worker claims.
type Claim struct {
	Tenant string    // "" for every tenant
	Now    time.Time // deliveries due and unclaimed at this time
	Until  time.Time // the claim lapses then
	Limit  int       // at most this many
}

// A Tx is a store transaction. Every method takes the tenant, directly or
// in the record, and never reads or writes another tenant's records.
// Lookups of absent records return an error wrapping ErrNotFound.
type Tx interface {
	// Lock takes exclusive locks on the named resources until the
	// transaction ends, waiting for other transactions that hold them.
	// The engine locks the natural keys it is about to read and write, in
	// sorted order, so that concurrent transactions (on many replicas)
	// touching the same donor or donation run one after the other. A store
	// that runs writing transactions one at a time may do nothing. A
	// deadlock must be reported as an error wrapping ErrConflict.
	Lock(ctx context.Context, names []string) error

	// RecordDelivery journals d. When a delivery with the same tenant,
	// provider and key is already journaled (duplicates aside), d is kept
	// with Status Duplicate and DuplicateOf set to the first one's id, and
	// that id is returned as dupOf.
	RecordDelivery(ctx context.Context, d *Delivery) (dupOf string, err error)
	// UpdateDelivery stores d's Status, Attempts, Error, UpdatedAt, History,
	// NextAttemptAt and ClaimedUntil.
	UpdateDelivery(ctx context.Context, d *Delivery) error
	// ClaimDeliveries claims, for a Worker, up to c.Limit deliveries (of
	// c.Tenant, or of any tenant when it is empty) that are Pending or
	// Failed, due (NextAttemptAt at or before c.Now) and not claimed
	// (ClaimedUntil at or before c.Now), oldest first, setting their
	// ClaimedUntil to c.Until.
	// Transactions claiming at the same time never get the same delivery.
	ClaimDeliveries(ctx context.Context, c Claim) ([]*Delivery, error)
	// Delivery returns a journaled delivery by id.
	Delivery(ctx context.Context, tenant, id string) (*Delivery, error)
	// Deliveries lists the journaled deliveries that f selects, by id:
	// ascending (oldest first), or descending when f.NewestFirst.
	Deliveries(ctx context.Context, tenant string, f DeliveryFilter) ([]*Delivery, error)
	// JournalStats counts the deliveries of tenant (of every tenant when
	// it is ""): those received at or after since by status, the
	// backlog (Pending and Failed) and when its oldest was received, and
	// when the last delivery of each tenant and provider was received,
	// sorted by tenant then provider. Maps hold no zero counts.
	JournalStats(ctx context.Context, tenant string, since time.Time) (JournalStats, error)

	// ContactByKey returns the contact that owns key k.
	ContactByKey(ctx context.Context, tenant string, k dedup.Key) (contact.Contact, error)
	// Contact returns a contact by id.
	Contact(ctx context.Context, tenant, id string) (contact.Contact, error)
	// PutContact inserts or replaces c (by c.ID) and records that it owns
	// keys, in addition to the keys it owned before. When a key belongs to
	// another contact it returns an error wrapping ErrConflict (a
	// *KeyConflictError) and the transaction must be abandoned.
	PutContact(ctx context.Context, c contact.Contact, keys []dedup.Key) error
	// MergeContacts moves the keys, donations, commitments and activities
	// of contact from to contact into, then deletes from.
	MergeContacts(ctx context.Context, tenant, from, into string) error
	// Contacts lists contacts by id.
	Contacts(ctx context.Context, tenant string, p Page) ([]contact.Contact, error)

	// Activity returns an activity by its natural key.
	Activity(ctx context.Context, tenant, provider, key string) (contact.Activity, error)
	// PutActivity stores an activity by its natural key (tenant, provider,
	// key); storing it again changes nothing.
	PutActivity(ctx context.Context, a contact.Activity) error
	// Activities returns the activities of a contact, by provider and key.
	Activities(ctx context.Context, tenant, contactID string) ([]contact.Activity, error)

	// Donation returns a donation by its natural key.
	Donation(ctx context.Context, tenant, provider, externalID string) (donation.Donation, error)
	// PutDonation inserts or replaces a donation by its natural key.
	PutDonation(ctx context.Context, d donation.Donation) error
	// Donations lists donations by id.
	Donations(ctx context.Context, tenant string, p Page) ([]donation.Donation, error)

	// PutAdjustment stores an adjustment by its natural key (tenant,
	// provider, key); storing it again changes nothing.
	PutAdjustment(ctx context.Context, a donation.Adjustment) error
	// Adjustments returns the adjustments of a donation, by key.
	Adjustments(ctx context.Context, tenant, provider, donationID string) ([]donation.Adjustment, error)

	// Commitment returns a commitment by its natural key.
	Commitment(ctx context.Context, tenant, provider, externalID string) (donation.Commitment, error)
	// PutCommitment inserts or replaces a commitment by its natural key.
	PutCommitment(ctx context.Context, c donation.Commitment) error
	// Commitments lists commitments by id.
	Commitments(ctx context.Context, tenant string, p Page) ([]donation.Commitment, error)

	// AppendChanges adds cs to the change feeds of their tenants, in
	// order, setting the Position of each to the next of its tenant's
	// feed. Positions follow the order in which transactions commit: once
	// a change at position p is visible, no change below p of the same
	// tenant appears later (a store whose writing transactions run side
	// by side serialises them here, per tenant, until they commit).
	AppendChanges(ctx context.Context, cs []change.Change) error
	// Changes lists the changes of tenant at positions after after, by
	// position, at most limit (0 or less means 100).
	Changes(ctx context.Context, tenant string, after int64, limit int) ([]change.Change, error)
	// ClaimCursor leases, to c.Token until c.Until, the cursor of
	// consumer c.Consumer on the feed of c.Tenant (of any tenant when it
	// is "") that has changes past its position and whose lease is free
	// at c.Now. It first creates the cursors the consumer lacks on the
	// feeds it looks at (that of c.Tenant, or every feed), each just
	// before the oldest change its feed keeps (0 before any was pruned;
	// its head when every change was). It returns an error wrapping
	// ErrNotFound when there is no such cursor. Transactions claiming at
	// the same time never get the same cursor. A claim with c.Tenant ""
	// makes the consumer a reader of every feed, for PruneChanges, and
	// notes when it claimed (c.Now; the SQL stores of this module note it
	// once a minute at most).
	ClaimCursor(ctx context.Context, c change.Claim) (change.Cursor, error)
	// MoveCursor stores cur's Position (never lower than it was) and
	// LeasedUntil (zero frees the lease) when cur.Token still holds the
	// lease: when no other claim has taken the cursor since. Otherwise it
	// returns an error wrapping ErrConflict and changes nothing.
	MoveCursor(ctx context.Context, cur change.Cursor) error
	// PruneChanges deletes at most limit changes made (At) before before
	// that every consumer with a cursor on their tenant's feed has passed,
	// and returns how many it deleted. A feed without cursors is never
	// pruned; nor is a change a reader of every feed may not have seen:
	// one of a feed it has no cursor on, made less than a minute before
	// its last claim or after it (its claims create cursors on every feed
	// there is, so that a feed it has none on began since).
	PruneChanges(ctx context.Context, before time.Time, limit int) (int, error)
}
