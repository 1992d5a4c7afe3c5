package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// TestReadyz holds SQLite's write lock from another connection, as a
// database that cannot be written: /readyz answers 503 within its bound
// while it is held, and 200 before and after; /healthz answers 200
// throughout.
func TestReadyz(t *testing.T) {
	db := filepath.Join(t.TempDir(), "donorsync.db")
	base, _, logs, stop := startLogged(t, "-db", db)
	defer stop()
	if code, body := get(t, base+"/readyz", ""); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz: %d %q, want 200 ready", code, body)
	}
	other, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(100)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, _ := get(t, base+"/readyz", "")
	if code != http.StatusServiceUnavailable || time.Since(start) > readyTimeout+3*time.Second {
		t.Errorf("/readyz while the database cannot be written: %d after %v, want 503 within %v", code, time.Since(start), readyTimeout)
	}
	if code, _ := get(t, base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz while the database cannot be written: %d, want 200 (the process answers)", code)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	waitReady(t, base)
	if !strings.Contains(logs.String(), "not ready: the store does not answer") || !strings.Contains(logs.String(), "status=503") {
		t.Errorf("the 503 is not logged with its status:\n%s", logs.String())
	}
}

// TestReadyzPostgres runs the server on PostgreSQL through a proxy and
// cuts it: /readyz answers 503 within its bound while the database is
// unreachable, and 200 before, and again once it is back.
func TestReadyzPostgres(t *testing.T) {
	u, err := url.Parse(postgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if target == "" {
		target = "127.0.0.1:5432"
	}
	px := newProxy(t, target)
	u.Host = px.addr()
	base, _, logs, stop := startLogged(t, "-db", u.String(), "-credentials", filepath.Join(t.TempDir(), "credentials.json"))
	defer stop()
	if code, body := get(t, base+"/readyz", ""); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz: %d %q, want 200 ready", code, body)
	}
	px.cut()
	start := time.Now()
	code, _ := get(t, base+"/readyz", "")
	if code != http.StatusServiceUnavailable || time.Since(start) > readyTimeout+3*time.Second {
		t.Errorf("/readyz while the database is unreachable: %d after %v, want 503 within %v", code, time.Since(start), readyTimeout)
	}
	if code, _ := get(t, base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz while the database is unreachable: %d, want 200 (the process answers)", code)
	}
	px.restore()
	waitReady(t, base)
	if !strings.Contains(logs.String(), "not ready: the store does not answer") {
		t.Errorf("the 503 is not logged:\n%s", logs.String())
	}
}

// waitReady waits until /readyz answers 200, for 10 seconds at most.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := get(t, base+"/readyz", ""); code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz is not 200 again once the database is back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Requests to a webhook route with another method than POST, or to a
// path under /webhooks/ that no route matches, are answered 405 and 404
// and logged with the provider the path names.
func TestWebhookRefusalsAreLoggedWithTheirProvider(t *testing.T) {
	db := filepath.Join(t.TempDir(), "donorsync.db")
	base, _, logs, stop := startLogged(t, "-db", db)
	defer stop()
	if code, _ := get(t, base+"/webhooks/actblue/default", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET of the ActBlue webhook: %d, want 405", code)
	}
	if code, _ := get(t, base+"/webhooks/anedot/default/extra", ""); code != http.StatusNotFound {
		t.Errorf("a path under the Anedot webhook: %d, want 404", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), `webhook requests rejected" provider=actblue method=1`) {
		if time.Now().After(deadline) {
			t.Fatalf("the 405 is not logged with its provider:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `msg="webhook path not found" provider=anedot method=GET status=404`) {
		t.Errorf("the 404 is not logged with its provider:\n%s", logs.String())
	}
}
