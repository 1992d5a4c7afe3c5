package admin_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var linkRE = regexp.MustCompile(`(href|action)="([^"]*)"`)

// TestLinksWorkUnderAPrefix follows every link of the pages from the
// overview, as a browser resolves them under /admin/: each stays under
// the prefix and answers 200, and each form posts under it.
func TestLinksWorkUnderAPrefix(t *testing.T) {
	e := newEnv(t)
	journalMix(e)
	e.receive(e.actblue, "", fixture(t, "actblue/testdata/refund.json"))
	e.clock.Add(time.Hour)

	seen := map[string]bool{}
	queue := []string{"http://example.com/admin/", "http://example.com/admin/deliveries?limit=2&since=all"}
	pages, forms := 0, 0
	for len(queue) > 0 && pages < 200 {
		page := queue[0]
		queue = queue[1:]
		if seen[page] {
			continue
		}
		seen[page] = true
		pages++
		u, _ := url.Parse(page)
		body := e.get(u.RequestURI(), http.StatusOK)
		for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
			ref, err := u.Parse(html.UnescapeString(m[2]))
			if err != nil {
				t.Errorf("%s: %s %q: %v", page, m[1], m[2], err)
				continue
			}
			if ref.Host != "example.com" || !strings.HasPrefix(ref.Path, "/admin/") {
				t.Errorf("%s: %s %q leads out of /admin/: %s", page, m[1], m[2], ref)
				continue
			}
			if m[1] == "action" {
				forms++
				if !strings.Contains(body, `method="post" action="`+m[2]) && !strings.HasSuffix(ref.Path, "/deliveries") {
					t.Errorf("%s: a form to %s is not a POST", page, ref)
				}
				continue
			}
			ref.Fragment = ""
			queue = append(queue, ref.String())
		}
	}
	for _, want := range []string{"/admin/deliveries?", "/admin/deliveries/acme/", "/admin/contacts/acme/", "body=1", "unmask=1", "after="} {
		found := false
		for p := range seen {
			found = found || strings.Contains(p, want)
		}
		if !found {
			t.Errorf("no page followed holds %q", want)
		}
	}
	t.Logf("%d pages followed, %d forms", pages, forms)
}
