package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"slices"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// The lookup chain. A batch names the records it is about to read
// (batch.Wants); Prefetch finds each where it is first kept: in the
// transaction's cache (where writers run one at a time, what it read or
// wrote is current still), in the cache of the draft it follows, in the
// record cache, and last in the database, a few multi-row queries for
// all that is left. Every record named is then in the transaction's
// cache, found or known absent, and lookups are answered from it.

// txCache holds what a transaction has read ahead and written since. A
// nil pointer or an empty owner records a known absence.
type txCache struct {
	owners      map[keyRef]string
	contacts    map[idRef]*contact.Contact
	donations   map[batch.Ref]*donation.Donation
	adjustments map[batch.Ref][]donation.Adjustment // complete lists, by key
	commitments map[batch.Ref]*donation.Commitment
	activities  map[actKey]*contact.Activity
}

// Where each kind of record is in a transaction's cache.
func ownersIn(c *txCache) map[keyRef]string                        { return c.owners }
func contactsIn(c *txCache) map[idRef]*contact.Contact             { return c.contacts }
func donationsIn(c *txCache) map[batch.Ref]*donation.Donation      { return c.donations }
func adjustmentsIn(c *txCache) map[batch.Ref][]donation.Adjustment { return c.adjustments }
func commitmentsIn(c *txCache) map[batch.Ref]*donation.Commitment  { return c.commitments }
func activitiesIn(c *txCache) map[actKey]*contact.Activity         { return c.activities }

func newTxCache() *txCache {
	return &txCache{
		owners:      map[keyRef]string{},
		contacts:    map[idRef]*contact.Contact{},
		donations:   map[batch.Ref]*donation.Donation{},
		adjustments: map[batch.Ref][]donation.Adjustment{},
		commitments: map[batch.Ref]*donation.Commitment{},
		activities:  map[actKey]*contact.Activity{},
	}
}

// Prefetch implements batch.Prefetcher.
func (t *tx) Prefetch(ctx context.Context, w batch.Wants) (map[batch.Key]string, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	if t.mode == plainMode {
		t.mode, t.c, t.w = batchMode, newTxCache(), &pending{}
	}
	if err := t.checkRecordCache(ctx); err != nil {
		return nil, err
	}
	if err := prefetch(ctx, t, &contactKeys, unique(w.Keys, keyOf)); err != nil {
		return nil, err
	}
	if err := prefetch(ctx, t, &contacts, unique(w.Contacts, idOf)); err != nil {
		return nil, err
	}
	if err := prefetch(ctx, t, &donations, unique(w.Donations, same)); err != nil {
		return nil, err
	}
	if err := prefetch(ctx, t, &commitments, unique(w.Commitments, same)); err != nil {
		return nil, err
	}
	if err := prefetch(ctx, t, &activities, unique(w.Activities, activityOf)); err != nil {
		return nil, err
	}
	var owners map[batch.Key]string
	for _, k := range w.Keys {
		if id := t.c.owners[keyOf(k)]; id != "" {
			if owners == nil {
				owners = make(map[batch.Key]string, len(w.Keys))
			}
			owners[k] = id
		}
	}
	return owners, nil
}

// Preload implements batch.Preloader in a View that preloads for a
// writer's record cache, or a draft; in any other transaction it
// declines (batch.ErrSkip).
func (t *tx) Preload(ctx context.Context, w batch.Wants) error {
	if t.role == writing || t.role == viewing {
		return batch.ErrSkip
	}
	owners, err := t.Prefetch(ctx, w)
	if err != nil || t.d.SingleWriter { // the owners were read with their keys
		return err
	}
	ids := make([]idRef, 0, len(owners))
	for k, id := range owners {
		ids = append(ids, idRef{k.Tenant, id})
	}
	return prefetch(ctx, t, &contacts, unique(ids, same))
}

// prefetch walks the lookup chain for the records of keys, each named
// once, and leaves each in the transaction's cache.
func prefetch[K comparable](ctx context.Context, t *tx, k *kind[K], keys []K) error {
	var found []K // in the order found, for k.then
	note := func(key K, ok bool) bool {
		if ok && k.then != nil {
			found = append(found, key)
		}
		return ok
	}
	if t.d.SingleWriter {
		// What the transaction holds is current still: read, or
		// written, by it, or by the draft it follows. Where writers run
		// side by side, records are read again once locked.
		keys = slices.DeleteFunc(keys, func(key K) bool { return note(key, k.held(t.c, key)) })
	}
	if t.after != nil {
		keys = slices.DeleteFunc(keys, func(key K) bool { return note(key, k.inherit(t.c, t.after, key)) })
	}
	if rc := t.recordCache(); rc != nil && len(keys) > 0 {
		keys = recall(rc, keys, func(key K) bool { return note(key, k.recall(t.c, rc, key)) })
	}
	for _, key := range keys {
		for _, p := range k.places {
			p.absent(t.c, key)
		}
	}
	for _, q := range k.queries {
		_, err := each(ctx, t, q.statement, keys, k.args, func(rs *sql.Rows) error {
			key, err := q.scan(rs, t.c)
			note(key, err == nil)
			return err
		})
		if err != nil {
			return err
		}
	}
	if k.then == nil {
		return nil
	}
	return k.then(ctx, t, found, keys)
}

