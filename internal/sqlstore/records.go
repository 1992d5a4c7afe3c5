package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/batch"
)

// Records: contacts, their keys and activities, donations, their
// adjustments, and commitments. In batch mode a read is answered from the
// transaction's cache when it holds the record, and a write is held back
// and shown in the cache; otherwise reads query and writes are sent.

// ContactByKey implements donorsync.Tx.
func (t *tx) ContactByKey(ctx context.Context, tenant string, k dedup.Key) (contact.Contact, error) {
	if t.mode == batchMode {
		if owner, ok := t.c.owners[keyRef{tenant, string(k.Kind), k.Value}]; ok {
			if owner == "" {
				return contact.Contact{}, t.notFound("contact key", string(k.Kind))
			}
			if c, ok := t.c.contacts[idRef{tenant, owner}]; ok && c != nil {
				return c.Clone(), nil
			}
		}
	}
	var c contact.Contact
	err := t.getRow(ctx, "contact key", string(k.Kind), func(rs rowScanner) error { return scanContact(rs, &c) },
		selectContactByKey, tenant, tenant, string(k.Kind), k.Value)
	return c, err
}

// Contact implements donorsync.Tx.
func (t *tx) Contact(ctx context.Context, tenant, id string) (contact.Contact, error) {
	return getRecord(ctx, t, contactsIn, idRef{tenant, id}, contact.Contact.Clone, scanContact, "contact", id,
		selectContact, tenant, id)
}

