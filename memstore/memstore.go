// Package memstore is an in-memory donorsync.Store: the reference
// implementation of the Store contract, for tests and prototypes.
//
// It is not durable. Everything it holds, the journal of deliveries
// included, is lost when the process exits, so a receiver running on it
// acknowledges deliveries it can lose. Use a durable adapter in production.
//
// Transactions are serialised by one lock: a Store is safe for concurrent
// use and every transaction sees a consistent state, but transactions do
// not run in parallel.
package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// A Store is an in-memory donorsync.Store. The zero value is not usable;
// call New.
type Store struct {
	// How the Store runs the engine's transactions (one writer, Workers
	// that read their batches ahead): for the engine of this module, not
	// part of the Store's API.
	declared

	mu      sync.Mutex
	tenants map[string]*tenant
	readers map[string]time.Time // the consumers that claimed cursors of any tenant: when they last did
}

// declared is what a Store declares to the engine.
type declared = batch.Declared

type tenant struct {
	deliveries  map[string]*donorsync.Delivery
	byKey       map[string]string // provider/key -> delivery id (first, not duplicates)
	contacts    map[string]contact.Contact
	keys        map[dedup.Key]string // key -> contact id
	donations   map[string]donation.Donation
	adjustments map[string]donation.Adjustment // provider/key
	commitments map[string]donation.Commitment
	activities  map[string]contact.Activity // provider/key
	feed        feed
}

// New returns an empty Store.
func New() *Store {
	return &Store{declared: batch.Declare(batch.Model{Writers: 1, ReadAhead: true}, nil), tenants: make(map[string]*tenant)}
}

var (
	_ donorsync.Store                                     = (*Store)(nil)
	_ batch.Claimer[donorsync.Claim, *donorsync.Delivery] = (*tx)(nil)
	_ batch.Lister[donorsync.Claim, *donorsync.Delivery]  = (*tx)(nil)
)

// Update implements donorsync.Store.
func (s *Store) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.run(ctx, true, fn)
}

// View implements donorsync.Store.
func (s *Store) View(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.run(ctx, false, fn)
}

func (s *Store) run(ctx context.Context, writable bool, fn func(donorsync.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &tx{s: s, ctx: ctx, writable: writable}
	defer func() {
		if p := recover(); p != nil {
			tx.rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		tx.rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		tx.rollback()
		return err
	}
	tx.done = true
	return nil
}

// tx is a transaction: writes apply at once and are undone on rollback.
type tx struct {
	s        *Store
	ctx      context.Context
	writable bool
	done     bool
	undo     []func()
}

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
	t.done = true
}

func (t *tx) check(ctx context.Context, write bool) error {
	if t.done {
		return fmt.Errorf("memstore: transaction used after it ended")
	}
	if write && !t.writable {
		return fmt.Errorf("memstore: write in a read-only transaction")
	}
	return ctx.Err()
}

func (t *tx) tenant(name string) *tenant {
	tn := t.s.tenants[name]
	if tn == nil {
		tn = &tenant{
			deliveries:  make(map[string]*donorsync.Delivery),
			byKey:       make(map[string]string),
			contacts:    make(map[string]contact.Contact),
			keys:        make(map[dedup.Key]string),
			donations:   make(map[string]donation.Donation),
			adjustments: make(map[string]donation.Adjustment),
			commitments: make(map[string]donation.Commitment),
			activities:  make(map[string]contact.Activity),
		}
		t.s.tenants[name] = tn
	}
	return tn
}

// set writes m[k] = v and records how to undo it.
func set[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, had := m[k]
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

// del deletes m[k] and records how to undo it.
func del[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	t.undo = append(t.undo, func() { m[k] = old })
	delete(m, k)
}

func notFound(what, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, id, donorsync.ErrNotFound)
}

func copyDelivery(d *donorsync.Delivery) *donorsync.Delivery {
	c := *d
	c.Body = slices.Clone(d.Body)
	c.History = slices.Clone(d.History)
	return &c
}

// Lock implements donorsync.Tx. Transactions already run one at a time.
func (t *tx) Lock(ctx context.Context, _ []string) error { return t.check(ctx, false) }

// RecordDelivery implements donorsync.Tx.
func (t *tx) RecordDelivery(ctx context.Context, d *donorsync.Delivery) (string, error) {
	if err := t.check(ctx, true); err != nil {
		return "", err
	}
	tn := t.tenant(d.Tenant)
	if _, ok := tn.deliveries[d.ID]; ok {
		return "", fmt.Errorf("memstore: delivery id %q already used: %w", d.ID, donorsync.ErrConflict)
	}
	k := d.Provider + "/" + d.Key
	first, dup := tn.byKey[k]
	if dup {
		d.Status, d.DuplicateOf = donorsync.Duplicate, first
	} else {
		set(t, tn.byKey, k, d.ID)
	}
	set(t, tn.deliveries, d.ID, copyDelivery(d))
	return d.DuplicateOf, nil
}

// UpdateDelivery implements donorsync.Tx.
func (t *tx) UpdateDelivery(ctx context.Context, d *donorsync.Delivery) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	tn := t.tenant(d.Tenant)
	cur, ok := tn.deliveries[d.ID]
	if !ok {
		return notFound("delivery", d.ID)
	}
	next := copyDelivery(cur)
	next.Status, next.Attempts, next.Error, next.UpdatedAt = d.Status, d.Attempts, d.Error, d.UpdatedAt
	next.NextAttemptAt, next.ClaimedUntil, next.History = d.NextAttemptAt, d.ClaimedUntil, slices.Clone(d.History)
	set(t, tn.deliveries, d.ID, next)
	return nil
}

