package admin_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
)

func TestGlanceCountsAndHighlights(t *testing.T) {
	e := newEnv(t)
	e.receive(e.actblue, "", fixture(t, "actblue/testdata/contribution.json"))
	e.receive(e.actblue, "", []byte(`{"donor": {`)) // quarantined
	e.dead("dead-1")
	e.clock.Add(30 * time.Hour) // ActBlue has been quiet since
	e.receive(e.an, "", fixture(t, "actionnetwork/testdata/signature.json"))

	page := e.get("/admin/", http.StatusOK)
	wantAll(t, "the page", page,
		"Tenant acme",
		"No actblue delivery for tenant acme for 30 h 0 min (the last at 2025-03-10 12:00:00 UTC).",
		"Tenant acme has dead deliveries older than 24 hours.",
		"Tenant acme has quarantined deliveries older than 24 hours.",
		`<time datetime="2025-03-11T18:00:00Z">2025-03-11 18:00:00 UTC</time>`, // Action Network's last
		"30 h 0 min ago (quiet)",
	)
	wantNone(t, "the page", page, "No actionnetwork delivery")

	// Within the last 24 hours, counts and links by status.
	e.dead("dead-2")
	page = e.get("/admin/", http.StatusOK)
	wantAll(t, "the page", page,
		"1 dead delivery in the last 24 hours for tenant acme.",
		`href="./deliveries?since=24h&amp;status=dead&amp;tenant=acme">1</a>`,
		`href="./deliveries?since=24h&amp;status=processed&amp;tenant=acme">1</a>`,
	)
}

func TestGlanceBacklog(t *testing.T) {
	e := newEnv(t)
	d := &donorsync.Delivery{Tenant: tenant, Body: fixture(t, "actblue/testdata/contribution.json")}
	if err := e.ingester.Enqueue(context.Background(), e.actblue, d); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(90 * time.Minute)
	page := e.get("/admin/", http.StatusOK)
	wantAll(t, "the page", page,
		"Backlog: <strong>1</strong> to apply (1 pending, 0 failed, to be retried); the oldest received 1 h 30 min ago",
		"1 deliveries of tenant acme wait to be applied; the oldest for 1 h 30 min.",
	)
}

func TestGlanceRejectedRequestsByCause(t *testing.T) {
	e := newEnv(t)
	body := fixture(t, "actblue/testdata/contribution.json")
	send := func(user, pass, path string) int {
		r, err := actblue.NewRequest(context.Background(), "http://example.com"+path, actblue.Credential{Username: user, Password: pass}, body)
		if err != nil {
			t.Fatal(err)
		}
		return e.do(r).Code
	}
	for range 3 {
		send(abUser, "WrongPasswordWrongPassword", "/webhooks/actblue/acme")
	}
	send(abUser, abPass, "/webhooks/actblue/nobody")
	if got := send(abUser, abPass, "/webhooks/actblue/acme"); got != http.StatusOK {
		t.Fatalf("a good delivery: %d", got)
	}
	page := e.get("/admin/", http.StatusOK)
	wantAll(t, "the page", page,
		"<td>actblue</td><td>200 processed</td>",
		`<td class="st-failed">401 wrong credential (refused)</td><td class="n">3</td>`,
		"3 actblue requests refused with a wrong credential since",
		"1 actblue request named an unknown tenant since",
		"<td>actblue</td><td class=\"st-processed\">processed</td><td class=\"n\">1</td>",
	)
}

func TestGlanceWithoutDeliveriesOrRecent(t *testing.T) {
	e := newEnv(t)
	e.admin.Recent = nil
	page := e.get("/admin/", http.StatusOK)
	wantAll(t, "the page", page, "No delivery has been received yet.", "Not counted: set the Handler's Recent")

	// With its tenants given, a tenant without deliveries is listed, and
	// its watched platform's silence highlighted.
	e = newEnv(t)
	e.admin.Tenants = []string{tenant}
	page = e.get("/admin/", http.StatusOK)
	wantAll(t, "the page", page, "Tenant acme", "No actblue delivery received yet for tenant acme.")
}