// PutContact implements donorsync.Tx.
func (t *tx) PutContact(ctx context.Context, c contact.Contact, keys []dedup.Key) error {
	if c.ID == "" {
		return fmt.Errorf("%s: contact without id: %w", t.d.Name, donorsync.ErrInvalid)
	}
	if t.mode == batchMode {
		return t.holdContact(c, keys)
	}
	t.untracked = true
	data, err := contactRecord(&c)
	if err != nil {
		return err
	}
	if err := t.exec(ctx, "put contact", putContacts.text(1), t.d.contactArgs(&c, data, nil)...); err != nil {
		return err
	}
	for _, k := range keys {
		r := keyRow{keyRef{c.Tenant, string(k.Kind), k.Value}, c.ID}
		res, err := t.execContext(ctx, putKeys.text(1), r.args(nil)...)
		if err != nil {
			return t.d.wrap("put contact key", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			// Taken since the check above, by a transaction that committed
			// meanwhile: unless it is ours already, the race is lost.
			if err := t.keyIsOwners(ctx, r.keyRef, c.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// holdContact is PutContact in batch mode.
func (t *tx) holdContact(c contact.Contact, keys []dedup.Key) error {
	for _, k := range keys {
		if owner := t.c.owners[keyRef{c.Tenant, string(k.Kind), k.Value}]; owner != "" && owner != c.ID {
			return &donorsync.KeyConflictError{Key: k, Owner: owner}
		}
	}
	data, err := contactRecord(&c)
	if err != nil {
		return err
	}
	id := idRef{c.Tenant, c.ID}
	stored := c.Clone()
	t.w.contacts.put(id, contactRow{&stored, data}, true)
	t.c.contacts[id] = &stored
	for _, k := range keys {
		r := keyRow{keyRef{c.Tenant, string(k.Kind), k.Value}, c.ID}
		t.w.keys.put(r.keyRef, r, false)
		t.c.owners[r.keyRef] = c.ID
	}
	return nil
}

// MergeContacts implements donorsync.Tx.
func (t *tx) MergeContacts(ctx context.Context, tenant, from, into string) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	if t.mode == batchMode {
		// Records of both contacts change below: what was read ahead is
		// dropped, and the cache shows what is written from now on.
		t.c = newTxCache()
	}
	t.untracked = true
	for _, id := range []string{from, into} {
		if _, err := t.Contact(ctx, tenant, id); err != nil {
			return err
		}
	}
	for _, q := range mergeContacts {
		if err := t.exec(ctx, "merge contacts", q, into, tenant, from); err != nil {
			return err
		}
	}
	return t.exec(ctx, "merge contacts", deleteContact, tenant, from)
}

// Contacts implements donorsync.Tx.
func (t *tx) Contacts(ctx context.Context, tenant string, p donorsync.Page) ([]contact.Contact, error) {
	return listRows(ctx, t, "contacts", scanContact, listContacts, tenant, p.After, limit(p))
}

// Activity implements donorsync.Tx. In batch mode every activity held
// back is in the transaction's cache: one it does not hold is read from
// the database without sending the writes held back.
func (t *tx) Activity(ctx context.Context, tenant, provider, key string) (contact.Activity, error) {
	k := actKey{tenant, provider, key}
	if t.mode == batchMode {
		if a, ok := t.c.activities[k]; ok {
			if a == nil {
				return contact.Activity{}, t.notFound("activity", provider+"/"+key)
			}
			return *a, nil
		}
	}
	if t.role == draftingAfter {
		return contact.Activity{}, fmt.Errorf("%s: %w", t.d.Name, errDraftMiss)
	}
	a := new(contact.Activity)
	err := scanActivity(t.queryRow(ctx, selectActivity, tenant, provider, key), a)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		a = nil
	case err != nil:
		return contact.Activity{}, t.d.wrap("activity", err)
	}
	if t.mode == batchMode {
		t.c.activities[k] = a
	}
	if a == nil {
		return contact.Activity{}, t.notFound("activity", provider+"/"+key)
	}
	return *a, nil
}

// PutActivity implements donorsync.Tx.
func (t *tx) PutActivity(ctx context.Context, a contact.Activity) error {
	k := actKey{a.Tenant, a.Provider, a.Key}
	var held *contact.Activity
	known := false // known to be absent: it must be new when sent
	if t.mode == batchMode {
		if held, known = t.c.activities[k]; held != nil {
			return nil // stored already: the first version stays
		}
	}
	if err := activityRecord(&a); err != nil {
		return err
	}
	row := activityRow{actKey: k, a: &a, expected: known}
	if t.mode == plainMode {
		t.untracked = true
		return t.exec(ctx, "put activity", putActivities.text(1), t.d.activityArgs(&a, nil)...)
	}
	t.w.activities.put(k, row, false)
	t.c.activities[k] = &a
	return nil
}

// Activities implements donorsync.Tx.
func (t *tx) Activities(ctx context.Context, tenant, contactID string) ([]contact.Activity, error) {
	return listRows(ctx, t, "activities", scanActivity, listActivities, tenant, contactID)
}

// Donation implements donorsync.Tx.
func (t *tx) Donation(ctx context.Context, tenant, provider, externalID string) (donation.Donation, error) {
	return getRecord(ctx, t, donationsIn, batch.Ref{Tenant: tenant, Provider: provider, ExternalID: externalID}, donation.Donation.Clone,
		scanDonation, "donation", provider+"/"+externalID, selectDonation, tenant, provider, externalID)
}

// PutDonation implements donorsync.Tx.
func (t *tx) PutDonation(ctx context.Context, d donation.Donation) error {
	data, err := donationRecord(&d)
	if err != nil {
		return err
	}
	if t.mode == plainMode {
		t.untracked = true
		return t.exec(ctx, "put donation", putDonations.text(1), t.d.donationArgs(&d, data, nil)...)
	}
	ref := batch.Ref{Tenant: d.Tenant, Provider: d.Provider, ExternalID: d.ExternalID}
	stored := d.Clone()
	t.c.donations[ref] = &stored
	t.w.donations.put(ref, donationRow{&stored, data}, true)
	return nil
}

// Donations implements donorsync.Tx.
func (t *tx) Donations(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Donation, error) {
	return listRows(ctx, t, "donations", scanDonation, listDonations, tenant, p.After, limit(p))
}

// PutAdjustment implements donorsync.Tx.
func (t *tx) PutAdjustment(ctx context.Context, a donation.Adjustment) error {
	if err := adjustmentRecord(&a); err != nil {
		return err
	}
	row := adjustmentRow{actKey: actKey{a.Tenant, a.Provider, a.Key}, a: &a}
	if t.mode == plainMode {
		t.untracked = true
		return t.exec(ctx, "put adjustment", putAdjustments.text(1), t.d.adjustmentArgs(&a, nil)...)
	}
	// The adjustment joins its donation's list, unless an adjustment
	// with its key is there already.
	r := batch.Ref{Tenant: a.Tenant, Provider: a.Provider, ExternalID: a.DonationID}
	if list, ok := t.c.adjustments[r]; ok {
		i, found := slices.BinarySearchFunc(list, a.Key, func(x donation.Adjustment, key string) int { return cmp.Compare(x.Key, key) })
		if found {
			return nil
		}
		// Lists are shared with the record cache: never grown in place.
		t.c.adjustments[r] = slices.Insert(slices.Clip(list), i, a)
		row.expected = true
	} else {
		t.stale = append(t.stale, r)
	}
	t.w.adjustments.put(row.actKey, row, false)
	return nil
}

// Adjustments implements donorsync.Tx.
func (t *tx) Adjustments(ctx context.Context, tenant, provider, donationID string) ([]donation.Adjustment, error) {
	if t.mode == batchMode {
		if list, ok := t.c.adjustments[batch.Ref{Tenant: tenant, Provider: provider, ExternalID: donationID}]; ok {
			return slices.Clone(list), nil
		}
	}
	return listRows(ctx, t, "adjustments", scanAdjustment, listAdjustments, tenant, provider, donationID)
}

// Commitment implements donorsync.Tx.
func (t *tx) Commitment(ctx context.Context, tenant, provider, externalID string) (donation.Commitment, error) {
	return getRecord(ctx, t, commitmentsIn, batch.Ref{Tenant: tenant, Provider: provider, ExternalID: externalID}, donation.Commitment.Clone,
		scanCommitment, "commitment", provider+"/"+externalID, selectCommitment, tenant, provider, externalID)
}

// PutCommitment implements donorsync.Tx.
func (t *tx) PutCommitment(ctx context.Context, c donation.Commitment) error {
	data, err := commitmentRecord(&c)
	if err != nil {
		return err
	}
	if t.mode == plainMode {
		t.untracked = true
		return t.exec(ctx, "put commitment", putCommitments.text(1), t.d.commitmentArgs(&c, data, nil)...)
	}
	ref := batch.Ref{Tenant: c.Tenant, Provider: c.Provider, ExternalID: c.ExternalID}
	stored := c.Clone()
	t.c.commitments[ref] = &stored
	t.w.commitments.put(ref, commitmentRow{&stored, data}, true)
	return nil
}

// Commitments implements donorsync.Tx.
func (t *tx) Commitments(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Commitment, error) {
	return listRows(ctx, t, "commitments", scanCommitment, listCommitments, tenant, p.After, limit(p))
}

// getRecord reads a record: in batch mode, from the transaction's cache
// (at) when it holds the record of k, found or known absent, as clone
// copies it; otherwise from the database, where query selects its row,
// which scan reads.
func getRecord[K comparable, V any](ctx context.Context, t *tx, at func(*txCache) map[K]*V, k K, clone func(V) V,
	scan func(rowScanner, *V) error, what, id, query string, args ...any) (V, error) {
	if t.mode == batchMode {
		if v, ok := at(t.c)[k]; ok {
			if v == nil {
				var zero V
				return zero, t.notFound(what, id)
			}
			return clone(*v), nil
		}
	}
	var v V
	err := t.getRow(ctx, what, id, func(rs rowScanner) error { return scan(rs, &v) }, query, args...)
	return v, err
}

// getRow reads the one row query selects with scan.
func (t *tx) getRow(ctx context.Context, what, id string, scan func(rowScanner) error, query string, args ...any) error {
	if err := t.readRecords(ctx); err != nil {
		return err
	}
	err := scan(t.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return t.notFound(what, id)
	}
	if err != nil {
		return t.d.wrap(what+" "+strconv.Quote(id), err)
	}
	return nil
}

// listRows reads every row query selects, each with scan.
func listRows[T any](ctx context.Context, t *tx, what string, scan func(rowScanner, *T) error, query string, args ...any) ([]T, error) {
	if err := t.readRecords(ctx); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, t.d.wrap(what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, t.d.wrap(what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.wrap(what, err)
	}
	return out, nil
}

// marshal returns the JSON encoding of v, as json.Marshal does, encoded
// into a buffer kept for the next call rather than a new one: a record is
// encoded at each write, and the encoding is copied once, into the string.
// A record that cannot be encoded (a time after year 9999) never will be:
// the error matches donorsync.ErrInvalid.
func marshal(v any) (string, error) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // an outsize record does not stay
			buf.Reset()
			encodeBuffers.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return "", fmt.Errorf("encode %T: %w: %w", v, donorsync.ErrInvalid, err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// encodeBuffers are marshal's buffers.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
