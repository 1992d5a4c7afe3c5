package admin_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reports"
)

func TestDeliveryPageShowsEventsAndRecords(t *testing.T) {
	e := newEnv(t)
	d := e.receive(e.actblue, "", fixture(t, "actblue/testdata/contribution.json"))
	e.receive(e.actblue, "", fixture(t, "actblue/testdata/refund.json"))
	page := e.get("/admin/deliveries/acme/"+d.ID, http.StatusOK)
	wantAll(t, "the page", page,
		"<title>Delivery "+d.ID+" · donorsync</title>",
		`<dd class="st-processed" id="status">processed</dd>`,
		"<dt>Key</dt><dd><code>contribution:99999999</code>",
		// The decoded event.
		"<dt>Name</dt><dd>Peter  Gibbons </dd>", "peter.gibbons@initech.example<br>", "&#43;15897427087<br>",
		"<dt>External id</dt><dd>99999999</dd>", "<dt>Amount</dt><dd>50.00 USD</dd>", "<dt>Order</dt><dd>AB1234567</dd>",
		// The records: the contact, the donation with the refund that followed.
		`<li>Contact <a href="../../contacts/acme/ct_`,
		`<span class="st-refunded">refunded</span>, 50.00 refunded, last from delivery dl_`,
		"<li>Adjustment of 99999999: refund",
		// The body, hidden; Replay.
		`<a href="?body=1#body">Show the body</a>`,
		`<form method="post" action="./`+d.ID+`/replay">`,
	)
	wantNone(t, "the page", page, "<pre>", "Not in the store")
}

func TestDeliveryPageOfAnUnappliedOrUndecodableDelivery(t *testing.T) {
	e := newEnv(t)
	dead := e.dead("k1")
	page := e.get("/admin/deliveries/acme/"+dead.ID, http.StatusOK)
	wantAll(t, "a dead delivery", page, `id="status">dead</dd>`, "<dt>Attempts</dt><dd>8</dd>",
		"<h2>Earlier attempts</h2>", `<span class="st-failed">failed</span>: connection reset</li>`,
		"<li>Not in the store: donation 99999999</li>", "<li>Not in the store: contact</li>", "(decoding now gives <code>contribution:99999999</code>)")

	bad := e.receive(e.actblue, "", []byte(`{"donor": 7}`))
	page = e.get("/admin/deliveries/acme/"+bad.ID, http.StatusOK)
	wantAll(t, "a quarantined delivery", page, `id="status">quarantined</dd>`, `<p class="st-quarantined">It does not decode: `)

	other := e.journal(&donorsync.Delivery{Provider: "anedot", Key: "k", Body: []byte(`{}`), Status: donorsync.Dead})
	page = e.get("/admin/deliveries/acme/"+other.ID, http.StatusOK)
	wantAll(t, "a delivery without a source", page, "No source decodes anedot deliveries here")
	wantNone(t, "a delivery without a source", page, "<button type=\"submit\">Replay</button>")

	e.get("/admin/deliveries/acme/dl_nope", http.StatusNotFound)
}

// personalData are values of the contribution fixture that masking hides.
var personalData = []string{
	"Peter.Gibbons@Initech.example", "PETER", "GIBBONS", "4120 Freidrich Lane", "Austin", "787441234",
	"(589) 742-7087", "Initech", "Software Engineer", "finance@gibbons.example", "10/2021",
}

// body returns the body a delivery's page shows, unescaped.
func body(t *testing.T, page string) string {
	t.Helper()
	_, after, ok := strings.Cut(page, "<pre>")
	b, _, ok2 := strings.Cut(after, "</pre>")
	if !ok || !ok2 {
		t.Fatalf("the page shows no body:\n%s", page)
	}
	return html.UnescapeString(b)
}

