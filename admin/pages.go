package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
)

//go:embed templates/*.html templates/style.css
var templateFS embed.FS

// style is the pages' one stylesheet, inline; styleHash allows it, and
// nothing else, in the pages' Content-Security-Policy.
var style, styleHash = func() (template.CSS, string) {
	b, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		panic(err) // embedded: present at build time
	}
	sum := sha256.Sum256(b)
	return template.CSS(b), "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// pages holds each page's template, with the layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"glance", "deliveries", "delivery", "contact", "error"} {
		m[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

var funcs = template.FuncMap{
	"ago":    ago,
	"when":   when,
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"amount": amount,
	"esc":    url.PathEscape,
	"query":  query,
	"dur":    duration,
	"phones": phones,
}

// chrome is what the layout shows on every page.
type chrome struct {
	Title   string
	Base    string // relative path to the Handler's root: "./" or "../../"
	Now     time.Time
	SignOut string
	Style   template.CSS
	Section string // "glance" or "deliveries": the current item of the navigation
}

func (h *Handler) chrome(r *http.Request, title, section string) chrome {
	return chrome{Title: title, Base: base(r), Now: h.now(), SignOut: h.SignOut, Style: style, Section: section}
}

// pageRoutes routes the pages (see the package documentation).
func (h *Handler) pageRoutes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", h.page(h.glancePage))
	mux.Handle("GET /deliveries", h.page(h.deliveriesPage))
	mux.Handle("GET /deliveries/{tenant}/{id}", h.page(h.deliveryPage))
	mux.Handle("POST /deliveries/{tenant}/{id}/replay", h.page(h.replayPage))
	mux.Handle("POST /replay", h.page(h.replayAllPage))
	mux.Handle("GET /contacts/{tenant}/{contact}", h.page(h.contactPage))
}

func (h *Handler) page(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := r.PathValue("tenant"); t != "" && !h.serves(t) {
			h.failPage(w, r, donorsync.ErrNotFound)
			return
		}
		if err := f(w, r); err != nil {
			h.failPage(w, r, err)
		}
	})
}

// errorView is the page of a request that failed.
type errorView struct {
	chrome
	Status    int
	Message   string
	RequestID string
}

// failPage answers a page that could not be served, as failJSON does:
// the detail of an internal error is logged under a request id, never
// shown.
func (h *Handler) failPage(w http.ResponseWriter, r *http.Request, err error) {
	v := errorView{chrome: h.chrome(r, "", "")}
	switch {
	case errors.Is(err, donorsync.ErrNotFound):
		v.Status, v.Message = http.StatusNotFound, "Not found."
	case errors.Is(err, errBadRequest):
		v.Status, v.Message = http.StatusBadRequest, strings.TrimPrefix(err.Error(), errBadRequest.Error()+": ")
	default:
		v.Status, v.Message, v.RequestID = http.StatusInternalServerError, "Something went wrong.", h.logInternal(r, err)
	}
	v.Title = http.StatusText(v.Status)
	h.render(w, r, v.Status, "error", v)
}

// render writes the page name with v. It executes the template before
// writing anything, so that a failure is answered 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		id := h.logInternal(r, err)
		http.Error(w, "internal error; request id "+id, http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// seeOther redirects to target, a reference relative to the page asked
// for, as the browser resolves it (whatever prefix the Handler is under).
func seeOther(w http.ResponseWriter, target string) {
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// query encodes pairs of names and values as a query string, leaving out
// empty values. It is a template.URL, so that the pages write it as it is.
func query(pairs ...string) template.URL {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	return template.URL(v.Encode())
}

// when writes t in UTC to the second, or "—" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ago writes how long before now t was: "never" for the zero time.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < 0 {
		return "in " + duration(-d)
	}
	return duration(d) + " ago"
}

// duration writes d roughly: "45 s", "12 min", "3 h 20 min", "2 days 4 h".
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h " + strconv.Itoa(int(d%time.Hour/time.Minute)) + " min"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days " + strconv.Itoa(int(d%(24*time.Hour)/time.Hour)) + " h"
}
