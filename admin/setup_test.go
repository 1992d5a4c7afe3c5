package admin_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/admin"
	"github.com/donorsync/donorsync/memstore"
)

const (
	tenant  = "acme"
	abUser  = "acme-000001"
	abPass  = "ExamplePasswordExample12"
	anToken = "ExampleTokenExampleToken12"
)

// clock is a fake clock that tests move forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a store, an Ingester and the admin Handler over them, mounted
// at /admin/ as an embedder would, with a fake clock.
type env struct {
	t        *testing.T
	clock    *clock
	store    donorsync.Store
	ingester *donorsync.Ingester
	actblue  donorsync.Source
	an       donorsync.Source
	recent   *admin.Recent
	admin    *admin.Handler
	mux      *http.ServeMux
	logs     *bytes.Buffer
}

var start = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{now: start}, store: memstore.New(), logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(&syncWriter{w: e.logs}, nil))
	e.recent = &admin.Recent{Now: e.clock.Now}
	e.ingester = &donorsync.Ingester{Store: e.store, Now: e.clock.Now, Logger: logger, Observer: e.recent}
	auth, err := actblue.NewAuthenticator(actblue.Credential{Tenant: tenant, Username: abUser, Password: abPass})
	if err != nil {
		t.Fatal(err)
	}
	if e.actblue, err = actblue.NewSource(auth, actblue.Options{}); err != nil {
		t.Fatal(err)
	}
	anAuth, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: tenant, Token: anToken})
	if err != nil {
		t.Fatal(err)
	}
	if e.an, err = actionnetwork.NewSource(anAuth, actionnetwork.Options{}); err != nil {
		t.Fatal(err)
	}
	e.admin = &admin.Handler{
		Ingester: e.ingester, Sources: []donorsync.Source{e.actblue, e.an}, Recent: e.recent,
		Now: e.clock.Now, Logger: logger,
	}
	e.mux = http.NewServeMux()
	e.mux.Handle("/admin/", http.StripPrefix("/admin", e.admin))
	e.mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{Source: e.actblue, Ingester: e.ingester, Logger: logger})
	return e
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receive journals and applies a delivery of src, received now.
func (e *env) receive(src donorsync.Source, kind string, body []byte) *donorsync.Delivery {
	e.t.Helper()
	d := &donorsync.Delivery{Tenant: tenant, Kind: kind, Body: body}
	if err := e.ingester.Receive(e.t.Context(), src, d); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// journal records d as it is (its status included), received now.
func (e *env) journal(d *donorsync.Delivery) *donorsync.Delivery {
	e.t.Helper()
	if d.ID == "" {
		d.ID = donorsync.NewID("dl")
	}
	if d.Tenant == "" {
		d.Tenant = tenant
	}
	d.ReceivedAt, d.UpdatedAt = e.clock.Now(), e.clock.Now()
	if err := e.store.Update(e.t.Context(), func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(e.t.Context(), d)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// dead journals the ActBlue contribution fixture as Dead, under key.
func (e *env) dead(key string) *donorsync.Delivery {
	return e.journal(&donorsync.Delivery{
		Provider: actblue.Provider, Key: key, Body: fixture(e.t, "actblue/testdata/contribution.json"),
		Status: donorsync.Dead, Attempts: 8, Error: "store unavailable",
		History: []donorsync.Attempt{{At: time.Date(2025, 3, 10, 15, 0, 0, 0, time.UTC), Status: donorsync.Failed, Error: "connection reset"}},
	})
}

// reportRow returns the delivery of the first row of an ActBlue report.
func reportRow(t *testing.T, typ reports.Type, path string) *donorsync.Delivery {
	t.Helper()
	for row, err := range reports.Read(bytes.NewReader(fixture(t, path))) {
		if err != nil {
			t.Fatal(err)
		}
		d, err := actblue.ReportDelivery(tenant, typ, &row)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Fatal("no row")
	return nil
}

// do serves a request to the mux and returns the answer.
func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	return w
}

// get GETs path and wants status.
func (e *env) get(path string, status int) string {
	e.t.Helper()
	w := e.do(httptest.NewRequest(http.MethodGet, path, nil))
	if w.Code != status {
		e.t.Fatalf("GET %s: %d, want %d: %s", path, w.Code, status, w.Body.String())
	}
	return w.Body.String()
}

// post POSTs a form to path as a same-origin browser does.
func (e *env) post(path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", "http://example.com")
	return e.do(r)
}

// status reads a delivery's status from the store.
func (e *env) status(id string) donorsync.DeliveryStatus {
	e.t.Helper()
	var d *donorsync.Delivery
	if err := e.store.View(context.Background(), func(tx donorsync.Tx) error {
		var err error
		d, err = tx.Delivery(context.Background(), tenant, id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return d.Status
}

// wantAll fails unless s holds every one of subs.
func wantAll(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// wantNone fails if s holds any of subs.
func wantNone(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s holds %q:\n%s", what, sub, s)
		}
	}
}