func TestBodyIsMaskedUntilAskedTwice(t *testing.T) {
	e := newEnv(t)
	d := e.receive(e.actblue, "", fixture(t, "actblue/testdata/contribution.json"))
	path := "/admin/deliveries/acme/" + d.ID

	page := e.get(path, http.StatusOK)
	wantNone(t, "the page without ?body=1", page, "<pre>")

	page = body(t, e.get(path+"?body=1", http.StatusOK))
	wantAll(t, "the masked body", page, `"email": "•••"`, `"firstname": "•••"`, `"zip": "•••"`,
		`"employerData": {`, `"employer": "•••"`,
		`"orderNumber": "AB1234567"`, `"amount": "50.0"`, `"committeeName": "Peter Gibbons for Congress"`,
		`"isEligibleForExpressLane": true`, `"retryUrl": null`)
	wantNone(t, "the masked body", page, personalData...)
	if strings.Contains(e.logs.String(), "unmasked body shown") {
		t.Error("a masked body was logged as shown unmasked")
	}

	page = e.get(path+"?body=1&unmask=1", http.StatusOK)
	wantAll(t, "the unmasked page", page, "Unmasked: this shows the donor")
	if got := body(t, page); got != string(d.Body) {
		t.Errorf("the unmasked body is\n%s\nwant\n%s", got, d.Body)
	}
	wantAll(t, "the log", e.logs.String(), "unmasked body shown", "delivery_id="+d.ID)
}

func TestReportBodyIsMasked(t *testing.T) {
	e := newEnv(t)
	row := reportRow(t, reports.Paid, "actblue/testdata/report_paid_contributions.csv")
	d := e.receive(e.actblue, row.Kind, row.Body)
	page := body(t, e.get("/admin/deliveries/acme/"+d.ID+"?body=1", http.StatusOK))
	wantAll(t, "the masked row", page, "Donor First Name", "Donor ID", "AB1234567", "99999999", ",D1,•••,•••,•••,", "50.00")
	wantNone(t, "the masked row", page, "Gibbons,4120", "peter.gibbons@initech.example", "78744-1234", "Initech", "(589) 742-7087", "Keep it up")
}

func TestUnmaskableBodyIsWithheld(t *testing.T) {
	e := newEnv(t)
	d := e.receive(e.actblue, "", []byte("email=peter@example.org&name=Peter"))
	page := e.get("/admin/deliveries/acme/"+d.ID+"?body=1", http.StatusOK)
	wantAll(t, "the page", page, "Not shown: the body cannot be masked")
	wantNone(t, "the page", page, "peter@example.org")
	if got := body(t, e.get("/admin/deliveries/acme/"+d.ID+"?body=1&unmask=1", http.StatusOK)); got != string(d.Body) {
		t.Errorf("the unmasked body is %s", got)
	}
}

func TestDeliveryAPIBody(t *testing.T) {
	e := newEnv(t)
	d := e.receive(e.actblue, "", fixture(t, "actblue/testdata/contribution.json"))
	var got struct {
		ID, Key, Status, Kind string
		Body                  *string
		BodyMasked            bool `json:"body_masked"`
	}
	read := func(query string) {
		t.Helper()
		got.Body, got.BodyMasked = nil, false
		if err := json.Unmarshal([]byte(e.get("/admin/api/acme/deliveries/"+d.ID+query, http.StatusOK)), &got); err != nil {
			t.Fatal(err)
		}
	}
	read("")
	if got.ID != d.ID || got.Key != "contribution:99999999" || got.Status != "processed" || got.Body != nil {
		t.Errorf("without ?body=1: %+v", got)
	}
	read("?body=1")
	if got.Body == nil || !got.BodyMasked || !strings.Contains(*got.Body, `"email": "•••"`) || strings.Contains(*got.Body, "Initech") {
		t.Errorf("?body=1: %+v", got)
	}
	read("?body=1&unmask=1")
	if got.Body == nil || got.BodyMasked || *got.Body != string(d.Body) {
		t.Errorf("?body=1&unmask=1: %+v", got)
	}
}

