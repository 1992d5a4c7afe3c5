package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// tx is a transaction: plain SQL over the schema, no business logic.
type tx struct {
	tx *sql.Tx
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time {
	t := time.UnixMicro(us).UTC()
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t
}

func notFound(what, id string) error {
	return fmt.Errorf("sqlite: %s %q: %w", what, id, donorsync.ErrNotFound)
}

func limit(p donorsync.Page) int {
	if p.Limit <= 0 {
		return 100
	}
	return p.Limit
}

// Lock implements donorsync.Tx: writing transactions already run one at a
// time.
func (t *tx) Lock(ctx context.Context, _ []string) error { return ctx.Err() }

// RecordDelivery implements donorsync.Tx.
func (t *tx) RecordDelivery(ctx context.Context, d *donorsync.Delivery) (string, error) {
	var first string
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE tenant = ? AND provider = ? AND key = ? AND status <> 'duplicate'`,
		d.Tenant, d.Provider, d.Key).Scan(&first)
	switch {
	case err == nil:
		d.Status, d.DuplicateOf = donorsync.Duplicate, first
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("sqlite: find delivery: %w", err)
	}
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO deliveries
		(tenant, id, provider, kind, key, body, received_at, status, duplicate_of, attempts, error, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Tenant, d.ID, d.Provider, d.Kind, d.Key, body, micros(d.ReceivedAt), string(d.Status), d.DuplicateOf,
		d.Attempts, d.Error, micros(d.UpdatedAt))
	if err != nil {
		return "", fmt.Errorf("sqlite: record delivery: %w", err)
	}
	return d.DuplicateOf, nil
}

// UpdateDelivery implements donorsync.Tx.
func (t *tx) UpdateDelivery(ctx context.Context, d *donorsync.Delivery) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?, error = ?, updated_at = ?
		WHERE tenant = ? AND id = ?`, string(d.Status), d.Attempts, d.Error, micros(d.UpdatedAt), d.Tenant, d.ID)
	if err != nil {
		return fmt.Errorf("sqlite: update delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("delivery", d.ID)
	}
	return nil
}

const deliveryColumns = `tenant, id, provider, kind, key, body, received_at, status, duplicate_of, attempts, error, updated_at`

func scanDelivery(row interface{ Scan(...any) error }) (*donorsync.Delivery, error) {
	var d donorsync.Delivery
	var received, updated int64
	var status string
	if err := row.Scan(&d.Tenant, &d.ID, &d.Provider, &d.Kind, &d.Key, &d.Body, &received, &status, &d.DuplicateOf,
		&d.Attempts, &d.Error, &updated); err != nil {
		return nil, err
	}
	d.ReceivedAt, d.UpdatedAt, d.Status = fromMicros(received), fromMicros(updated), donorsync.DeliveryStatus(status)
	if d.Body == nil {
		d.Body = []byte{}
	}
	return &d, nil
}

// Delivery implements donorsync.Tx.
func (t *tx) Delivery(ctx context.Context, tenant, id string) (*donorsync.Delivery, error) {
	d, err := scanDelivery(t.tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("delivery", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: delivery: %w", err)
	}
	return d, nil
}

// Deliveries implements donorsync.Tx.
func (t *tx) Deliveries(ctx context.Context, tenant string, f donorsync.DeliveryFilter) ([]*donorsync.Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE tenant = ? AND id > ? AND received_at >= ?`
	args := []any{tenant, f.After, micros(f.Since)}
	if f.Since.IsZero() {
		args[2] = int64(-1 << 62)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit(f.Page))
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deliveries: %w", err)
	}
	defer rows.Close()
	var out []*donorsync.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// getJSON reads one data column into v.
func (t *tx) getJSON(ctx context.Context, v any, what, id, query string, args ...any) error {
	var data string
	err := t.tx.QueryRowContext(ctx, query, args...).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what, id)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("sqlite: %s %q: stored data: %w", what, id, err)
	}
	return nil
}

// listJSON reads the data column of every row into a slice.
func listJSON[T any](ctx context.Context, t *tx, what, query string, args ...any) ([]T, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, fmt.Errorf("sqlite: %s: stored data: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *tx) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := t.tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// ContactByKey implements donorsync.Tx.
func (t *tx) ContactByKey(ctx context.Context, tenant string, k dedup.Key) (contact.Contact, error) {
	var c contact.Contact
	err := t.getJSON(ctx, &c, "contact key", string(k.Kind),
		`SELECT c.data FROM contact_keys k JOIN contacts c ON c.tenant = k.tenant AND c.id = k.contact_id
		 WHERE k.tenant = ? AND k.kind = ? AND k.value = ?`, tenant, string(k.Kind), k.Value)
	return c, err
}

// Contact implements donorsync.Tx.
func (t *tx) Contact(ctx context.Context, tenant, id string) (contact.Contact, error) {
	var c contact.Contact
	err := t.getJSON(ctx, &c, "contact", id, `SELECT data FROM contacts WHERE tenant = ? AND id = ?`, tenant, id)
	return c, err
}

// PutContact implements donorsync.Tx.
func (t *tx) PutContact(ctx context.Context, c contact.Contact, keys []dedup.Key) error {
	if c.ID == "" {
		return fmt.Errorf("sqlite: contact without id: %w", donorsync.ErrInvalid)
	}
	for _, k := range keys {
		var owner string
		err := t.tx.QueryRowContext(ctx, `SELECT contact_id FROM contact_keys WHERE tenant = ? AND kind = ? AND value = ?`,
			c.Tenant, string(k.Kind), k.Value).Scan(&owner)
		switch {
		case err == nil && owner != c.ID:
			return &donorsync.KeyConflictError{Key: k, Owner: owner}
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sqlite: contact key: %w", err)
		}
	}
	data, err := marshal(c)
	if err != nil {
		return err
	}
	if err := t.exec(ctx, "put contact", `INSERT INTO contacts (tenant, id, data) VALUES (?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET data = excluded.data`, c.Tenant, c.ID, data); err != nil {
		return err
	}
	for _, k := range keys {
		if err := t.exec(ctx, "put contact key", `INSERT INTO contact_keys (tenant, kind, value, contact_id) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, c.Tenant, string(k.Kind), k.Value, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// MergeContacts implements donorsync.Tx.
func (t *tx) MergeContacts(ctx context.Context, tenant, from, into string) error {
	for _, id := range []string{from, into} {
		if _, err := t.Contact(ctx, tenant, id); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`UPDATE contact_keys SET contact_id = ? WHERE tenant = ? AND contact_id = ?`,
		`UPDATE donations SET contact_id = ?1, data = json_set(data, '$.ContactID', ?1) WHERE tenant = ?2 AND contact_id = ?3`,
		`UPDATE commitments SET contact_id = ?1, data = json_set(data, '$.ContactID', ?1) WHERE tenant = ?2 AND contact_id = ?3`,
		`UPDATE activities SET contact_id = ?1, data = json_set(data, '$.ContactID', ?1) WHERE tenant = ?2 AND contact_id = ?3`,
	} {
		if err := t.exec(ctx, "merge contacts", q, into, tenant, from); err != nil {
			return err
		}
	}
	return t.exec(ctx, "merge contacts", `DELETE FROM contacts WHERE tenant = ? AND id = ?`, tenant, from)
}

// Contacts implements donorsync.Tx.
func (t *tx) Contacts(ctx context.Context, tenant string, p donorsync.Page) ([]contact.Contact, error) {
	return listJSON[contact.Contact](ctx, t, "contacts",
		`SELECT data FROM contacts WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}

// PutActivity implements donorsync.Tx.
func (t *tx) PutActivity(ctx context.Context, a contact.Activity) error {
	data, err := marshal(a)
	if err != nil {
		return err
	}
	return t.exec(ctx, "put activity", `INSERT INTO activities (tenant, provider, key, contact_id, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, a.Tenant, a.Provider, a.Key, a.ContactID, data)
}

// Activities implements donorsync.Tx.
func (t *tx) Activities(ctx context.Context, tenant, contactID string) ([]contact.Activity, error) {
	return listJSON[contact.Activity](ctx, t, "activities",
		`SELECT data FROM activities WHERE tenant = ? AND contact_id = ? ORDER BY provider, key`, tenant, contactID)
}

// Donation implements donorsync.Tx.
func (t *tx) Donation(ctx context.Context, tenant, provider, externalID string) (donation.Donation, error) {
	var d donation.Donation
	err := t.getJSON(ctx, &d, "donation", provider+"/"+externalID,
		`SELECT data FROM donations WHERE tenant = ? AND provider = ? AND external_id = ?`, tenant, provider, externalID)
	return d, err
}

// PutDonation implements donorsync.Tx.
func (t *tx) PutDonation(ctx context.Context, d donation.Donation) error {
	data, err := marshal(d)
	if err != nil {
		return err
	}
	return t.exec(ctx, "put donation", `INSERT INTO donations (tenant, provider, external_id, id, contact_id, data)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, provider, external_id)
		DO UPDATE SET id = excluded.id, contact_id = excluded.contact_id, data = excluded.data`,
		d.Tenant, d.Provider, d.ExternalID, d.ID, d.ContactID, data)
}

// Donations implements donorsync.Tx.
func (t *tx) Donations(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Donation, error) {
	return listJSON[donation.Donation](ctx, t, "donations",
		`SELECT data FROM donations WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}

// PutAdjustment implements donorsync.Tx.
func (t *tx) PutAdjustment(ctx context.Context, a donation.Adjustment) error {
	data, err := marshal(a)
	if err != nil {
		return err
	}
	return t.exec(ctx, "put adjustment", `INSERT INTO adjustments (tenant, provider, key, donation_id, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, a.Tenant, a.Provider, a.Key, a.DonationID, data)
}

// Adjustments implements donorsync.Tx.
func (t *tx) Adjustments(ctx context.Context, tenant, provider, donationID string) ([]donation.Adjustment, error) {
	return listJSON[donation.Adjustment](ctx, t, "adjustments",
		`SELECT data FROM adjustments WHERE tenant = ? AND provider = ? AND donation_id = ? ORDER BY key`, tenant, provider, donationID)
}

// Commitment implements donorsync.Tx.
func (t *tx) Commitment(ctx context.Context, tenant, provider, externalID string) (donation.Commitment, error) {
	var c donation.Commitment
	err := t.getJSON(ctx, &c, "commitment", provider+"/"+externalID,
		`SELECT data FROM commitments WHERE tenant = ? AND provider = ? AND external_id = ?`, tenant, provider, externalID)
	return c, err
}

// PutCommitment implements donorsync.Tx.
func (t *tx) PutCommitment(ctx context.Context, c donation.Commitment) error {
	data, err := marshal(c)
	if err != nil {
		return err
	}
	return t.exec(ctx, "put commitment", `INSERT INTO commitments (tenant, provider, external_id, id, contact_id, data)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, provider, external_id)
		DO UPDATE SET id = excluded.id, contact_id = excluded.contact_id, data = excluded.data`,
		c.Tenant, c.Provider, c.ExternalID, c.ID, c.ContactID, data)
}

// Commitments implements donorsync.Tx.
func (t *tx) Commitments(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Commitment, error) {
	return listJSON[donation.Commitment](ctx, t, "commitments",
		`SELECT data FROM commitments WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}
