package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sessionTTL is how long a login to the operator pages lasts.
const sessionTTL = 12 * time.Hour

// sessionCookie names the cookie of a login.
const sessionCookie = "donorsync_admin"

// sessions let an operator give the admin token once, through a form, for
// a cookie that holds an expiry and its HMAC under a key derived from the
// token: never the token itself. A new token ends every session; there is
// nothing to store.
type sessions struct {
	key []byte
	api *api // checks the token
	now func() time.Time
}

func newSessions(token string, a *api) *sessions {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("donorsync admin session"))
	return &sessions{key: mac.Sum(nil), api: a, now: time.Now}
}

// value is the cookie's value for a session that ends at expiry (Unix
// seconds): the expiry and its HMAC.
func (s *sessions) value(expiry int64) string {
	exp := strconv.FormatInt(expiry, 10)
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(exp))
	return exp + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// valid reports whether r carries the cookie of a session not yet ended.
func (s *sessions) valid(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	exp, _, _ := strings.Cut(c.Value, ".")
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || n <= s.now().Unix() {
		return false
	}
	return hmac.Equal([]byte(s.value(n)), []byte(c.Value))
}

// require serves next to a request with the admin token as a bearer
// token or a session's cookie; it sends a browser without either to the
// login form, and answers 401 to the rest.
func (s *sessions) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case s.api.bearer(r) || s.valid(r):
			next.ServeHTTP(w, r)
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
		default:
			http.Error(w, "unauthorized: sign in at /admin/login", http.StatusUnauthorized)
		}
	})
}

// routes serves the login form, the login and the logout. The POSTs
// refuse cross-origin requests, as the pages do.
func (s *sessions) routes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	mux.HandleFunc("GET /admin/login", func(w http.ResponseWriter, r *http.Request) { s.form(w, http.StatusOK, "") })
	mux.Handle("POST /admin/login", cop.Handler(http.HandlerFunc(s.login)))
	mux.Handle("POST /admin/logout", cop.Handler(http.HandlerFunc(s.logout)))
}

func (s *sessions) login(w http.ResponseWriter, r *http.Request) {
	got := sha256.Sum256([]byte(r.PostFormValue("token")))
	if subtle.ConstantTimeCompare(got[:], s.api.token[:]) != 1 {
		s.form(w, http.StatusUnauthorized, "That is not the admin token.")
		return
	}
	expiry := s.now().Add(sessionTTL)
	http.SetCookie(w, s.cookie(r, s.value(expiry.Unix()), int(sessionTTL/time.Second)))
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

func (s *sessions) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.cookie(r, "", -1))
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// cookie is the session cookie: HttpOnly, SameSite=Strict, for the
// operator pages only, and Secure when the request came over TLS.
func (s *sessions) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/admin/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · donorsync</title></head>
<body>
<main>
<h1>Sign in to donorsync</h1>
{{if .}}<p role="alert"><strong>{{.}}</strong></p>{{end}}
<form method="post" action="/admin/login">
<p><label for="token">Admin token</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required size="40"></p>
<p><button type="submit">Sign in</button></p>
</form>
<p>The admin token is printed when the server first starts, kept in its credentials file, or set by DONORSYNC_ADMIN_TOKEN.</p>
</main>
</body>
</html>
`))

// form answers the login form, with a message when not empty.
func (s *sessions) form(w http.ResponseWriter, status int, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	loginPage.Execute(w, message)
}
