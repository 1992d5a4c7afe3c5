// Package donorsync receives donation webhooks from ActBlue, Action Network
// and Anedot and turns them into contacts and donations in your own store.
//
// A Handler authenticates a delivery with a Source (a provider package such
// as actblue), journals its raw bytes in a Store, decodes it into
// donation.Event values and applies them with an Ingester: contacts are
// matched and merged, donations, adjustments and commitments upserted by
// their natural keys. The Store is yours to choose: memstore for tests,
// or an adapter over your own database that passes storetest.Run.
//
// The engine keeps these rules:
//
//   - Nothing acknowledged is lost: a 2xx is sent only after the raw
//     delivery is committed to the store's journal. A delivery that
//     cannot be decoded is kept, quarantined with its error.
//   - Effects happen exactly once: every delivery has an idempotency key
//     and every effect is an upsert keyed by a natural key.
//   - Order does not matter: the final state is the same for every arrival
//     order of the same deliveries.
//   - Tenants are isolated: every key includes the tenant, and the tenant
//     comes from the credentials.
package donorsync

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// DeliveryStatus is where a journaled delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	// Pending: journaled, not yet applied.
	Pending DeliveryStatus = "pending"
	// Processed: applied; its effects are in the store.
	Processed DeliveryStatus = "processed"
	// Duplicate: a repeat of an earlier delivery with the same idempotency
	// key; kept for the record, never applied.
	Duplicate DeliveryStatus = "duplicate"
	// Failed: applying it failed for a reason that may pass; it can be
	// retried or replayed.
	Failed DeliveryStatus = "failed"
	// Quarantined: it cannot be decoded or is invalid; kept with the error
	// until a fix allows a replay.
	Quarantined DeliveryStatus = "quarantined"
	// Dead: it kept failing and is no longer retried automatically.
	Dead DeliveryStatus = "dead"
)

// A Delivery is one webhook request as received and journaled: the raw
// body exactly as sent, and what the engine knows of it.
//
// Deliveries redact themselves when logged with log/slog: the body never
// appears.
type Delivery struct {
	ID          string // assigned on receipt
	Tenant      string
	Provider    string
	Kind        string // a hint from how the source is mounted, such as "refund"; "" when none
	Key         string // idempotency key
	Body        []byte
	ReceivedAt  time.Time
	Status      DeliveryStatus
	DuplicateOf string // for a Duplicate, the id of the delivery it repeats
	Attempts    int    // how many times applying it was tried
	Error       string // the last error, for Failed, Quarantined and Dead
	UpdatedAt   time.Time

	// NextAttemptAt is when a Pending or Failed delivery may be tried
	// (again); zero means at once.
	NextAttemptAt time.Time
	// ClaimedUntil is when the claim of the Worker processing the delivery
	// lapses; zero when unclaimed.
	ClaimedUntil time.Time
}

// LogValue implements slog.LogValuer.
func (d *Delivery) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", d.ID),
		slog.String("tenant", d.Tenant),
		slog.String("provider", d.Provider),
		slog.String("key", d.Key),
		slog.Int("bytes", len(d.Body)),
		slog.String("status", string(d.Status)),
	)
}

// A Source is one provider's side of the webhook: how its requests are
// authenticated and how its bodies decode. The provider packages (actblue,
// anedot, actionnetwork) provide Sources. Implementations must be safe for
// concurrent use.
type Source interface {
	// Provider returns the provider's name, such as "actblue". It is part
	// of every natural key.
	Provider() string

	// Authenticate checks the request's credentials and returns the tenant
	// they belong to. body is the raw request body, already read under the
	// handler's limit, for sources that sign it (Anedot); r.Body must not
	// be read, and body must not be kept or changed. Authenticate must
	// take the same time whatever is wrong, and return an error wrapping
	// ErrUnauthorized on failure.
	Authenticate(r *http.Request, body []byte) (tenant string, err error)

	// Decode turns a journaled delivery into events. It reads d.Tenant,
	// d.Kind and d.Body and never changes d. An error means the delivery
	// cannot be applied as it is: it is quarantined with the error.
	Decode(d *Delivery) (Decoded, error)
}

// A Hinter is a Source that records, on each delivery, a hint about its
// kind taken from the request (for example from the URL it was sent to),
// stored as Delivery.Kind so that a replay decodes the delivery as it was
// first decoded.
type Hinter interface {
	Hint(r *http.Request) string
}

