// Package customstore shows how to write a donorsync.Store over your own
// tables with plain database/sql: here a small CRM whose people, gifts and
// pledges live in tables of its own design, in SQLite.
//
// It is the guide for adapter authors, and it passes storetest.Run, like
// every adapter must. Points to copy:
//
//   - Keep the columns your application queries (names, email, amount,
//     status, dates) and store the full record beside them ("record", as
//     JSON), so that nothing the engine wrote is lost in the round trip.
//   - Every key starts with the tenant.
//   - Natural keys are primary or unique keys: a second put of the same
//     record replaces it; a second put of an adjustment or activity is
//     ignored.
//   - PutContact refuses a key that another contact owns with a
//     *donorsync.KeyConflictError.
//   - Transactions are all or nothing; this store runs them one at a time
//     on one connection, so Lock has nothing to do. A store that runs
//     writers in parallel must make Lock wait (see store/postgres).
//   - Times are kept to the microsecond, as UTC.
//   - ClaimDeliveries claims the oldest due deliveries, and marks them
//     claimed until the claim lapses.
//   - Deliveries writes a condition for each filter it is given, and
//     orders by id, ascending or descending.
//   - The change feed (feed.go) is one table of events as JSON, numbered
//     per organisation through a row holding the last number, and one of
//     its readers' cursors, each leased to one reader at a time.
//
// That is the whole contract: donorsync.Store and donorsync.Tx, as
// storetest.Run checks them. The engine works with it one lookup at a
// time.
package customstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// schema is the CRM's own tables.
const schema = `
CREATE TABLE IF NOT EXISTS webhook_log (
	org TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, dedup_key TEXT NOT NULL,
	payload BLOB NOT NULL, received TEXT NOT NULL, state TEXT NOT NULL, repeat_of TEXT NOT NULL,
	tries INTEGER NOT NULL, last_error TEXT NOT NULL, changed TEXT NOT NULL, retry_after TEXT NOT NULL, held_until TEXT NOT NULL,
	earlier_tries TEXT NOT NULL DEFAULT '', PRIMARY KEY (org, id));
CREATE UNIQUE INDEX IF NOT EXISTS webhook_log_dedup ON webhook_log (org, source, dedup_key) WHERE state <> 'duplicate';
CREATE TABLE IF NOT EXISTS people (
	org TEXT NOT NULL, id TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
	email TEXT NOT NULL, phone TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (org, id));
CREATE TABLE IF NOT EXISTS people_lookup (
	org TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (org, kind, value));
CREATE TABLE IF NOT EXISTS gifts (
	org TEXT NOT NULL, platform TEXT NOT NULL, platform_id TEXT NOT NULL, id TEXT NOT NULL, person_id TEXT NOT NULL,
	amount TEXT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, paid_at TEXT NOT NULL, record TEXT NOT NULL,
	PRIMARY KEY (org, platform, platform_id));
CREATE TABLE IF NOT EXISTS gift_changes (
	org TEXT NOT NULL, platform TEXT NOT NULL, change_key TEXT NOT NULL, platform_gift_id TEXT NOT NULL,
	record TEXT NOT NULL, PRIMARY KEY (org, platform, change_key));
CREATE TABLE IF NOT EXISTS pledges (
	org TEXT NOT NULL, platform TEXT NOT NULL, platform_id TEXT NOT NULL, id TEXT NOT NULL, person_id TEXT NOT NULL,
	status TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (org, platform, platform_id));
CREATE TABLE IF NOT EXISTS person_actions (
	org TEXT NOT NULL, platform TEXT NOT NULL, action_key TEXT NOT NULL, person_id TEXT NOT NULL,
	record TEXT NOT NULL, PRIMARY KEY (org, platform, action_key));
`

// Store is the CRM's donorsync.Store.
type Store struct{ db *sql.DB }

// Open opens (creating it if needed) the CRM database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // transactions run one at a time
	if _, err := db.ExecContext(ctx, schema+feedSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("customstore: schema: %w", err)
	}
	if err := addColumn(ctx, db, "webhook_log", "earlier_tries", `TEXT NOT NULL DEFAULT ''`); err != nil {
		db.Close()
		return nil, fmt.Errorf("customstore: schema: %w", err)
	}
	return &Store{db: db}, nil
}

// addColumn adds a column to a table made before it existed.
func addColumn(ctx context.Context, db *sql.DB, table, column, decl string) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	_, err = db.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+column+` `+decl)
	return err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Update implements donorsync.Store.