func TestReplayFromThePage(t *testing.T) {
	e := newEnv(t)
	d := e.dead("k1")
	w := e.post("/admin/deliveries/acme/"+d.ID+"/replay", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "../"+d.ID+"?replayed=1" {
		t.Fatalf("replay: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	if got := e.status(d.ID); got != donorsync.Processed {
		t.Fatalf("after the replay the delivery is %s", got)
	}
	page := e.get("/admin/deliveries/acme/"+d.ID+"?replayed=1", http.StatusOK)
	wantAll(t, "the page", page, "Replayed: the delivery is now <strong>processed</strong>.", `<li>Contact <a href=`)
	wantAll(t, "the log", e.logs.String(), "admin: delivery replayed", "was=dead", "status=processed")
}

func TestReplayAll(t *testing.T) {
	e := newEnv(t)
	old := e.dead("old")
	e.clock.Add(48 * time.Hour)
	fresh := e.dead("fresh")
	bad := e.receive(e.actblue, "", []byte(`{"donor": 7}`))

	w := e.post("/admin/replay", url.Values{"tenant": {tenant}, "status": {"dead"}, "since": {"24h"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "deliveries?replayed=1&since=24h&status=dead&tenant=acme" {
		t.Fatalf("replay all: %d, Location %q: %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if e.status(fresh.ID) != donorsync.Processed || e.status(old.ID) != donorsync.Dead || e.status(bad.ID) != donorsync.Quarantined {
		t.Errorf("after replaying the dead of 24h: fresh %s, old %s, quarantined %s", e.status(fresh.ID), e.status(old.ID), e.status(bad.ID))
	}
	page := e.get("/admin/deliveries?replayed=1&since=24h&status=dead&tenant=acme", http.StatusOK)
	wantAll(t, "the page", page, "Replayed 1 deliveries.", "No delivery matches.")

	// The API, since the start: the old one too.
	r := e.post("/admin/api/acme/replay?status=dead&since=all", nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"replayed": 1`) || e.status(old.ID) != donorsync.Processed {
		t.Errorf("POST /api/acme/replay: %d %s; the old one is %s", r.Code, r.Body, e.status(old.ID))
	}
	for _, form := range []url.Values{
		{"tenant": {tenant}, "status": {"processed"}},
		{"tenant": {tenant}, "status": {""}},
		{"tenant": {tenant}, "status": {"dead"}, "since": {"later"}},
		{"tenant": {tenant}, "status": {"dead"}, "provider": {"anedot"}},
	} {
		if w := e.post("/admin/replay", form); w.Code != http.StatusBadRequest {
			t.Errorf("replay all %v: %d, want 400", form, w.Code)
		}
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	e := newEnv(t)
	d := e.dead("k1")
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site, another origin", map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"another origin", map[string]string{"Origin": "https://evil.example"}},
	} {
		for _, path := range []string{"/admin/deliveries/acme/" + d.ID + "/replay", "/admin/replay", "/admin/api/acme/deliveries/" + d.ID + "/replay"} {
			r, _ := http.NewRequest(http.MethodPost, "http://example.com"+path, strings.NewReader("tenant=acme&status=dead"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if w := e.do(r); w.Code != http.StatusForbidden {
				t.Errorf("%s to %s: %d, want 403", tc.name, path, w.Code)
			}
		}
	}
	if got := e.status(d.ID); got != donorsync.Dead {
		t.Errorf("a refused replay changed the delivery to %s", got)
	}
	// A client that sends neither header (curl, a script) passes.
	r, _ := http.NewRequest(http.MethodPost, "http://example.com/admin/api/acme/deliveries/"+d.ID+"/replay", nil)
	if w := e.do(r); w.Code != http.StatusOK || e.status(d.ID) != donorsync.Processed {
		t.Errorf("an API client's replay: %d %s", w.Code, w.Body)
	}
	// GETs change nothing and pass from anywhere.
	r, _ = http.NewRequest(http.MethodGet, "http://example.com/admin/", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := e.do(r); w.Code != http.StatusOK {
		t.Errorf("a cross-site GET: %d", w.Code)
	}
}

// A delivery's earlier attempts are in the API.
func TestDeliveryAPIHistory(t *testing.T) {
	e := newEnv(t)
	d := e.dead("k1")
	var got struct {
		History []struct{ At, Status, Error string }
	}
	if err := json.Unmarshal([]byte(e.get("/admin/api/acme/deliveries/"+d.ID, http.StatusOK)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 1 || got.History[0].Status != "failed" || got.History[0].Error != "connection reset" || got.History[0].At != "2025-03-10T15:00:00Z" {
		t.Errorf("history = %+v, want the failure before the delivery died", got.History)
	}
}
