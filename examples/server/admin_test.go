package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue"
)

// noRedirect is a client that shows redirects rather than following them.
func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestAdminLoginSessionAndLogout(t *testing.T) {
	setEnv(t)
	base, out, stop := start(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"))
	defer stop()
	if !strings.Contains(out.String(), "Operator pages (sign in with the admin token): "+base+"/admin/") {
		t.Errorf("the start-up text does not say where the operator pages are:\n%s", out)
	}
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	send := func(method, path string, form url.Values, header map[string]string) *http.Response {
		t.Helper()
		r, _ := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(form.Encode()))
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	if resp := send("GET", "/admin/deliveries", nil, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login" {
		t.Fatalf("without a session: %d to %q, want 303 to the login form", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := send("POST", "/admin/replay", url.Values{"status": {"dead"}}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a POST without a session: %d, want 401", resp.StatusCode)
	}
	if resp := send("GET", "/admin/", nil, map[string]string{"Authorization": "Bearer " + admin}); resp.StatusCode != http.StatusOK {
		t.Errorf("with the bearer token: %d", resp.StatusCode)
	}
	if resp := send("POST", "/admin/login", url.Values{"token": {"wrong-token"}}, nil); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("a wrong token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if resp := send("POST", "/admin/login", url.Values{"token": {admin}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site login: %d, want 403", resp.StatusCode)
	}

	resp := send("POST", "/admin/login", url.Values{"token": {admin}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	ck := resp.Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/admin/" || ck.MaxAge != 12*3600 ||
		strings.Contains(ck.Value, admin) {
		t.Errorf("the session cookie: %+v", ck)
	}
	if resp := send("GET", "/admin/deliveries", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("with the session: %d", resp.StatusCode)
	}
	if resp := send("GET", "/api/default/contacts", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the API with the session cookie only: %d, want 401 (it takes the bearer token)", resp.StatusCode)
	}

	if resp := send("POST", "/admin/logout", url.Values{}, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login" {
		t.Errorf("logout: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := send("GET", "/admin/deliveries", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d, want 303 to the login form", resp.StatusCode)
	}
	if status, _ := get(t, base+"/api/other/contacts", admin); status != http.StatusNotFound {
		t.Errorf("the API of a tenant the server does not serve: %d, want 404", status)
	}
}

func TestSessionCookieIsCheckedAndEnds(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newSessions(admin, &api{})
	s.now = func() time.Time { return now }
	with := func(value string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "/admin/", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
		return r
	}
	good := s.value(now.Add(time.Hour).Unix())
	exp, mac, _ := strings.Cut(good, ".")
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{good, true},
		{s.value(now.Unix()), false},                       // ended
		{"9999999999." + mac, false},                       // a later expiry, the same MAC
		{exp + "." + strings.Repeat("A", len(mac)), false}, // a forged MAC
		{exp, false},
		{"", false},
		{newSessions("another-admin-token-0123456789", &api{}).value(now.Add(time.Hour).Unix()), false}, // another token's
	} {
		if got := s.valid(with(tc.value)); got != tc.want {
			t.Errorf("valid(%q) = %v, want %v", tc.value, got, tc.want)
		}
	}
	now = now.Add(2 * time.Hour)
	if s.valid(with(good)) {
		t.Error("a session is valid after its end")
	}
}

func TestAdminPagesCountRefusedWebhooks(t *testing.T) {
	setEnv(t)
	base, _, stop := start(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"))
	defer stop()
	bad, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: "WrongPasswordWrongPassword"}, []byte("{}"))
	if status, _ := do(t, bad); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", status)
	}
	status, page := get(t, base+"/admin/", admin)
	if status != http.StatusOK || !strings.Contains(page, "401 wrong credential (refused)") ||
		!strings.Contains(page, "No actblue delivery received yet for tenant default.") {
		t.Errorf("the overview: %d\n%s", status, page)
	}
}