// Decoded is what a Source makes of a delivery.
type Decoded struct {
	// Key is the delivery's idempotency key, unique per provider and
	// tenant. When empty, the SHA-256 of the body is used.
	Key string
	// Events are the facts the delivery carries, applied in order.
	Events []donation.Event
}

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

// Page selects a page of a listing ordered by id.
type Page struct {
	After string // return records with ids greater than this; "" for the first page
	Limit int    // at most this many; 0 or less means 100
}

// DeliveryFilter selects deliveries in a listing.
type DeliveryFilter struct {
	Page
	Status DeliveryStatus // only this status; "" for all
	Since  time.Time      // only those received at or after this time
}

// Claim selects the deliveries a Worker claims.
type Claim struct {
	Tenant string    // "" for every tenant
	Now    time.Time // deliveries due and unclaimed at this time
	Until  time.Time // the claim lapses then
	Limit  int       // at most this many

	// IDs, when not empty, narrows the claim to these deliveries: those
	// of them that are due and unclaimed are claimed, and no other.
	IDs []TenantID
	// NoBody lets the store leave Body nil in the deliveries it returns,
	// for a caller that has read their bodies already (a body never
	// changes once journaled).
	NoBody bool
	// Settling says that the claiming transaction stores the outcome of
	// every delivery it claims before it commits, or rolls back: no other
	// transaction will see the claim. The store may then leave
	// ClaimedUntil unwritten, as long as transactions claiming at the same
	// time still never get the same delivery (SQLite writes one
	// transaction at a time; PostgreSQL locks the rows it claims).
	Settling bool
}

// A DueLister is a Tx that can list the deliveries a Worker would claim
// without claiming them. A Worker uses it, in a View, when the Store
// writes one transaction at a time (it is not a ParallelStore): it reads
// and decodes a batch there, beside the writing transactions, and then
// claims that batch by id (Claim.IDs, Claim.NoBody) and applies it in a
// writing transaction that is shorter by the reading and the decoding.
type DueLister interface {
	// DueDeliveries returns the deliveries ClaimDeliveries(ctx, c) would
	// claim, with their bodies, and claims none: c.Until, c.IDs and
	// c.NoBody are ignored.
	DueDeliveries(ctx context.Context, c Claim) ([]*Delivery, error)
}

// A DeliveryRecorder is a Tx that journals many deliveries at once. The
// engine's group commit uses it, when a Tx provides it, to journal the
// deliveries that arrive together with a few statements rather than one
// or two each.
type DeliveryRecorder interface {
	// RecordDeliveries does what RecordDelivery does for each delivery of
	// ds, in order: a delivery with the tenant, provider and key of one
	// journaled before, or of an earlier one in ds, is kept with Status
	// Duplicate and DuplicateOf set to the first one's id.
	RecordDeliveries(ctx context.Context, ds []*Delivery) error
}

// A ParallelStore is a Store whose writing transactions run side by side
// to good effect, such as a database server's (not SQLite's, which writes
// one transaction at a time). The engine's group commit then keeps up to
// ParallelWrites transactions in flight, so that one batch's round trips
// to the server overlap another's; with any other Store it commits one
// batch at a time. Batches that meet (the same contact, the same
// idempotency key) are kept apart by Tx.Lock and by ErrConflict, as they
// are between replicas.
type ParallelStore interface {
	Store
	// ParallelWrites returns how many group-commit transactions may run
	// at once; less than 2 means one.
	ParallelWrites() int
}

// A TryLocker is a Tx that can take locks without waiting for them. A
// Worker uses it, when a Tx provides it, to apply those deliveries of a
// batch whose locks it can take at once and leave the others pending for a
// later batch, and group commit to leave deliveries received inline for
// the next group, so that transactions that meet (the same donor) run side
// by side rather than one after the other. A store whose writing
// transactions run one at a time has nothing to gain from it.
type TryLocker interface {
	// TryLock takes those of the named locks that no other transaction
	// holds, as Lock does but without waiting, and reports for each name
	// whether the transaction now holds it.
	TryLock(ctx context.Context, names []string) (held []bool, err error)
}

// A Prefetcher is a Tx that can read at once the records a batch of
// deliveries is about to read, so that the lookups that follow are
// answered without a query each. The engine uses it, when a Tx provides
// it, to apply a Worker's batch with a few queries in all rather than a
// few per delivery; a Tx without it works the same, one lookup at a time.
//
// Prefetch reads the records as they are when it is called: the engine
// calls it after taking the locks (Tx.Lock) that guard them. After a
// Prefetch, the Tx may also hold back its writes and send them together
// when the transaction commits, or earlier when a read needs them; an
// error such a write meets is then returned by Store.Update, and the
// whole transaction is rolled back.
type Prefetcher interface {
	// Prefetch reads ahead the records p names, and returns the owners
	// (contact ids) of those of p.Keys that have one.
	Prefetch(ctx context.Context, p Prefetch) (map[TenantKey]string, error)
}