// ClaimDeliveries implements donorsync.Tx.
func (t *tx) ClaimDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	return t.ClaimBatch(ctx, c, batch.ClaimBy{})
}

// ClaimBatch claims as ClaimDeliveries does, among by.IDs when there are
// any (batch.Claimer).
func (t *tx) ClaimBatch(ctx context.Context, c donorsync.Claim, by batch.ClaimBy) ([]*donorsync.Delivery, error) {
	if err := t.check(ctx, true); err != nil {
		return nil, err
	}
	due := t.due(c, by.IDs)
	out := make([]*donorsync.Delivery, len(due))
	for i, d := range due {
		next := copyDelivery(d)
		next.ClaimedUntil = c.Until
		if !by.Settling { // otherwise no one sees it: transactions run one at a time
			set(t, t.s.tenants[d.Tenant].deliveries, d.ID, next)
		}
		out[i] = copyDelivery(next)
		if by.NoBody {
			out[i].Body = nil
		}
	}
	return out, nil
}

// DueDeliveries lists what ClaimDeliveries would claim (batch.Lister).
func (t *tx) DueDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	due := t.due(c, nil)
	out := make([]*donorsync.Delivery, len(due))
	for i, d := range due {
		out[i] = copyDelivery(d)
	}
	return out, nil
}

