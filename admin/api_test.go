package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/admin"
	"github.com/donorsync/donorsync/memstore"
)

// failingStore fails every transaction with a message a client must not see.
type failingStore struct{ donorsync.Store }

var errStoreDetail = errors.New(`dial tcp 10.0.0.7:5432: connect: connection refused; table "contacts" at /var/lib/donorsync`)

func (failingStore) View(context.Context, func(donorsync.Tx) error) error   { return errStoreDetail }
func (failingStore) Update(context.Context, func(donorsync.Tx) error) error { return errStoreDetail }

func TestErrorsAreGeneric(t *testing.T) {
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
		{"delivery fails", failingStore{}, http.MethodGet, "/api/default/deliveries/d42", http.StatusInternalServerError, `"delivery_id": "d42"`},
		{"contact fails", failingStore{}, http.MethodGet, "/api/default/contacts/c42", http.StatusInternalServerError, `"internal error"`},
		{"not found", memstore.New(), http.MethodPost, "/api/default/deliveries/nope/replay", http.StatusNotFound, `"not found"`},
		{"bad limit", memstore.New(), http.MethodGet, "/api/default/donations?limit=0", http.StatusBadRequest, "limit"},
		{"page fails", failingStore{}, http.MethodGet, "/", http.StatusInternalServerError, "Request id: <code>"},
		{"delivery page fails", failingStore{}, http.MethodGet, "/deliveries/default/d42", http.StatusInternalServerError, "Request id: <code>"},
		{"contact page fails", failingStore{}, http.MethodGet, "/contacts/default/c42", http.StatusInternalServerError, "Request id: <code>"},
		{"page not found", memstore.New(), http.MethodGet, "/deliveries/default/d42", http.StatusNotFound, "Not found."},
		{"bad filter", memstore.New(), http.MethodGet, "/deliveries?status=lost", http.StatusBadRequest, "status: want one of"},
	} {
		var logs bytes.Buffer
		h := &admin.Handler{Ingester: &donorsync.Ingester{Store: tc.store}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
		r := httptest.NewRequest(tc.method, tc.path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		body := w.Body.String()
		if w.Code != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, w.Code, body, tc.wantStatus, tc.wantBody)
		}
		if strings.Contains(body, "10.0.0.7") || strings.Contains(body, "contacts\\\"") || strings.Contains(body, "/var/lib") {
			t.Errorf("%s: the answer shows the store's error: %s", tc.name, body)
		}
		if tc.wantStatus != http.StatusInternalServerError {
			continue
		}
		id := requestIDOf(body)
		if id == "" || !strings.Contains(logs.String(), "request_id="+id) || !strings.Contains(logs.String(), "10.0.0.7") {
			t.Errorf("%s: request id %q not in the log with the store's error:\n%s", tc.name, id, logs.String())
		}
	}
}

// requestIDOf reads the request id of an answer, JSON or HTML.
func requestIDOf(body string) string {
	var res map[string]string
	if json.Unmarshal([]byte(body), &res) == nil {
		return res["request_id"]
	}
	_, after, _ := strings.Cut(body, "Request id: <code>")
	id, _, _ := strings.Cut(after, "</code>")
	return id
}

func TestAPIListings(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"contribution", "recurring"} {
		e.receive(e.actblue, "", fixture(t, "actblue/testdata/"+f+".json"))
	}
	var donations struct {
		Items []map[string]any `json:"items"`
		Next  string           `json:"next"`
	}
	if err := json.Unmarshal([]byte(e.get("/admin/api/acme/donations?limit=1", http.StatusOK)), &donations); err != nil {
		t.Fatal(err)
	}
	if len(donations.Items) != 1 || donations.Next != donations.Items[0]["id"] {
		t.Fatalf("a page of one donation: %+v", donations)
	}
	next := e.get("/admin/api/acme/donations?limit=1&after="+donations.Next, http.StatusOK)
	var commitments struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(e.get("/admin/api/acme/commitments", http.StatusOK)), &commitments); err != nil || len(commitments.Items) != 1 {
		t.Fatalf("commitments: %+v %v", commitments, err)
	}
	first, _ := json.MarshalIndent(donations.Items[0], "", "  ")
	both := string(first) + next // in either order: ids made within a millisecond
	wantAll(t, "the donations", both, `"external_id": "99999999"`, `"external_id": "45000003"`, `"recurring": true`, `"commitment_id": "AB3000001"`)
	wantAll(t, "the commitment", commitments.Items[0]["external_id"].(string), "AB3000001")
	e.get("/admin/api/acme/reconciliation", http.StatusNotFound)
}
