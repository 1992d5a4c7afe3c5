package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// TestMigrationToRowidTables opens a database at schema version 003, whose
// records live in WITHOUT ROWID tables, and checks that every record
// reads back the same after Open has moved them to rowid tables (and
// the later migrations have run).
func TestMigrationToRowidTables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "donorsync.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE donorsync_migrations (version TEXT PRIMARY KEY)`)
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	for _, f := range files {
		version := strings.TrimSuffix(filepath.Base(f), ".sql")
		if version >= "004" {
			break
		}
		ddl, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(ddl))
		exec(`INSERT INTO donorsync_migrations (version) VALUES (?)`, version)
	}

	// The records as the version at 003 wrote them: JSON with Go names.
	at := time.Date(2024, 6, 7, 19, 49, 33, 0, time.UTC)
	c := contact.Contact{ID: "ct_1", Tenant: "t1", FirstName: "Peter", LastName: "Gibbons", Email: "peter@initech.example",
		Emails: []string{"peter@initech.example"}, Seen: map[string]time.Time{contact.FieldEmail: at}, CreatedAt: at, UpdatedAt: at}
	d := donation.Donation{ID: "dn_1", Tenant: "t1", Provider: "actblue", ExternalID: "li-1", ContactID: "ct_1",
		Amount: decimal.RequireFromString("50.00"), Currency: "USD", PaidAt: at, Status: donation.Completed}
	a := donation.Adjustment{Tenant: "t1", Provider: "actblue", Key: "refund-1", DonationID: "li-1", Kind: donation.Refund,
		Amount: decimal.RequireFromString("10"), At: at}
	cm := donation.Commitment{ID: "cm_1", Tenant: "t1", Provider: "anedot", ExternalID: "sub-1", ContactID: "ct_1"}
	act := contact.Activity{Tenant: "t1", Provider: "actionnetwork", Key: "sig-1", ContactID: "ct_1", Type: "osdi:signature", At: at}
	const zero = `"0001-01-01T00:00:00Z"`
	exec(`INSERT INTO contacts (tenant, id, data) VALUES ('t1', 'ct_1', ?)`, `{"ID":"ct_1","Tenant":"t1","FirstName":"Peter",`+
		`"MiddleName":"","LastName":"Gibbons","Suffix":"","Email":"peter@initech.example","Emails":["peter@initech.example"],`+
		`"Phone":"","Phones":null,"Address":{"Line1":"","Line2":"","City":"","State":"","PostalCode":"","Country":""},`+
		`"Employer":"","Occupation":"","Custom":null,"Tags":null,"Sources":null,"Seen":{"email":"2024-06-07T19:49:33Z"},`+
		`"CreatedAt":"2024-06-07T19:49:33Z","UpdatedAt":"2024-06-07T19:49:33Z"}`)
	exec(`INSERT INTO contact_keys (tenant, kind, value, contact_id) VALUES (?, ?, ?, ?)`, "t1", string(dedup.Email), c.Email, c.ID)
	exec(`INSERT INTO donations (tenant, provider, external_id, id, contact_id, data) VALUES ('t1', 'actblue', 'li-1', 'dn_1', 'ct_1', ?)`,
		`{"ID":"dn_1","Tenant":"t1","Provider":"actblue","ExternalID":"li-1","ContactID":"ct_1","OrderNumber":"","Amount":"50",`+
			`"Currency":"USD","Net":null,"Fees":null,"PaidAt":"2024-06-07T19:49:33Z","CreatedAt":`+zero+`,"RecipientID":"",`+
			`"RecipientName":"","FECID":"","Form":"","Fund":"","Origin":"","Refcodes":null,"Custom":null,`+
			`"Recurrence":{"Period":"","Duration":"","Sequence":0,"Valid":false},"CommitmentID":"",`+
			`"Payment":{"Method":"","Reference":"","PayPal":false,"Mobile":false,"Express":false,"ExpressLn":false},`+
			`"PlatformStatus":"","Status":"completed","Refunded":"0","SettledAt":`+zero+`,"DeliveryID":"",`+
			`"SourceTime":`+zero+`,"UpdatedAt":`+zero+`}`)
	exec(`INSERT INTO adjustments (tenant, provider, key, donation_id, data) VALUES ('t1', 'actblue', 'refund-1', 'li-1', ?)`,
		`{"Tenant":"t1","Provider":"actblue","Key":"refund-1","DonationID":"li-1","Kind":"refund","Amount":"10",`+
			`"At":"2024-06-07T19:49:33Z","DeliveryID":""}`)
	exec(`INSERT INTO commitments (tenant, provider, external_id, id, contact_id, data) VALUES ('t1', 'anedot', 'sub-1', 'cm_1', 'ct_1', ?)`,
		`{"ID":"cm_1","Tenant":"t1","Provider":"anedot","ExternalID":"sub-1","ContactID":"ct_1","Period":"","Amount":"0",`+
			`"Currency":"","StartedAt":`+zero+`,"CancelledAt":`+zero+`,"FailedAt":`+zero+`,"LastChargedAt":`+zero+`,`+
			`"Completed":0,"Pledged":0,"CancelReason":"","CancelledBy":"","FailReason":"","Status":"","SourceTime":`+zero+`,`+
			`"UpdatedAt":`+zero+`}`)
	exec(`INSERT INTO activities (tenant, provider, key, contact_id, data) VALUES ('t1', 'actionnetwork', 'sig-1', 'ct_1', ?)`,
		`{"Tenant":"t1","Provider":"actionnetwork","Key":"sig-1","ContactID":"ct_1","Type":"osdi:signature","Action":"",`+
			`"At":"2024-06-07T19:49:33Z","DeliveryID":""}`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, path, nil)
	ctx := t.Context()
	err = s.View(ctx, func(tx donorsync.Tx) error {
		got, err := tx.ContactByKey(ctx, "t1", dedup.Key{Kind: dedup.Email, Value: c.Email})
		if err != nil {
			return err
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("contact (-before +after):\n%s", diff)
		}
		gotD, err := tx.Donation(ctx, "t1", "actblue", "li-1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(d, gotD); diff != "" {
			t.Errorf("donation (-before +after):\n%s", diff)
		}
		gotA, err := tx.Adjustments(ctx, "t1", "actblue", "li-1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]donation.Adjustment{a}, gotA); diff != "" {
			t.Errorf("adjustments (-before +after):\n%s", diff)
		}
		gotC, err := tx.Commitment(ctx, "t1", "anedot", "sub-1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(cm, gotC); diff != "" {
			t.Errorf("commitment (-before +after):\n%s", diff)
		}
		gotAct, err := tx.Activities(ctx, "t1", "ct_1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]contact.Activity{act}, gotAct); diff != "" {
			t.Errorf("activities (-before +after):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The records are in rowid tables now, with their indexes.
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"contacts", "donations", "adjustments", "commitments", "activities"} {
		var ddl string
		if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if strings.Contains(ddl, "WITHOUT ROWID") {
			t.Errorf("%s is still WITHOUT ROWID: %s", table, ddl)
		}
	}
	var indexes []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		indexes = append(indexes, n)
	}
	want := []string{"activities_contact", "adjustments_donation", "commitments_contact", "commitments_id", "contact_keys_contact",
		"deliveries_key", "deliveries_queue", "deliveries_received", "deliveries_status", "deliveries_tenant_queue", "donations_contact", "donations_id"}
	if diff := cmp.Diff(want, indexes); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}
}
