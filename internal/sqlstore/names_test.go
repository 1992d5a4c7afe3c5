package sqlstore

import (
	"slices"
	"testing"
)

func TestNamesRewrite(t *testing.T) {
	n := newNames("crm_", []string{"contacts", "contact_keys", "deliveries", "deliveries_key"})
	tests := []struct{ in, want string }{
		{`SELECT data FROM contacts WHERE tenant = ?`, `SELECT data FROM crm_contacts WHERE tenant = ?`},
		{`contacts`, `crm_contacts`},
		{`INSERT INTO contacts(tenant) VALUES (?) ON CONFLICT (tenant) DO UPDATE SET data = excluded.data`,
			`INSERT INTO crm_contacts(tenant) VALUES (?) ON CONFLICT (tenant) DO UPDATE SET data = excluded.data`},
		{`UPDATE deliveries SET x = 1 FROM v WHERE deliveries.tenant = v.column1`,
			`UPDATE crm_deliveries SET x = 1 FROM v WHERE crm_deliveries.tenant = v.column1`},
		{`SELECT k.contact_id FROM contact_keys k JOIN CONTACTS c`, `SELECT k.contact_id FROM crm_contact_keys k JOIN crm_CONTACTS c`},
		{`CREATE UNIQUE INDEX deliveries_key ON deliveries (key)`, `CREATE UNIQUE INDEX crm_deliveries_key ON crm_deliveries (key)`},
		// Left alone: literals, quoted identifiers, comments, parameters,
		// numbers, longer words and columns.
		{`SELECT 'contacts', "contacts", [contacts], ` + "`contacts`" + ` FROM x`,
			`SELECT 'contacts', "contacts", [contacts], ` + "`contacts`" + ` FROM x`},
		{`SELECT 'it''s contacts' -- contacts
			/* contacts */ FROM contacts_new, xcontacts, contacts2, :contacts, @contacts, $contacts, 1contacts`,
			`SELECT 'it''s contacts' -- contacts
			/* contacts */ FROM contacts_new, xcontacts, contacts2, :contacts, @contacts, $contacts, 1contacts`},
		{`json_set(data, '$.ContactID', ?)`, `json_set(data, '$.ContactID', ?)`},
		{`SELECT 'unterminated contacts`, `SELECT 'unterminated contacts`},
		{`SELECT x -- contacts`, `SELECT x -- contacts`},
		{`SELECT "a""contacts" FROM contacts`, `SELECT "a""contacts" FROM crm_contacts`},
	}
	for _, tt := range tests {
		if got := n.apply(tt.in); got != tt.want {
			t.Errorf("apply(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
		if got := n.apply(tt.in); got != tt.want { // kept
			t.Errorf("apply(%q) again = %q", tt.in, got)
		}
	}
}

func TestCreated(t *testing.T) {
	ddl := `-- CREATE TABLE commented (x);
CREATE TABLE deliveries (tenant TEXT, 'CREATE TABLE quoted');
CREATE UNIQUE INDEX deliveries_key ON deliveries (tenant);
create index if not exists deliveries_due on deliveries (x);
CREATE TEMP TABLE scratch (x);
CREATE VIEW v AS SELECT 1;
CREATE TRIGGER trig AFTER INSERT ON deliveries BEGIN SELECT 1; END;
ALTER TABLE contacts_new RENAME TO contacts;
ALTER TABLE contacts RENAME COLUMN a TO b;
ALTER TABLE contacts RENAME c TO d;
ALTER TABLE contacts ADD COLUMN e TEXT;`
	want := []string{"deliveries", "deliveries_key", "deliveries_due", "scratch", "v", "trig", "contacts"}
	if got := created(ddl); !slices.Equal(got, want) {
		t.Errorf("created = %q, want %q", got, want)
	}
}

func TestValidPrefix(t *testing.T) {
	for _, p := range []string{"", "crm_", "DS", "a1_"} {
		if err := validPrefix(p); err != nil {
			t.Errorf("validPrefix(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"1a", "a-b", "a b", "a.", `a"`, "sqlite_", "SQLite_x", "é"} {
		if validPrefix(p) == nil {
			t.Errorf("validPrefix(%q) = nil, want an error", p)
		}
	}
}

// benchStatements returns statements of the store as it sends them,
// built anew as each transaction builds them: a multi-row put, a journal
// insert and a read.
func benchStatements() []string {
	return []string{
		putContacts.text(85),
		insertDeliveries.text(17),
		`SELECT data FROM contacts WHERE tenant = ? AND id = ?`,
	}
}

// BenchmarkNames: what naming the tables with a prefix adds to building
// the statements of a transaction ("none"), with the texts kept
// rewritten and rewritten each time.
func BenchmarkNames(b *testing.B) {
	n := newNames("crm_", []string{"contacts", "deliveries", "contact_keys", "donations", "changes"})
	for _, bb := range []struct {
		name  string
		apply func(string) string
	}{
		{"none", func(q string) string { return q }},
		{"kept", n.apply},
		{"rewritten", n.rewrite},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, q := range benchStatements() {
					bb.apply(q)
				}
			}
		})
	}
}
