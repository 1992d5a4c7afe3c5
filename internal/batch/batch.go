// Package batch is the protocol between the engine (package donorsync)
// and the stores of this module (memstore, store/sqlite, store/postgres):
// how a store declares the way it runs transactions, and the calls that
// let the engine do a batch's work in a few statements rather than a few
// per delivery. It is not part of the Store contract: a store outside
// this module implements donorsync.Store and donorsync.Tx only, and the
// engine does the same work with them, one call at a time.
//
// A store declares its Model once, as data (Declare). The engine
// chooses its strategies from it: how many group commits run at once,
// whether Workers read ahead, preload and draft, whether locks are tried
// before they are waited for. The interfaces below are the calls those
// strategies make; they are generic in the engine's types (D is
// *donorsync.Delivery, C is donorsync.Claim, T is donorsync.Tx) so that
// the engine and the stores are checked against one definition. A call
// that a store cannot serve at that moment declines with ErrSkip, and the
// engine does the work the plain way.
package batch

import (
	"context"
	"errors"

	"github.com/donorsync/donorsync/dedup"
)

// ErrSkip is returned by a call of this protocol that the store cannot
// serve now: the engine then does the same work through the Tx contract.
var ErrSkip = errors.New("donorsync: batch call not served by this store")

// A Model is how a store runs the engine's transactions. The zero value
// is a store with nothing to declare: one group commit at a time, no
// read-ahead, no drafts, locks waited for.
type Model struct {
	// Writers is how many writing transactions run side by side to good
	// effect (a database server's); 1 or less means one at a time, as
	// SQLite writes. Group commit keeps up to Writers batches in flight.
	Writers int

	// Batch says the writing Tx is a Recorder, a Prefetcher and a
	// Claimer: group commit journals a group in a few statements, and a
	// batch reads the records it needs at once.
	Batch bool

	// TryLock says the writing Tx is a TryLocker: a Worker applies the
	// deliveries of a batch whose locks it can take at once and leaves
	// the others for a later batch; group commit leaves inline deliveries
	// whose locks are held for the next group.
	TryLock bool

	// ReadAhead says a View's Tx is a Lister and the writing Tx a Claimer:
	// a Worker reads and decodes a batch in a View, beside the writing
	// transactions, and claims it by id in the writing transaction.
	ReadAhead bool

	// Preload says a View's Tx is a Preloader: a Worker reads a batch's
	// records ahead for the writing transaction.
	Preload bool

	// Drafts says the store declares a Draft function (a Drafter's) and
	// its writing Tx is a DraftSender: a Worker applies a batch in a draft
	// beside the writing transaction, which then only sends the draft's
	// writes.
	Drafts bool
}

// Declared is what a store of this module declares to the engine: its
// Model and, when it drafts, its Draft function. A store embeds it; its
// fields and methods are unexported, so that none of it is part of the
// store's API.
type Declared struct {
	model Model
	draft any // a Drafter's Draft method value, or nil
}

// Declare returns the declaration of a store of Model m. draft is its
// Draft function (the method of a Drafter), or nil.
func Declare(m Model, draft any) Declared { return Declared{m, draft} }

func (d Declared) declared() Declared { return d }

// declarer is a value that embeds a Declared.
type declarer interface{ declared() Declared }

// ModelOf returns the Model s declares; the zero Model when s declares
// none.
func ModelOf(s any) Model {
	if d, ok := s.(declarer); ok {
		return d.declared().model
	}
	return Model{}
}

// DraftOf returns the Draft function s declares, or nil.
func DraftOf(s any) any {
	if d, ok := s.(declarer); ok {
		return d.declared().draft
	}
	return nil
}

// A Key is a contact key of one tenant.
type Key struct {
	Tenant string
	dedup.Key
}

// An ID is a record id of one tenant.
type ID struct {
	Tenant, ID string
}

// A Ref is the natural key of a donation or commitment; of an activity,
// its key as ExternalID.
type Ref struct {
	Tenant, Provider, ExternalID string
}