// A Preloader is a Tx of a View that can read, beside the writing
// transactions, the records a batch is about to need, and keep them for
// the writing transaction that applies the batch. A Worker that reads
// ahead (DueLister) calls Preload in a View once it has decoded its
// batch, with what it will Prefetch; the writing transaction then
// Prefetches as usual, and the store answers from what it preloaded
// those records that no transaction has written since. Only a store that
// can tell that (such as one whose writing transactions run one at a
// time, on one connection) should provide it.
type Preloader interface {
	// Preload reads the records p names, and the contacts that own
	// p.Keys, for the writing transaction to come.
	Preload(ctx context.Context, p Prefetch) error
}

// A Drafter is a Store that can apply a batch beside its writing
// transactions and have one of them send the outcome, when nothing the
// batch read has changed meanwhile: optimistic concurrency, for a store
// that writes one transaction at a time, so that it is held for the
// writes only. A Worker that reads ahead (DueLister) drafts the
// application of each batch before the writing transaction that claims
// it; that transaction, when its Tx is a DraftSender and it claims the
// whole batch, sends the draft instead of applying the batch, or applies
// it when the draft is refused. While one batch is sent, the Worker
// drafts the next after it.
type Drafter interface {
	// Draft runs fn in a Tx that reads what is committed, as a View's
	// does, and holds back what fn writes; it returns the writes held
	// back. When after is not nil, fn reads the records as they will be
	// once after is sent (a writing transaction may be sending it
	// meanwhile), and the draft can be sent only once after has
	// committed. Draft fails with fn's error, or with the Tx's when fn
	// asks for something the Tx cannot do without sending its writes.
	Draft(ctx context.Context, after Draft, fn func(Tx) error) (Draft, error)
}

// A Draft is what a Drafter's fn wrote, held back. Only the Store that
// made it can send it, and only once.
type Draft interface{}

// A DraftSender is a Tx of a Drafter's writing transaction.
type DraftSender interface {
	// SendDraft makes the writes of d this transaction's, as if its fn
	// had run here, when no record fn read may have been written since
	// Draft began (or, for a draft after another, since that one
	// committed), and reports whether it did. When it did not, it
	// changed nothing, and the caller does the work itself.
	SendDraft(ctx context.Context, d Draft) (bool, error)
}

// Prefetch names the records to read ahead, by natural key. Absent
// records are remembered as absent.
type Prefetch struct {
	// Keys are contact keys, for ContactByKey; Prefetch returns their
	// owners.
	Keys []TenantKey
	// Contacts are contact ids, for Contact and ContactByKey.
	Contacts []TenantID
	// Donations are donations, for Donation, and the lists of their
	// adjustments, for Adjustments.
	Donations []Ref
	// Commitments are commitments, for Commitment.
	Commitments []Ref
}

// A TenantKey is a contact key of one tenant.
type TenantKey struct {
	Tenant string
	dedup.Key
}

// A TenantID is a record id of one tenant.
type TenantID struct {
	Tenant, ID string
}

// A Ref is the natural key of a donation or commitment.
type Ref struct {
	Tenant, Provider, ExternalID string
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
	// UpdateDelivery stores d's Status, Attempts, Error, UpdatedAt,
	// NextAttemptAt and ClaimedUntil.
	UpdateDelivery(ctx context.Context, d *Delivery) error
	// ClaimDeliveries claims, for a Worker, up to c.Limit deliveries (of
	// c.Tenant, or of any tenant when it is empty) that are Pending or
	// Failed, due (NextAttemptAt at or before c.Now) and not claimed
	// (ClaimedUntil at or before c.Now), oldest first, setting their
	// ClaimedUntil to c.Until; when c.IDs is not empty, only among those.
	// Transactions claiming at the same time never get the same delivery.
	ClaimDeliveries(ctx context.Context, c Claim) ([]*Delivery, error)
	// Delivery returns a journaled delivery by id.
	Delivery(ctx context.Context, tenant, id string) (*Delivery, error)
	// Deliveries lists journaled deliveries by id.
	Deliveries(ctx context.Context, tenant string, f DeliveryFilter) ([]*Delivery, error)

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
}
