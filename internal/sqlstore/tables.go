package sqlstore

import "strings"

// The record tables, and the SQL that reads and writes them: their
// names are written here and nowhere else. Each keeps what people query
// in typed columns, and the rest of a record, if any, as JSON in its
// data column (see stored.go). docs/schema.md describes them.

// A recordTable is a table of records: its name, its columns in the
// order rows are written and scanned, the first of them its primary key.
type recordTable struct {
	name string
	key  int // how many of cols make the primary key
	cols []string
}

var (
	contactsTable = recordTable{"contacts", 2, []string{"tenant", "id",
		"first_name", "middle_name", "last_name", "suffix", "email", "phone",
		"address_line1", "address_line2", "city", "state", "postal_code", "country",
		"employer", "occupation", "created_at", "updated_at", "data"}}
	contactKeysTable = recordTable{"contact_keys", 3, []string{"tenant", "kind", "value", "contact_id"}}
	donationsTable   = recordTable{"donations", 3, []string{"tenant", "provider", "external_id", "id", "contact_id",
		"order_number", "amount", "currency", "net", "fees", "status", "refunded_amount",
		"paid_at", "created_at", "settled_at", "recipient_id", "form", "fund", "commitment_id", "updated_at", "data"}}
	adjustmentsTable = recordTable{"adjustments", 3, []string{"tenant", "provider", "key", "donation_id",
		"kind", "amount", "at", "delivery_id"}}
	commitmentsTable = recordTable{"commitments", 3, []string{"tenant", "provider", "external_id", "id", "contact_id",
		"period", "amount", "currency", "status", "started_at", "cancelled_at", "failed_at", "last_charged_at",
		"completed", "pledged", "updated_at", "data"}}
	activitiesTable = recordTable{"activities", 3, []string{"tenant", "provider", "key", "contact_id",
		"type", "action", "at", "delivery_id"}}
)

// columns lists the table's columns, comma separated.
func (t recordTable) columns() string { return strings.Join(t.cols, ", ") }

// keyColumns lists the columns of its primary key, comma separated.
func (t recordTable) keyColumns() string { return strings.Join(t.cols[:t.key], ", ") }

// placeholders is a row of "?", one per column.
func (t recordTable) placeholders() string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
}

// selectWhere selects every column of the rows that where selects.
func (t recordTable) selectWhere(where string) string {
	return "SELECT " + t.columns() + " FROM " + t.name + " WHERE " + where
}

// insert writes rows; tail follows the rows.
func (t recordTable) insert(what, tail string) statement {
	return statement{what, "INSERT INTO " + t.name + " (" + t.columns() + ") VALUES ", t.placeholders(), tail}
}

// upsert writes rows, each replacing the one of its primary key.
func (t recordTable) upsert(what string) statement {
	set := make([]string, 0, len(t.cols)-t.key)
	for _, c := range t.cols[t.key:] {
		set = append(set, c+" = excluded."+c)
	}
	return t.insert(what, " ON CONFLICT ("+t.keyColumns()+") DO UPDATE SET "+strings.Join(set, ", "))
}

// prefetch reads the rows whose columns named match one of a list of
// rows of arguments.
func (t recordTable) prefetch(what string, match ...string) statement {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(match)), ", ") + ")"
	return statement{what, t.selectWhere("(" + strings.Join(match, ", ") + ") IN (VALUES "), row, ")"}
}

// The statements of the record tables.
var (
	putContacts    = contactsTable.upsert("put contacts")
	putKeys        = contactKeysTable.insert("put contact keys", " ON CONFLICT DO NOTHING")
	putActivities  = activitiesTable.insert("put activities", " ON CONFLICT DO NOTHING")
	putAdjustments = adjustmentsTable.insert("put adjustments", " ON CONFLICT DO NOTHING")
	putDonations   = donationsTable.upsert("put donations")
	putCommitments = commitmentsTable.upsert("put commitments")

	// What insertNew runs: the keys of the rows inserted are returned.
	insertKeys        = putKeys.returning(contactKeysTable.keyColumns())
	insertAdjustments = putAdjustments.returning(adjustmentsTable.keyColumns())
	insertActivities  = putActivities.returning(activitiesTable.keyColumns())

	prefetchKeys = statement{"prefetch contact keys", "SELECT " + contactKeysTable.columns() + " FROM " + contactKeysTable.name +
		" WHERE (tenant, kind, value) IN (VALUES ", "(?, ?, ?)", ")"}
	prefetchContacts    = contactsTable.prefetch("prefetch contacts", "tenant", "id")
	prefetchDonations   = donationsTable.prefetch("prefetch donations", "tenant", "provider", "external_id")
	prefetchAdjustments = adjustmentsTable.prefetch("prefetch adjustments", "tenant", "provider", "donation_id")
	prefetchCommitments = commitmentsTable.prefetch("prefetch commitments", "tenant", "provider", "external_id")
	prefetchActivities  = activitiesTable.prefetch("prefetch activities", "tenant", "provider", "key")
)

// The queries of the record tables.
var (
	selectContact      = contactsTable.selectWhere("tenant = ? AND id = ?")
	selectContactByKey = contactsTable.selectWhere("tenant = ? AND id = (SELECT contact_id FROM " + contactKeysTable.name +
		" WHERE tenant = ? AND kind = ? AND value = ?)")
	selectKeyOwner   = "SELECT contact_id FROM " + contactKeysTable.name + " WHERE tenant = ? AND kind = ? AND value = ?"
	listContacts     = contactsTable.selectWhere("tenant = ? AND id > ? ORDER BY id LIMIT ?")
	selectActivity   = activitiesTable.selectWhere("tenant = ? AND provider = ? AND key = ?")
	listActivities   = activitiesTable.selectWhere("tenant = ? AND contact_id = ? ORDER BY provider, key")
	selectDonation   = donationsTable.selectWhere("tenant = ? AND provider = ? AND external_id = ?")
	listDonations    = donationsTable.selectWhere("tenant = ? AND id > ? ORDER BY id LIMIT ?")
	listAdjustments  = adjustmentsTable.selectWhere("tenant = ? AND provider = ? AND donation_id = ? ORDER BY key")
	selectCommitment = commitmentsTable.selectWhere("tenant = ? AND provider = ? AND external_id = ?")
	listCommitments  = commitmentsTable.selectWhere("tenant = ? AND id > ? ORDER BY id LIMIT ?")

	// mergeContacts moves what belongs to one contact to another, in
	// this order, the first contact's row last: each with the arguments
	// (into, tenant, from), the last with (tenant, from).
	mergeContacts = []string{
		"UPDATE " + contactKeysTable.name + " SET contact_id = ? WHERE tenant = ? AND contact_id = ?",
		"UPDATE " + donationsTable.name + " SET contact_id = ? WHERE tenant = ? AND contact_id = ?",
		"UPDATE " + commitmentsTable.name + " SET contact_id = ? WHERE tenant = ? AND contact_id = ?",
		"UPDATE " + activitiesTable.name + " SET contact_id = ? WHERE tenant = ? AND contact_id = ?",
	}
	deleteContact = "DELETE FROM " + contactsTable.name + " WHERE tenant = ? AND id = ?"
)