func (s *Store) Update(ctx context.Context, fn func(donorsync.Tx) error) error { return s.run(ctx, fn) }

// View implements donorsync.Store.
func (s *Store) View(ctx context.Context, fn func(donorsync.Tx) error) error { return s.run(ctx, fn) }

func (s *Store) run(ctx context.Context, fn func(donorsync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(&tx{t}); err != nil {
		t.Rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		t.Rollback()
		return err
	}
	return t.Commit()
}

type tx struct{ *sql.Tx }

// Times as RFC 3339 text with microseconds, in UTC; "" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func parseWhen(s string) time.Time {
	t, _ := time.Parse("2006-01-02T15:04:05.000000Z", s)
	return t
}

func record(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func missing(what, id string) error {
	return fmt.Errorf("customstore: %s %q: %w", what, id, donorsync.ErrNotFound)
}

func limit(p donorsync.Page) int {
	if p.Limit <= 0 {
		return 100
	}
	return p.Limit
}

func (t *tx) Lock(ctx context.Context, _ []string) error { return ctx.Err() }

func (t *tx) RecordDelivery(ctx context.Context, d *donorsync.Delivery) (string, error) {
	var first string
	err := t.QueryRowContext(ctx, `SELECT id FROM webhook_log WHERE org = ? AND source = ? AND dedup_key = ? AND state <> 'duplicate'`,
		d.Tenant, d.Provider, d.Key).Scan(&first)
	if err == nil {
		d.Status, d.DuplicateOf = donorsync.Duplicate, first
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	_, err = t.ExecContext(ctx, `INSERT INTO webhook_log (`+logColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Tenant, d.ID, d.Provider, d.Kind, d.Key, body, when(d.ReceivedAt), string(d.Status), d.DuplicateOf,
		d.Attempts, d.Error, when(d.UpdatedAt), when(d.NextAttemptAt), when(d.ClaimedUntil), tries(d.History))
	return d.DuplicateOf, err
}

// tries is a delivery's earlier attempts as stored: JSON, or "" when
// there are none.
func tries(h []donorsync.Attempt) string {
	if len(h) == 0 {
		return ""
	}
	return record(h)
}

func (t *tx) UpdateDelivery(ctx context.Context, d *donorsync.Delivery) error {
	res, err := t.ExecContext(ctx, `UPDATE webhook_log SET state = ?, tries = ?, last_error = ?, changed = ?, retry_after = ?, held_until = ?,
		earlier_tries = ? WHERE org = ? AND id = ?`, string(d.Status), d.Attempts, d.Error, when(d.UpdatedAt), when(d.NextAttemptAt),
		when(d.ClaimedUntil), tries(d.History), d.Tenant, d.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return missing("delivery", d.ID)
	}
	return nil
}

const logColumns = `org, id, source, kind, dedup_key, payload, received, state, repeat_of, tries, last_error, changed, retry_after, held_until, earlier_tries`

func scanLog(row interface{ Scan(...any) error }) (*donorsync.Delivery, error) {
	var d donorsync.Delivery
	var received, changed, retry, held, state, earlier string
	err := row.Scan(&d.Tenant, &d.ID, &d.Provider, &d.Kind, &d.Key, &d.Body, &received, &state, &d.DuplicateOf,
		&d.Attempts, &d.Error, &changed, &retry, &held, &earlier)
	if err == nil && earlier != "" {
		err = json.Unmarshal([]byte(earlier), &d.History)
	}
	d.Status = donorsync.DeliveryStatus(state)
	d.ReceivedAt, d.UpdatedAt, d.NextAttemptAt, d.ClaimedUntil = parseWhen(received), parseWhen(changed), parseWhen(retry), parseWhen(held)
	if d.Body == nil {
		d.Body = []byte{}
	}
	return &d, err
}

func (t *tx) Delivery(ctx context.Context, tenant, id string) (*donorsync.Delivery, error) {
	d, err := scanLog(t.QueryRowContext(ctx, `SELECT `+logColumns+` FROM webhook_log WHERE org = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, missing("delivery", id)
	}
	return d, err
}

func (t *tx) deliveries(ctx context.Context, query string, args ...any) ([]*donorsync.Delivery, error) {
	rows, err := t.QueryContext(ctx, `SELECT `+logColumns+` FROM webhook_log WHERE `+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*donorsync.Delivery
	for rows.Next() {
		d, err := scanLog(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Deliveries lists by id, ascending or, for f.NewestFirst, descending;
// f.After is the id the page follows in that order.
func (t *tx) Deliveries(ctx context.Context, tenant string, f donorsync.DeliveryFilter) ([]*donorsync.Delivery, error) {
	q, args := `org = ? AND received >= ?`, []any{tenant, when(f.Since)}
	order := ` ORDER BY id`
	switch {
	case f.NewestFirst:
		order = ` ORDER BY id DESC`
		if f.After != "" {
			q, args = q+` AND id < ?`, append(args, f.After)
		}
	default:
		q, args = q+` AND id > ?`, append(args, f.After)
	}
	if f.Status != "" {
		q, args = q+` AND state = ?`, append(args, string(f.Status))
	}
	if f.Provider != "" {
		q, args = q+` AND source = ?`, append(args, f.Provider)
	}
	switch prefix, isPrefix := strings.CutSuffix(f.Kind, "*"); {
	case f.Kind == "":
	case f.Kind == donorsync.NoKind:
		q += ` AND kind = ''`
	case isPrefix:
		q, args = q+` AND substr(kind, 1, length(?)) = ?`, append(args, prefix, prefix)
	default:
		q, args = q+` AND kind = ?`, append(args, f.Kind)
	}
	return t.deliveries(ctx, q+order+` LIMIT ?`, append(args, limit(f.Page))...)
}

func (t *tx) ClaimDeliveries(ctx context.Context, c donorsync.Claim) ([]*donorsync.Delivery, error) {
	now := when(c.Now)
	q, args := `state IN ('pending', 'failed') AND retry_after <= ? AND held_until <= ?`, []any{now, now}
	if c.Tenant != "" {
		q, args = q+` AND org = ?`, append(args, c.Tenant)
	}
	ds, err := t.deliveries(ctx, q+` ORDER BY received, id LIMIT ?`, append(args, c.Limit)...)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		d.ClaimedUntil = c.Until
		if _, err := t.ExecContext(ctx, `UPDATE webhook_log SET held_until = ? WHERE org = ? AND id = ?`, when(c.Until), d.Tenant, d.ID); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// one reads one record column into v.
func (t *tx) one(ctx context.Context, v any, what, id, query string, args ...any) error {
	var rec string
	err := t.QueryRowContext(ctx, query, args...).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return missing(what, id)
	}
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(rec), v)
}

// all reads the record column of every row.
func all[T any](ctx context.Context, t *tx, query string, args ...any) ([]T, error) {
	rows, err := t.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var rec string
		var v T
		if err := rows.Scan(&rec); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rec), &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *tx) ContactByKey(ctx context.Context, tenant string, k dedup.Key) (contact.Contact, error) {
	var c contact.Contact
	err := t.one(ctx, &c, "person key", string(k.Kind), `SELECT p.record FROM people_lookup l JOIN people p ON p.org = l.org AND p.id = l.person_id
		WHERE l.org = ? AND l.kind = ? AND l.value = ?`, tenant, string(k.Kind), k.Value)
	return c, err
}

func (t *tx) Contact(ctx context.Context, tenant, id string) (contact.Contact, error) {
	var c contact.Contact
	err := t.one(ctx, &c, "person", id, `SELECT record FROM people WHERE org = ? AND id = ?`, tenant, id)
	return c, err
}

func (t *tx) PutContact(ctx context.Context, c contact.Contact, keys []dedup.Key) error {
	for _, k := range keys {
		var owner string
		err := t.QueryRowContext(ctx, `SELECT person_id FROM people_lookup WHERE org = ? AND kind = ? AND value = ?`, c.Tenant, string(k.Kind), k.Value).Scan(&owner)
		if err == nil && owner != c.ID {
			return &donorsync.KeyConflictError{Key: k, Owner: owner}
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	if _, err := t.ExecContext(ctx, `INSERT OR REPLACE INTO people VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.Tenant, c.ID, c.FirstName, c.LastName, c.Email, c.Phone, record(c)); err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO people_lookup VALUES (?, ?, ?, ?)`, c.Tenant, string(k.Kind), k.Value, c.ID); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) MergeContacts(ctx context.Context, tenant, from, into string) error {
	for _, id := range []string{from, into} {
		if _, err := t.Contact(ctx, tenant, id); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`UPDATE people_lookup SET person_id = ?1 WHERE org = ?2 AND person_id = ?3`,
		`UPDATE gifts SET person_id = ?1, record = json_set(record, '$.contact_id', ?1) WHERE org = ?2 AND person_id = ?3`,
		`UPDATE pledges SET person_id = ?1, record = json_set(record, '$.contact_id', ?1) WHERE org = ?2 AND person_id = ?3`,
		`UPDATE person_actions SET person_id = ?1, record = json_set(record, '$.contact_id', ?1) WHERE org = ?2 AND person_id = ?3`,
	} {
		if _, err := t.ExecContext(ctx, q, into, tenant, from); err != nil {
			return err
		}
	}
	_, err := t.ExecContext(ctx, `DELETE FROM people WHERE org = ? AND id = ?`, tenant, from)
	return err
}

func (t *tx) Contacts(ctx context.Context, tenant string, p donorsync.Page) ([]contact.Contact, error) {
	return all[contact.Contact](ctx, t, `SELECT record FROM people WHERE org = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}

func (t *tx) PutActivity(ctx context.Context, a contact.Activity) error {
	_, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO person_actions VALUES (?, ?, ?, ?, ?)`, a.Tenant, a.Provider, a.Key, a.ContactID, record(a))
	return err
}

func (t *tx) Activity(ctx context.Context, tenant, provider, key string) (contact.Activity, error) {
	var a contact.Activity
	err := t.one(ctx, &a, "action", key, `SELECT record FROM person_actions WHERE org = ? AND platform = ? AND action_key = ?`, tenant, provider, key)
	return a, err
}

func (t *tx) Activities(ctx context.Context, tenant, contactID string) ([]contact.Activity, error) {
	return all[contact.Activity](ctx, t, `SELECT record FROM person_actions WHERE org = ? AND person_id = ? ORDER BY platform, action_key`, tenant, contactID)
}

func (t *tx) Donation(ctx context.Context, tenant, provider, externalID string) (donation.Donation, error) {
	var d donation.Donation
	err := t.one(ctx, &d, "gift", externalID, `SELECT record FROM gifts WHERE org = ? AND platform = ? AND platform_id = ?`, tenant, provider, externalID)
	return d, err
}

func (t *tx) PutDonation(ctx context.Context, d donation.Donation) error {
	_, err := t.ExecContext(ctx, `INSERT OR REPLACE INTO gifts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.Tenant, d.Provider, d.ExternalID, d.ID,
		d.ContactID, d.Amount.String(), d.Currency, string(d.Status), when(d.PaidAt), record(d))
	return err
}

func (t *tx) Donations(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Donation, error) {
	return all[donation.Donation](ctx, t, `SELECT record FROM gifts WHERE org = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}

func (t *tx) PutAdjustment(ctx context.Context, a donation.Adjustment) error {
	_, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO gift_changes VALUES (?, ?, ?, ?, ?)`, a.Tenant, a.Provider, a.Key, a.DonationID, record(a))
	return err
}

func (t *tx) Adjustments(ctx context.Context, tenant, provider, donationID string) ([]donation.Adjustment, error) {
	return all[donation.Adjustment](ctx, t, `SELECT record FROM gift_changes WHERE org = ? AND platform = ? AND platform_gift_id = ? ORDER BY change_key`,
		tenant, provider, donationID)
}

func (t *tx) Commitment(ctx context.Context, tenant, provider, externalID string) (donation.Commitment, error) {
	var c donation.Commitment
	err := t.one(ctx, &c, "pledge", externalID, `SELECT record FROM pledges WHERE org = ? AND platform = ? AND platform_id = ?`, tenant, provider, externalID)
	return c, err
}

func (t *tx) PutCommitment(ctx context.Context, c donation.Commitment) error {
	_, err := t.ExecContext(ctx, `INSERT OR REPLACE INTO pledges VALUES (?, ?, ?, ?, ?, ?, ?)`, c.Tenant, c.Provider, c.ExternalID, c.ID,
		c.ContactID, string(c.Status), record(c))
	return err
}

func (t *tx) Commitments(ctx context.Context, tenant string, p donorsync.Page) ([]donation.Commitment, error) {
	return all[donation.Commitment](ctx, t, `SELECT record FROM pledges WHERE org = ? AND id > ? ORDER BY id LIMIT ?`, tenant, p.After, limit(p))
}