// due returns the deliveries c claims, among ids when there are any,
// oldest first.
func (t *tx) due(c donorsync.Claim, ids []batch.ID) []*donorsync.Delivery {
	var only map[batch.ID]bool
	if len(ids) > 0 {
		only = make(map[batch.ID]bool, len(ids))
		for _, id := range ids {
			only[id] = true
		}
	}
	var due []*donorsync.Delivery
	for name, tn := range t.s.tenants {
		if c.Tenant != "" && name != c.Tenant {
			continue
		}
		for _, d := range tn.deliveries {
			if (d.Status == donorsync.Pending || d.Status == donorsync.Failed) &&
				!d.NextAttemptAt.After(c.Now) && !d.ClaimedUntil.After(c.Now) &&
				(only == nil || only[batch.ID{Tenant: d.Tenant, ID: d.ID}]) {
				due = append(due, d)
			}
		}
	}
	slices.SortFunc(due, func(a, b *donorsync.Delivery) int {
		if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return due[:min(len(due), max(c.Limit, 0))]
}

// Delivery implements donorsync.Tx.
func (t *tx) Delivery(ctx context.Context, tenant, id string) (*donorsync.Delivery, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	d, ok := t.tenant(tenant).deliveries[id]
	if !ok {
		return nil, notFound("delivery", id)
	}
	return copyDelivery(d), nil
}

// Deliveries implements donorsync.Tx.
func (t *tx) Deliveries(ctx context.Context, tenant string, f donorsync.DeliveryFilter) ([]*donorsync.Delivery, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	all := page(t.tenant(tenant).deliveries, f.Page, f.NewestFirst, func(d *donorsync.Delivery) string { return d.ID }, f.Matches)
	for i, d := range all {
		all[i] = copyDelivery(d)
	}
	return all, nil
}

// page returns the values of m that keep passes, sorted by id (descending
// when newest), those after p.After in that order, at most p.Limit of
// them.
func page[V any](m map[string]V, p donorsync.Page, newest bool, id func(V) string, keep func(V) bool) []V {
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	dir := 1
	if newest {
		dir = -1
	}
	var out []V
	for _, v := range m {
		if (p.After == "" || dir*cmp.Compare(id(v), p.After) > 0) && keep(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b V) int { return dir * cmp.Compare(id(a), id(b)) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func all[V any](V) bool { return true }

// ContactByKey implements donorsync.Tx.
func (t *tx) ContactByKey(ctx context.Context, tenant string, k dedup.Key) (contact.Contact, error) {
	if err := t.check(ctx, false); err != nil {
		return contact.Contact{}, err
	}
	tn := t.tenant(tenant)
	id, ok := tn.keys[k]
	if !ok {
		return contact.Contact{}, notFound("contact key", string(k.Kind))
	}
	return tn.contacts[id].Clone(), nil
}

// Contact implements donorsync.Tx.
func (t *tx) Contact(ctx context.Context, tenant, id string) (contact.Contact, error) {
	if err := t.check(ctx, false); err != nil {
		return contact.Contact{}, err
	}
	c, ok := t.tenant(tenant).contacts[id]
	if !ok {
		return contact.Contact{}, notFound("contact", id)
	}
	return c.Clone(), nil
}

// PutContact implements donorsync.Tx.
func (t *tx) PutContact(ctx context.Context, c contact.Contact, keys []dedup.Key) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if c.ID == "" {
		return fmt.Errorf("memstore: contact without id: %w", donorsync.ErrInvalid)
	}
	tn := t.tenant(c.Tenant)
	for _, k := range keys {
		if owner, ok := tn.keys[k]; ok && owner != c.ID {
			return &donorsync.KeyConflictError{Key: k, Owner: owner}
		}
	}
	for _, k := range keys {
		set(t, tn.keys, k, c.ID)
	}
	set(t, tn.contacts, c.ID, c.Clone())
	return nil
}

// MergeContacts implements donorsync.Tx.
func (t *tx) MergeContacts(ctx context.Context, tenant, from, into string) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	tn := t.tenant(tenant)
	if _, ok := tn.contacts[from]; !ok {
		return notFound("contact", from)
	}
	if _, ok := tn.contacts[into]; !ok {
		return notFound("contact", into)
	}
	for k, owner := range tn.keys {
		if owner == from {
			set(t, tn.keys, k, into)
		}
	}
	for k, d := range tn.donations {
		if d.ContactID == from {
			d.ContactID = into
			set(t, tn.donations, k, d)
		}
	}
	for k, c := range tn.commitments {
		if c.ContactID == from {
			c.ContactID = into
			set(t, tn.commitments, k, c)
		}
	}
	for k, a := range tn.activities {
		if a.ContactID == from {
			a.ContactID = into
			set(t, tn.activities, k, a)
		}
	}
	del(t, tn.contacts, from)
	return nil
}

// Activity implements donorsync.Tx.
func (t *tx) Activity(ctx context.Context, tenant, provider, key string) (contact.Activity, error) {
	if err := t.check(ctx, false); err != nil {
		return contact.Activity{}, err
	}
	a, ok := t.tenant(tenant).activities[provider+"/"+key]
	if !ok {
		return contact.Activity{}, notFound("activity", provider+"/"+key)
	}
	return a, nil
}

// PutActivity implements donorsync.Tx.
func (t *tx) PutActivity(ctx context.Context, a contact.Activity) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	tn := t.tenant(a.Tenant)
	k := a.Provider + "/" + a.Key
	if _, ok := tn.activities[k]; ok {
		return nil
	}
	set(t, tn.activities, k, a)
	return nil
}

// Activities implements donorsync.Tx.
func (t *tx) Activities(ctx context.Context, tenant, contactID string) ([]contact.Activity, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	var out []contact.Activity
	for _, a := range t.tenant(tenant).activities {
		if a.ContactID == contactID {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b contact.Activity) int {
		if c := cmp.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out, nil
}

// Contacts implements donorsync.Tx.
func (t *tx) Contacts(ctx context.Context, tenant string, p donorsync.Page) ([]contact.Contact, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	out := page(t.tenant(tenant).contacts, p, false, func(c contact.Contact) string { return c.ID }, all)
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// Donation implements donorsync.Tx.
func (t *tx) Donation(ctx context.Context, tenant, provider, externalID string) (donation.Donation, error) {
	if err := t.check(ctx, false); err != nil {
		return donation.Donation{}, err
	}
	d, ok := t.tenant(tenant).donations[provider+"/"+externalID]
	if !ok {
		return donation.Donation{}, notFound("donation", provider+"/"+externalID)
	}
	return d.Clone(), nil
}

// PutDonation implements donorsync.Tx.
func (t *tx) PutDonation(ctx context.Context, d donation.Donation) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	set(t, t.tenant(d.Tenant).donations, d.Key(), d.Clone())
	return nil
}

// Donations implements donorsync.Tx.
func (t *tx) Donations(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Donation, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	out := page(t.tenant(tenant).donations, p, false, func(d donation.Donation) string { return d.ID }, all)
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// PutAdjustment implements donorsync.Tx.
func (t *tx) PutAdjustment(ctx context.Context, a donation.Adjustment) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	tn := t.tenant(a.Tenant)
	k := a.Provider + "/" + a.Key
	if _, ok := tn.adjustments[k]; ok {
		return nil
	}
	set(t, tn.adjustments, k, a)
	return nil
}

// Adjustments implements donorsync.Tx.
func (t *tx) Adjustments(ctx context.Context, tenant, provider, donationID string) ([]donation.Adjustment, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	var out []donation.Adjustment
	for _, a := range t.tenant(tenant).adjustments {
		if a.Provider == provider && a.DonationID == donationID {
			out = append(out, a)
		}
	}
	donation.SortAdjustments(out)
	return out, nil
}

// Commitment implements donorsync.Tx.
func (t *tx) Commitment(ctx context.Context, tenant, provider, externalID string) (donation.Commitment, error) {
	if err := t.check(ctx, false); err != nil {
		return donation.Commitment{}, err
	}
	c, ok := t.tenant(tenant).commitments[provider+"/"+externalID]
	if !ok {
		return donation.Commitment{}, notFound("commitment", provider+"/"+externalID)
	}
	return c.Clone(), nil
}

// PutCommitment implements donorsync.Tx.
func (t *tx) PutCommitment(ctx context.Context, c donation.Commitment) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	set(t, t.tenant(c.Tenant).commitments, c.Provider+"/"+c.ExternalID, c.Clone())
	return nil
}

// Commitments implements donorsync.Tx.
func (t *tx) Commitments(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Commitment, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	out := page(t.tenant(tenant).commitments, p, false, func(c donation.Commitment) string { return c.ID }, all)
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}