// recall answers from rc what it can of keys, which found looks up: it
// returns the keys left to read, and counts hits and misses.
func recall[K comparable](rc *RecordCache, keys []K, found func(K) bool) []K {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := len(keys)
	keys = slices.DeleteFunc(keys, found)
	rc.stats.Hits += n - len(keys)
	rc.stats.Misses += len(keys)
	return keys
}

// A kind describes one kind of record to the lookup chain: where its
// records are kept, and how they are read from the database.
type kind[K comparable] struct {
	// places are where a record of the kind is kept, each in every cache:
	// it is found in a cache when each of its places holds it there.
	places []place[K]
	// args appends the arguments that name a record in a query.
	args func(K, []any) []any
	// queries read records by key into a transaction's cache, each
	// returning the key of the record a row is of.
	queries []query[K]
	// then, when not nil, runs once the records are in the
	// transaction's cache, with the keys of those found (in the order
	// found) and of those read from the database, found or not.
	then func(ctx context.Context, t *tx, found, read []K) error
}

type query[K comparable] struct {
	statement
	scan func(rs *sql.Rows, c *txCache) (K, error)
}

// held reports whether c holds the record of key.
func (k *kind[K]) held(c *txCache, key K) bool {
	for _, p := range k.places {
		if !p.held(c, key) {
			return false
		}
	}
	return true
}

// inherit copies the record of key from a preceding draft's cache to c,
// and reports whether it held it.
func (k *kind[K]) inherit(c, from *txCache, key K) bool {
	ok := true
	for _, p := range k.places {
		ok = p.inherit(c, from, key) && ok
	}
	return ok
}

// recall copies the record of key from rc to c, and reports whether rc
// held it.
func (k *kind[K]) recall(c *txCache, rc *RecordCache, key K) bool {
	ok := true
	for _, p := range k.places {
		ok = p.recall(c, rc, key) && ok
	}
	return ok
}

// A place is where records of one kind keyed by K are kept, in every
// cache. A record not found whole (such as a donation without its
// adjustments) is marked absent in all its places, then read.
type place[K comparable] interface {
	held(c *txCache, key K) bool
	inherit(c, from *txCache, key K) bool
	recall(c *txCache, rc *RecordCache, key K) bool
	absent(c *txCache, key K)
}

// in is a place: a map of each transaction's cache and a generation of
// the record cache; the zero V marks a record absent. keep, when not
// nil, readies a value taken from another cache for this one.
type in[K comparable, V any] struct {
	tx   func(*txCache) map[K]V
	rc   func(*RecordCache) *gen[K, V]
	keep func(V) V
}

func (p in[K, V]) held(c *txCache, key K) bool {
	_, ok := p.tx(c)[key]
	return ok
}

func (p in[K, V]) inherit(c, from *txCache, key K) bool {
	v, ok := p.tx(from)[key]
	return p.put(c, key, v, ok)
}

func (p in[K, V]) recall(c *txCache, rc *RecordCache, key K) bool {
	v, ok := p.rc(rc).get(key)
	return p.put(c, key, v, ok)
}

func (p in[K, V]) put(c *txCache, key K, v V, ok bool) bool {
	if ok {
		if p.keep != nil {
			v = p.keep(v)
		}
		p.tx(c)[key] = v
	}
	return ok
}

func (p in[K, V]) absent(c *txCache, key K) {
	var zero V
	p.tx(c)[key] = zero
}