// Wants names the records a batch is about to read, by natural key.
type Wants struct {
	Keys        []Key // contact keys, for ContactByKey
	Contacts    []ID  // contact ids, for Contact and ContactByKey
	Donations   []Ref // donations, for Donation, with their adjustments
	Commitments []Ref // commitments, for Commitment
	Activities  []Ref // activities, for Activity
}

// Empty reports whether w names nothing.
func (w *Wants) Empty() bool {
	return len(w.Keys)+len(w.Contacts)+len(w.Donations)+len(w.Commitments)+len(w.Activities) == 0
}

// ClaimBy narrows and lightens a Worker's claim.
type ClaimBy struct {
	// IDs, when not empty, narrows the claim to these deliveries: those
	// of them that are due and unclaimed are claimed, and no other.
	IDs []ID
	// NoBody lets the store leave Body nil in the deliveries it returns,
	// for a caller that has read their bodies already (a body never
	// changes once journaled).
	NoBody bool
	// Settling says that the claiming transaction stores the outcome of
	// every delivery it claims before it commits, or rolls back: no other
	// transaction will see the claim. The store may then leave
	// ClaimedUntil unwritten, as long as transactions claiming at the same
	// time still never get the same delivery.
	Settling bool
}

// A Draft is what a Drafter's fn wrote, held back. Only the store that
// made it can send it, and only once.
type Draft any

// A Recorder is a Tx that journals many deliveries at once: it does what
// RecordDelivery does for each, in order, marking those whose tenant,
// provider and key were journaled before, or earlier in ds, Duplicate.
type Recorder[D any] interface {
	RecordDeliveries(ctx context.Context, ds []D) error
}

// A Claimer is a writing Tx that claims as ClaimDeliveries does, within
// the limits of by.
type Claimer[C, D any] interface {
	ClaimBatch(ctx context.Context, c C, by ClaimBy) ([]D, error)
}

// A Lister is a View's Tx that lists the deliveries ClaimDeliveries(ctx,
// c) would claim, with their bodies, and claims none.
type Lister[C, D any] interface {
	DueDeliveries(ctx context.Context, c C) ([]D, error)
}

// A Prefetcher is a Tx that reads at once the records w names, so that
// the lookups that follow are answered without a query each, and returns
// the owners (contact ids) of those of w.Keys that have one. It reads
// the records as they are when it is called: the engine calls it after
// taking the locks that guard them. After a Prefetch the Tx may hold its
// writes back and send them together at commit, or when a read needs
// them; an error such a write meets is then returned by Store.Update.
type Prefetcher interface {
	Prefetch(ctx context.Context, w Wants) (map[Key]string, error)
}

// A Preloader is a View's Tx that reads the records w names, beside the
// writing transactions, and keeps them for the writing transaction that
// applies the batch; the store answers it from them where no transaction
// has written them since.
type Preloader interface {
	Preload(ctx context.Context, w Wants) error
}

// A Prober is a writing Tx that writes a row the engine never reads, for
// Ingester.Ready to commit: where taking a lock writes nothing, only a
// write tells that the store can still write (a full disk, a file it may
// no longer grow).
type Prober interface {
	Probe(ctx context.Context) error
}

// A TryLocker is a writing Tx that takes those of the named locks that
// no other transaction holds, without waiting, and reports for each name
// whether the transaction now holds it.
type TryLocker interface {
	TryLock(ctx context.Context, names []string) (held []bool, err error)
}

// A Drafter is a store that runs fn in a Tx that reads what is committed
// and holds back what fn writes, and returns the writes held back. A store
// declares its Draft method (Declare) rather than export it. When
// after is not nil, fn reads the records as they will be once after is
// sent, and the draft can be sent only once after has committed.
type Drafter[T any] interface {
	Draft(ctx context.Context, after Draft, fn func(T) error) (Draft, error)
}

// A DraftSender is a writing Tx of a Drafter. SendDraft makes the writes
// of d this transaction's, as if its fn had run here, when no record fn
// read may have been written since the draft began (or, for a draft after
// another, since that one committed), and reports whether it did; when it
// did not, it changed nothing.
type DraftSender interface {
	SendDraft(ctx context.Context, d Draft) (bool, error)
}
