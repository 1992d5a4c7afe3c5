package admin_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// contactID returns the id of the contact with the email, through the
// API.
func (e *env) contactID(email string) string {
	e.t.Helper()
	var l struct {
		Items []struct {
			ID     string   `json:"id"`
			Emails []string `json:"emails"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(e.get("/admin/api/acme/contacts", http.StatusOK)), &l); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range l.Items {
		for _, m := range c.Emails {
			if m == email {
				return c.ID
			}
		}
	}
	e.t.Fatalf("no contact with email %s", email)
	return ""
}

func TestContactPage(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"contribution", "refund", "recurring", "cancellation"} {
		e.receive(e.actblue, "", fixture(t, "actblue/testdata/"+f+".json"))
	}
	e.receive(e.an, "", fixture(t, "actionnetwork/testdata/signature.json"))

	peter := e.get("/admin/contacts/acme/"+e.contactID("peter.gibbons@initech.example"), http.StatusOK)
	wantAll(t, "Peter's page", peter,
		"peter.gibbons@initech.example (primary)<br>", "&#43;15897427087 (as received: (589) 742-7087 x5082)",
		"4120 Freidrich Lane", "Initech, Software Engineer", "actblue<br>",
		"<td>actblue</td><td>99999999<br><span class=\"note\">order AB1234567</span></td>",
		`<td class="n">50.00 USD</td><td class="st-refunded">refunded</td><td class="n">50.00</td>`,
		"<td>refund 50.00 2019-06-20 14:00:00 UTC<br></td>",
		`<tr><td colspan="7">None found.</td></tr>`, // no commitment
		`<tr><td colspan="5">None.</td></tr>`,       // no activity
	)
	wantNone(t, "Peter's page", peter, "Samir", "45000003")

	samir := e.get("/admin/contacts/acme/"+e.contactID("samir@example.org"), http.StatusOK)
	wantAll(t, "Samir's page", samir, "45000003", "45000001",
		"<td>actblue</td><td>AB3000001</td><td class=\"n\">15.00 USD monthly</td><td>cancelled</td>")

	john := e.get("/admin/contacts/acme/"+e.contactID("jsmith@mail.com"), http.StatusOK)
	wantAll(t, "John's page", john, "<td>actionnetwork</td><td>osdi:signature</td>", `<td colspan="8">None found.</td>`)

	var got struct {
		ID         string `json:"id"`
		Activities []struct {
			Type string `json:"type"`
		} `json:"activities"`
	}
	if err := json.Unmarshal([]byte(e.get("/admin/api/acme/contacts/"+e.contactID("jsmith@mail.com"), http.StatusOK)), &got); err != nil ||
		len(got.Activities) != 1 || got.Activities[0].Type != "osdi:signature" {
		t.Errorf("GET /api/acme/contacts/ID: %+v %v", got, err)
	}
	e.get("/admin/contacts/acme/ct_nope", http.StatusNotFound)
	e.get("/admin/api/acme/contacts/ct_nope", http.StatusNotFound)
}

func TestContactPageSaysWhenItStoppedScanning(t *testing.T) {
	e := newEnv(t)
	e.receive(e.actblue, "", fixture(t, "actblue/testdata/recurring.json"))
	e.receive(e.actblue, "", fixture(t, "actblue/testdata/cancellation.json"))
	id := e.contactID("samir@example.org")
	e.admin.MaxScan = 1
	page := e.get("/admin/contacts/acme/"+id, http.StatusOK)
	wantAll(t, "the page", page, "so some may be missing")
	e.admin.MaxScan = 0
	wantNone(t, "the page", e.get("/admin/contacts/acme/"+id, http.StatusOK), "so some may be missing")
}
