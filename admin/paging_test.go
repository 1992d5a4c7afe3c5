package admin_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
)

// journalNumbered journals n deliveries of provider and kind, an hour
// apart, with ids and keys numbered from first: ids sort in the order
// they are journaled.
func journalNumbered(e *env, first, n int, provider, kind string) {
	for i := first; i < first+n; i++ {
		e.journal(&donorsync.Delivery{ID: fmt.Sprintf("dl_%04d", i), Provider: provider, Kind: kind,
			Key: fmt.Sprintf("k%d", i), Body: []byte(`{}`), Status: donorsync.Processed})
		e.clock.Add(time.Hour)
	}
}

func TestDeliveriesFilterFarApart(t *testing.T) {
	e := newEnv(t)
	e.admin.MaxScan = 10 // bounds a contact's scan; a listing of deliveries reads what the store selects
	journalNumbered(e, 0, 1, "actionnetwork", "")
	journalNumbered(e, 1, 300, "actblue", "report:paid_contributions")
	journalNumbered(e, 301, 1, "actionnetwork", "")
	journalNumbered(e, 302, 1, "actblue", "")
	for _, tc := range []struct{ query, want, next string }{
		{"provider=actionnetwork&limit=5", "k0,k301", "dl_0301"},
		{"provider=actionnetwork&order=newest", "k301,k0", "dl_0000"},
		{"provider=actionnetwork&order=newest&after=dl_0301", "k0", "dl_0000"},
		{"provider=actionnetwork&order=newest&after=dl_0000", "", ""},
		{"kind=-&provider=actblue", "k302", "dl_0302"},
		{"kind=-&order=newest&limit=2", "k302,k301", "dl_0301"},
		{"kind=report:*&order=newest&limit=1", "k300", "dl_0300"},
	} {
		l := e.list("/admin/api/acme/deliveries?" + tc.query)
		if got := l.keys(); got != tc.want || l.Next != tc.next {
			t.Errorf("?%s: %s next %q, want %s next %q", tc.query, got, l.Next, tc.want, tc.next)
		}
	}
	if n := len(e.list("/admin/api/acme/deliveries?kind=report:*&limit=1000").Items); n != 300 {
		t.Errorf("?kind=report:*: %d items, want 300", n)
	}
	page := e.get("/admin/deliveries?provider=actionnetwork&since=all", http.StatusOK)
	if got := pageKeys(page); got != "k301,k0" {
		t.Errorf("the page of Action Network deliveries lists %s, want k301,k0", got)
	}
	wantNone(t, "the page", page, `rel="next"`, `rel="prev"`, "Read ")
	e.get("/admin/api/acme/deliveries?order=sideways", http.StatusBadRequest)
}

// pageKeys are the keys of the deliveries a page lists, in order.
func pageKeys(page string) string {
	var keys []string
	for _, m := range regexp.MustCompile(`<code>(k\d+)</code>`).FindAllStringSubmatch(page, -1) {
		keys = append(keys, m[1])
	}
	return strings.Join(keys, ",")
}

// pageLink is the query of a page's link rel, empty when it has none.
func pageLink(page, rel string) url.Values {
	m := regexp.MustCompile(`href="\./deliveries\?([^"]*)" rel="` + rel + `"`).FindStringSubmatch(page)
	if m == nil {
		return url.Values{}
	}
	v, _ := url.ParseQuery(html.UnescapeString(m[1]))
	return v
}

func TestDeliveriesPageNewestFirst(t *testing.T) {
	e := newEnv(t)
	journalNumbered(e, 1, 5, "actblue", "")
	// Each step follows the link the page before gave, older then newer.
	steps := []struct{ rel, keys, prev, next string }{
		{"", "k5,k4", "", "dl_0004"},
		{"next", "k3,k2", "dl_0003", "dl_0002"},
		{"next", "k1", "dl_0001", ""},
		{"prev", "k3,k2", "dl_0003", "dl_0002"},
		{"prev", "k5,k4", "", "dl_0004"},
	}
	page := e.get("/admin/deliveries?limit=2", http.StatusOK)
	wantAll(t, "the first page", page, "newest first", `<option value="newest" selected>`)
	wantNone(t, "the first page", page, ">Newest</a>")
	for i, s := range steps {
		if s.rel != "" {
			page = e.get("/admin/deliveries?"+pageLink(page, s.rel).Encode(), http.StatusOK)
			wantAll(t, fmt.Sprintf("page %d", i), page, ">Newest</a>")
		}
		if got := pageKeys(page); got != s.keys {
			t.Fatalf("page %d lists %s, want %s", i, got, s.keys)
		}
		prev, next := pageLink(page, "prev"), pageLink(page, "next")
		if prev.Get("before") != s.prev || next.Get("after") != s.next {
			t.Errorf("page %d links to %q (newer) and %q (older), want before=%s and after=%s", i, prev, next, s.prev, s.next)
		}
		if s.next != "" && (next.Get("order") != "newest" || next.Get("limit") != "2") {
			t.Errorf("page %d: the link %q does not keep the order and limit", i, next)
		}
	}
	page = e.get("/admin/deliveries?limit=2&order=oldest", http.StatusOK)
	if got := pageKeys(page); got != "k1,k2" || !strings.Contains(page, "oldest first") {
		t.Errorf("oldest first: %s", got)
	}
	e.get("/admin/deliveries?after=dl_0002&before=dl_0004", http.StatusBadRequest)
	e.get("/admin/deliveries?order=up", http.StatusBadRequest)
}