// The kinds of records read ahead.
var (
	// contactKeys are the owners of contact keys. Where writers run one
	// at a time, the owners found are read with them; where they run
	// side by side, owners are read once locked (see Ingester).
	contactKeys = kind[keyRef]{
		places: []place[keyRef]{in[keyRef, string]{
			tx: ownersIn,
			rc: func(rc *RecordCache) *gen[keyRef, string] { return &rc.owners },
		}},
		args: keyRef.args,
		queries: []query[keyRef]{{
			prefetchKeys,
			func(rs *sql.Rows, c *txCache) (k keyRef, err error) {
				var id string
				if err = rs.Scan(&k.tenant, &k.kind, &k.value, &id); err == nil {
					c.owners[k] = id
				}
				return k, err
			},
		}},
		then: readOwners,
	}
	contacts = kind[idRef]{
		places: []place[idRef]{in[idRef, *contact.Contact]{
			tx: contactsIn,
			rc: func(rc *RecordCache) *gen[idRef, *contact.Contact] { return &rc.contacts },
		}},
		args: idRef.args,
		queries: []query[idRef]{{
			prefetchContacts,
			func(rs *sql.Rows, c *txCache) (idRef, error) {
				v := new(contact.Contact)
				if err := scanContact(rs, v); err != nil {
					return idRef{}, err
				}
				r := idRef{v.Tenant, v.ID}
				c.contacts[r] = v
				return r, nil
			},
		}},
	}
	// donations come with their adjustments: a donation is found where
	// its complete list of adjustments is, and both are read together.
	donations = kind[batch.Ref]{
		places: []place[batch.Ref]{in[batch.Ref, *donation.Donation]{
			tx: donationsIn,
			rc: func(rc *RecordCache) *gen[batch.Ref, *donation.Donation] { return &rc.donations },
		}, in[batch.Ref, []donation.Adjustment]{
			tx:   adjustmentsIn,
			rc:   func(rc *RecordCache) *gen[batch.Ref, []donation.Adjustment] { return &rc.adjustments },
			keep: slices.Clip[[]donation.Adjustment], // shared: never grown in place
		}},
		args: refArgs,
		queries: []query[batch.Ref]{{
			prefetchDonations,
			func(rs *sql.Rows, c *txCache) (batch.Ref, error) {
				v := new(donation.Donation)
				if err := scanDonation(rs, v); err != nil {
					return batch.Ref{}, err
				}
				r := batch.Ref{Tenant: v.Tenant, Provider: v.Provider, ExternalID: v.ExternalID}
				c.donations[r] = v
				return r, nil
			},
		}, {
			prefetchAdjustments,
			func(rs *sql.Rows, c *txCache) (batch.Ref, error) {
				var a donation.Adjustment
				if err := scanAdjustment(rs, &a); err != nil {
					return batch.Ref{}, err
				}
				r := batch.Ref{Tenant: a.Tenant, Provider: a.Provider, ExternalID: a.DonationID}
				c.adjustments[r] = append(c.adjustments[r], a)
				return r, nil
			},
		}},
		then: sortAdjustments,
	}
	commitments = kind[batch.Ref]{
		places: []place[batch.Ref]{in[batch.Ref, *donation.Commitment]{
			tx: commitmentsIn,
			rc: func(rc *RecordCache) *gen[batch.Ref, *donation.Commitment] { return &rc.commitments },
		}},
		args: refArgs,
		queries: []query[batch.Ref]{{
			prefetchCommitments,
			func(rs *sql.Rows, c *txCache) (batch.Ref, error) {
				v := new(donation.Commitment)
				if err := scanCommitment(rs, v); err != nil {
					return batch.Ref{}, err
				}
				r := batch.Ref{Tenant: v.Tenant, Provider: v.Provider, ExternalID: v.ExternalID}
				c.commitments[r] = v
				return r, nil
			},
		}},
	}
)

// activities are read ahead where the engine records changes: a change
// tells an activity stored for the first time.
var activities = kind[actKey]{
	places: []place[actKey]{in[actKey, *contact.Activity]{
		tx: activitiesIn,
		rc: func(rc *RecordCache) *gen[actKey, *contact.Activity] { return &rc.activities },
	}},
	args: actKey.args,
	queries: []query[actKey]{{
		prefetchActivities,
		func(rs *sql.Rows, c *txCache) (actKey, error) {
			a := new(contact.Activity)
			if err := scanActivity(rs, a); err != nil {
				return actKey{}, err
			}
			k := actKey{a.Tenant, a.Provider, a.Key}
			c.activities[k] = a
			return k, nil
		},
	}},
}

// activityOf is the key of the activity r names by its key.
func activityOf(r batch.Ref) actKey { return actKey{r.Tenant, r.Provider, r.ExternalID} }

// readOwners reads the owners of the contact keys found, each once (a
// contact is often found by several of its keys), where writers run one
// at a time.
func readOwners(ctx context.Context, t *tx, found, _ []keyRef) error {
	if !t.d.SingleWriter {
		return nil
	}
	owners := make([]idRef, 0, len(found))
	for _, k := range found {
		if id := t.c.owners[k]; id != "" {
			owners = append(owners, idRef{k.tenant, id})
		}
	}
	return prefetch(ctx, t, &contacts, unique(owners, same))
}

// sortAdjustments orders by key the lists of adjustments read.
func sortAdjustments(_ context.Context, t *tx, _, read []batch.Ref) error {
	for _, r := range read {
		slices.SortFunc(t.c.adjustments[r], func(a, b donation.Adjustment) int { return cmp.Compare(a.Key, b.Key) })
	}
	return nil
}

func same[T any](v T) T { return v }
