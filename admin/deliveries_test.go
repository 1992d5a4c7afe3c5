package admin_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reports"
)

// listing is a JSON listing of deliveries.
type listing struct {
	Items []struct {
		ID            string `json:"id"`
		Provider      string `json:"provider"`
		Kind          string `json:"kind"`
		Key           string `json:"key"`
		Status        string `json:"status"`
		Attempts      int    `json:"attempts"`
		NextAttemptAt string `json:"next_attempt_at"`
		Error         string `json:"error"`
		ReceivedAt    string `json:"received_at"`
	} `json:"items"`
	Next string `json:"next"`
}

func (e *env) list(path string) listing {
	e.t.Helper()
	var l listing
	if err := json.Unmarshal([]byte(e.get(path, http.StatusOK)), &l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// keys are the keys of the items, in order.
func (l listing) keys() string {
	var keys []string
	for _, it := range l.Items {
		keys = append(keys, it.Key)
	}
	return strings.Join(keys, ",")
}

// set are the keys of the items, sorted: deliveries journaled within
// the same millisecond have ids in no particular order.
func (l listing) set() string {
	keys := strings.Split(l.keys(), ",")
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

func sorted(keys ...string) string {
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// journalMix journals, an hour apart: an ActBlue contribution processed,
// a report row, an Action Network signature, a dead ActBlue delivery and
// a failed one due later.
func journalMix(e *env) {
	e.receive(e.actblue, "", fixture(e.t, "actblue/testdata/contribution.json"))
	e.clock.Add(time.Hour)
	row := reportRow(e.t, reports.Paid, "actblue/testdata/report_paid_contributions.csv")
	e.receive(e.actblue, row.Kind, row.Body)
	e.clock.Add(time.Hour)
	e.receive(e.an, "", fixture(e.t, "actionnetwork/testdata/signature.json"))
	e.clock.Add(time.Hour)
	e.dead("dead-key")
	e.clock.Add(time.Hour)
	e.journal(&donorsync.Delivery{
		Provider: "actblue", Key: "failed-key", Body: []byte(`{}`), Status: donorsync.Failed, Attempts: 2,
		Error: "conflict", NextAttemptAt: e.clock.Now().Add(4 * time.Second),
	})
	e.clock.Add(time.Hour)
}

func TestDeliveriesAPIFilters(t *testing.T) {
	e := newEnv(t)
	journalMix(e)
	all := e.list("/admin/api/acme/deliveries")
	if len(all.Items) != 5 {
		t.Fatalf("%d deliveries, want 5: %+v", len(all.Items), all)
	}
	keys := map[string]string{} // by what the item is
	for _, it := range all.Items {
		keys[it.Provider+"/"+it.Kind+"/"+it.Status] = it.Key
	}
	contribution, report, signature := keys["actblue//processed"], keys["actblue/report:paid_contributions/processed"], keys["actionnetwork//processed"]
	if contribution == "" || report == "" || signature == "" {
		t.Fatalf("unexpected deliveries: %v", keys)
	}
	for _, tc := range []struct{ query, want string }{
		{"status=dead", "dead-key"},
		{"status=processed", sorted(contribution, report, signature)},
		{"provider=actionnetwork", signature},
		{"provider=actblue&status=processed", sorted(contribution, report)},
		{"kind=report:paid_contributions", report},
		{"kind=report:*", report},
		{"kind=-&provider=actblue", sorted(contribution, "dead-key", "failed-key")},
		{"since=2h", sorted("dead-key", "failed-key")},
		{"since=2025-03-10T14:00:00Z", sorted(signature, "dead-key", "failed-key")},
		{"since=1d&provider=actblue", sorted(contribution, report, "dead-key", "failed-key")},
		{"since=all&status=failed", "failed-key"},
	} {
		if got := e.list("/admin/api/acme/deliveries?" + tc.query).set(); got != tc.want {
			t.Errorf("?%s: %s, want %s", tc.query, got, tc.want)
		}
	}
	failed := e.list("/admin/api/acme/deliveries?status=failed").Items[0]
	if failed.Attempts != 2 || failed.NextAttemptAt != "2025-03-10T16:00:04Z" || failed.Error != "conflict" {
		t.Errorf("the failed delivery: %+v", failed)
	}

	// Pages, filtered and not, follow one another to the end.
	for _, filter := range []string{"", "&provider=actblue"} {
		var got []string
		after := ""
		for range 10 {
			l := e.list("/admin/api/acme/deliveries?limit=2&after=" + after + filter)
			if len(l.Items) == 0 {
				break
			}
			got = append(got, l.keys())
			after = l.Next
		}
		if joined := strings.Join(got, ","); joined != e.list("/admin/api/acme/deliveries?limit=1000"+filter).keys() {
			t.Errorf("paging%s: %s", filter, joined)
		}
	}

	for _, bad := range []string{"status=lost", "since=yesterday", "since=-3h", "limit=0", "limit=1001"} {
		body := e.get("/admin/api/acme/deliveries?"+bad, http.StatusBadRequest)
		if name, _, _ := strings.Cut(bad, "="); !strings.Contains(body, name) {
			t.Errorf("?%s: %s does not name the parameter", bad, body)
		}
	}
}

func TestDeliveriesPage(t *testing.T) {
	e := newEnv(t)
	journalMix(e)
	page := e.get("/admin/deliveries", http.StatusOK) // the last 24 hours by default
	wantAll(t, "the page", page,
		`<input id="since" name="since" value="24h"`,
		"<code>dead-key</code>", "<code>failed-key</code>", "report:paid_contributions",
		`<td class="st-dead">dead</td>`, "store unavailable",
		`<time datetime="2025-03-10T16:00:04Z">2025-03-10 16:00:04 UTC</time>`, // the failed one's next attempt
		`<a href="./deliveries/acme/`,
	)
	page = e.get("/admin/deliveries?status=dead&since=all", http.StatusOK)
	wantAll(t, "dead ones", page, "<code>dead-key</code>", `<option selected>dead</option>`)
	wantNone(t, "dead ones", page, "<code>failed-key</code>", "report:paid")

	page = e.get("/admin/deliveries?limit=2&since=all", http.StatusOK)
	if strings.Count(page, `<td class="st-`) != 2 || !strings.Contains(page, `rel="next"`) {
		t.Errorf("a page of 2 with a link to the next:\n%s", page)
	}
	e.get("/admin/deliveries?since=soon", http.StatusBadRequest)
	e.get("/admin/deliveries?tenant=other", http.StatusOK) // every tenant is served
}

func TestTenantsLimitWhatIsServed(t *testing.T) {
	e := newEnv(t)
	e.admin.Tenants = []string{tenant}
	d := e.dead("k")
	e.get("/admin/api/other/deliveries", http.StatusNotFound)
	e.get("/admin/deliveries?tenant=other", http.StatusNotFound)
	e.get("/admin/deliveries/other/"+d.ID, http.StatusNotFound)
	e.get("/admin/api/acme/deliveries/"+d.ID, http.StatusOK)
}
