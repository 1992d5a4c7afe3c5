package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFilesAreCreatedPrivate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "donorsync.db")
	_, _, stop := start(t, "-db", db)
	// The store is open: SQLite has made its -wal and -shm files.
	for _, path := range append(sqliteFiles(db), db+".credentials.json") {
		if got := mode(t, path); got != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(path), got)
		}
	}
	stop()
}

func TestLooseFilesAreTightened(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "donorsync.db")
	_, _, stop := start(t, "-db", db)
	stop()
	files := append(sqliteFiles(db), db+".credentials.json")
	for _, path := range files {
		// The -wal and -shm files may be gone after a clean close; made
		// again, they take the database's mode.
		if err := os.Chmod(path, 0o644); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	_, _, logs, stop := startLogged(t, "-db", db)
	defer stop()
	for _, path := range files {
		if got := mode(t, path); got != 0o600 {
			t.Errorf("%s has mode %v after a start, want 0600", filepath.Base(path), got)
		}
	}
	if n := strings.Count(logs.String(), "tightened"); n < 2 {
		t.Errorf("the log tells of %d files tightened, want the database and the credentials at least:\n%s", n, logs.String())
	}
}

func TestSavedCredentialsFileIsPrivateEvenIfItExisted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.json")
	// A file made by hand, world-readable, holding only the user name.
	if err := os.WriteFile(path, []byte(`{"actblue_user":"me-000001"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	c, err := loadCredentials(credentialOptions{path: path, logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if c.ActBlueUser != "me-000001" || c.ActBluePassword == "" {
		t.Errorf("credentials %+v: want the user kept and a password generated", c)
	}
	if got := mode(t, path); got != 0o600 {
		t.Errorf("credentials file has mode %v after secrets were written into it, want 0600", got)
	}
}

func TestExistingDatabaseWithoutCredentialsRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "donorsync.db")
	_, _, stop := start(t, "-db", db)
	stop()
	if err := os.Remove(db + ".credentials.json"); err != nil {
		t.Fatal(err)
	}
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-db", db}, io.Discard, io.Discard, nil)
	if !errors.Is(err, errNoCredentials) || !strings.Contains(err.Error(), "-new-credentials") {
		t.Fatalf("start without the credentials of an existing database: %v; want errNoCredentials naming -new-credentials", err)
	}
	if _, err := os.Stat(db + ".credentials.json"); err == nil {
		t.Error("a refused start wrote a credentials file")
	}
	// -new-credentials generates them, prints them and warns.
	_, out, logs, stop := startLogged(t, "-db", db, "-new-credentials")
	defer stop()
	data, err := os.ReadFile(db + ".credentials.json")
	if err != nil {
		t.Fatal(err)
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil || !strings.Contains(out.String(), c.AdminToken) {
		t.Errorf("new credentials %s (%v) not printed:\n%s", data, err, out.String())
	}
	if !strings.Contains(logs.String(), "every platform") {
		t.Errorf("no warning that the platforms need the new credentials:\n%s", logs.String())
	}
}

func TestWeakSecretsFromTheEnvironmentAreRefused(t *testing.T) {
	for _, f := range fields {
		if !f.secret {
			continue
		}
		weaks, want := []string{"x", "password1", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "demo-admin-token"}, "128"
		if f.forward {
			// A Standard Webhooks secret: whsec_ and the base64 of its key.
			weaks, want = append(weaks, "whsec_"+base64.StdEncoding.EncodeToString([]byte("demo-admin-token")),
				"whsec_"+strings.Repeat("A", 32)), "whsec_"
		}
		for _, weak := range weaks {
			setEnv(t)
			t.Setenv(f.env, weak)
			db := filepath.Join(t.TempDir(), "donorsync.db")
			err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-db", db}, io.Discard, io.Discard, nil)
			if err == nil || !strings.Contains(err.Error(), f.env) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s=%q: %v; want an error naming the variable and saying %s", f.env, weak, err, want)
			}
			if _, err := os.Stat(db); err == nil {
				t.Errorf("%s=%q: the refused start created the database", f.env, weak)
			}
		}
	}
}

func TestStrength(t *testing.T) {
	c, err := loadCredentials(credentialOptions{path: filepath.Join(t.TempDir(), "c.json"), forwarding: true, logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if v := *f.get(c); f.secret && strength(v) < minStrength {
			t.Errorf("generated %s %q has %.0f bits, under %d", f.env, v, strength(v), minStrength)
		}
	}
	for _, tc := range []struct {
		s    string
		pass bool
	}{
		{"", false}, {"x", false}, {"password1", false}, {strings.Repeat("a", 100), false},
		{"abcdefghijklmnopqrstuvwxyzab", true},      // 28 × log2 26 = 132
		{"abcdefghijklmnopqrstuvwxyza", false},      // 27 × log2 26 = 127
		{"Ab3defghijklmnopqrstuv", true},            // 22 × log2 62 = 131
		{"Ab3defghijklmnopqrstu", false},            // 21 × log2 62 = 125
		{"demoActionNetworkToken-0123456789", true}, // 33 × log2 95
	} {
		if got := strength(tc.s) >= minStrength; got != tc.pass {
			t.Errorf("strength(%q) = %.1f: passes %v, want %v", tc.s, strength(tc.s), got, tc.pass)
		}
	}
}

// failingStore fails every transaction with a message a client must not see.
type failingStore struct{ donorsync.Store }

var errStoreDetail = errors.New(`dial tcp 10.0.0.7:5432: connect: connection refused; table "contacts" at /var/lib/donorsync`)

func (failingStore) View(context.Context, func(donorsync.Tx) error) error { return errStoreDetail }

func TestReadAPIErrorsAreGeneric(t *testing.T) {
	var logs lockedBuffer
	logger := newTestLogger(&logs)
	for _, tc := range []struct {
		name       string
		store      donorsync.Store
		method     string
		path       string
		wantStatus int
		wantBody   string
	}{
		{"store fails", failingStore{}, http.MethodGet, "/api/default/contacts", http.StatusInternalServerError, `"internal error"`},
		{"replay fails", failingStore{}, http.MethodPost, "/api/default/deliveries/d42/replay", http.StatusInternalServerError, `"delivery_id": "d42"`},
		{"not found", memstore.New(), http.MethodPost, "/api/default/deliveries/nope/replay", http.StatusNotFound, `"not found"`},
		{"bad limit", memstore.New(), http.MethodGet, "/api/default/donations?limit=0", http.StatusBadRequest, "limit"},
	} {
		mux := http.NewServeMux()
		mountAdmin(mux, &donorsync.Ingester{Store: tc.store}, nil, admin, nil, logger)
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.Header.Set("Authorization", "Bearer "+admin)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		body := w.Body.String()
		if w.Code != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, w.Code, body, tc.wantStatus, tc.wantBody)
		}
		if strings.Contains(body, "10.0.0.7") || strings.Contains(body, "contacts\\\"") || strings.Contains(body, "/var/lib") {
			t.Errorf("%s: the answer shows the store's error: %s", tc.name, body)
		}
		if tc.wantStatus == http.StatusInternalServerError {
			var res map[string]string
			if err := json.Unmarshal([]byte(body), &res); err != nil || res["request_id"] == "" || !strings.Contains(logs.String(), res["request_id"]) {
				t.Errorf("%s: request id %q not in the log (%v):\n%s", tc.name, res["request_id"], err, logs.String())
			}
		}
	}
	if !strings.Contains(logs.String(), "10.0.0.7") {
		t.Errorf("the log lacks the store's error:\n%s", logs.String())
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
