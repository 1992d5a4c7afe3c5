package actblue_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/memstore"
)

var cred = actblue.Credential{Tenant: "acme", Username: "acme-123456", Password: "Zq8Lw2Vt9Xr4Nb7Kc1Hd5Fs3"}

// env is a receiver mounted as the README shows, on the in-memory store.
type env struct {
	store *memstore.Store
	auth  *actblue.Authenticator
	src   *actblue.Source
	srv   *httptest.Server
	logs  *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t *testing.T, store donorsync.Store, opts ...func(*donorsync.Handler)) *env {
	t.Helper()
	auth, err := actblue.NewAuthenticator(cred, actblue.Credential{Tenant: "other", Username: "other-1", Password: "OtherPasswordOtherPass12"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{auth: auth, src: src, logs: &syncBuffer{}}
	if ms, ok := store.(*memstore.Store); ok {
		e.store = ms
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := &donorsync.Handler{
		Source:       src,
		Ingester:     &donorsync.Ingester{Store: store, Logger: log},
		Logger:       log,
		MaxBodyBytes: 64 << 10,
	}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/actblue/{tenant}", h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) post(t *testing.T, c actblue.Credential, tenant string, body []byte) (int, string, http.Header) {
	t.Helper()
	r, err := actblue.NewRequest(t.Context(), e.srv.URL+"/webhooks/actblue/"+tenant, c, body)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, r)
}

func do(t *testing.T, r *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (e *env) deliver(t *testing.T, file string) string {
	t.Helper()
	status, body, _ := e.post(t, cred, "acme", fixture(t, file))
	if status != http.StatusOK {
		t.Fatalf("%s: status %d %s", file, status, body)
	}
	return body
}

type records struct {
	contacts    []contact.Contact
	donations   []donation.Donation
	commitments []donation.Commitment
	deliveries  []*donorsync.Delivery
}

func (e *env) records(t *testing.T, tenant string) records {
	t.Helper()
	var r records
	err := e.store.View(t.Context(), func(tx donorsync.Tx) error {
		var err1, err2, err3, err4 error
		r.contacts, err1 = tx.Contacts(t.Context(), tenant, donorsync.Page{})
		r.donations, err2 = tx.Donations(t.Context(), tenant, donorsync.Page{})
		r.commitments, err3 = tx.Commitments(t.Context(), tenant, donorsync.Page{})
		r.deliveries, err4 = tx.Deliveries(t.Context(), tenant, donorsync.DeliveryFilter{})
		return errors.Join(err1, err2, err3, err4)
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewDonorCreatesContactAndDonation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	body := e.deliver(t, "contribution.json")
	if !strings.Contains(body, `"status":"processed"`) {
		t.Errorf("response %s, want processed", body)
	}
	r := e.records(t, "acme")
	if len(r.contacts) != 1 || len(r.donations) != 1 {
		t.Fatalf("%d contacts, %d donations; want 1 and 1", len(r.contacts), len(r.donations))
	}
	c, d := r.contacts[0], r.donations[0]
	if c.Sources[0].Provider != "actblue" || c.Employer != "Initech" || c.Occupation != "Software Engineer" || c.Address.Line1 != "4120 Freidrich Lane" {
		t.Errorf("contact = sources %v employer %q occupation %q", c.Sources, c.Employer, c.Occupation)
	}
	if d.ContactID != c.ID || d.Provider != "actblue" || d.ExternalID != "99999999" || d.OrderNumber != "AB1234567" ||
		d.Amount.String() != "50" || d.Status != donation.Completed || d.PaidAt.IsZero() {
		t.Errorf("donation = %+v", d)
	}
	// The full raw payload is kept and linked from the donation.
	if len(r.deliveries) != 1 || r.deliveries[0].ID != d.DeliveryID || !bytes.Equal(r.deliveries[0].Body, fixture(t, "contribution.json")) {
		t.Errorf("raw delivery not kept byte for byte and linked from the donation")
	}
}

func TestKnownDonorUpdatedAndKeepsWhatDeliveryLacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	e.deliver(t, "refund.json") // an older view of Peter, with employer, from 2019-06-07
	newer := strings.NewReplacer(
		`"createdAt":"2019-06-07T15:49:32-04:00"`, `"createdAt":"2023-01-10T10:00:00-05:00"`,
		`"addr1":"4120 Freidrich Lane"`, `"addr1":"1 New Street"`,
		`"employerData":{"employer":"Initech","occupation":"Software Engineer"}`, `"employerData":null`,
		`"lineitemId":99999999`, `"lineitemId":99999998`,
		`"refundedAt":"2019-06-20T10:00:00-04:00",`, ``,
	).Replace(string(fixture(t, "refund.json")))
	status, body, _ := e.post(t, cred, "acme", []byte(newer))
	if status != http.StatusOK {
		t.Fatalf("status %d %s", status, body)
	}
	r := e.records(t, "acme")
	if len(r.contacts) != 1 {
		t.Fatalf("%d contacts for one donor, want 1", len(r.contacts))
	}
	c := r.contacts[0]
	if c.Address.Line1 != "1 New Street" || c.Employer != "Initech" || c.Occupation != "Software Engineer" {
		t.Errorf("contact: address %q employer %q occupation %q; want the newer address and the known employment", c.Address.Line1, c.Employer, c.Occupation)
	}
	if len(r.donations) != 2 {
		t.Errorf("%d donations, want 2", len(r.donations))
	}
}

func TestKnownDonorMatchedByPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	e.deliver(t, "recurring.json") // samir@example.org, 5105016227
	other := strings.NewReplacer(`"email":"samir@example.org"`, `"email":""`, `"lineitemId":45000003`, `"lineitemId":45000009`).
		Replace(string(fixture(t, "recurring.json")))
	if status, body, _ := e.post(t, cred, "acme", []byte(other)); status != http.StatusOK {
		t.Fatalf("status %d %s", status, body)
	}
	if r := e.records(t, "acme"); len(r.contacts) != 1 || len(r.donations) != 2 {
		t.Errorf("%d contacts and %d donations, want one contact found by phone with 2 donations", len(r.contacts), len(r.donations))
	}
}

func TestRedeliveryChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	e.deliver(t, "contribution.json")
	before := e.records(t, "acme")
	body := e.deliver(t, "contribution.json")
	if !strings.Contains(body, `"status":"duplicate"`) {
		t.Errorf("redelivery answered %s, want duplicate", body)
	}
	after := e.records(t, "acme")
	if len(after.donations) != 1 || len(after.contacts) != 1 || !after.donations[0].UpdatedAt.Equal(before.donations[0].UpdatedAt) {
		t.Errorf("redelivery changed records")
	}
	if len(after.deliveries) != 2 || after.deliveries[1].Status != donorsync.Duplicate && after.deliveries[0].Status != donorsync.Duplicate {
		t.Errorf("redelivery not journaled as a duplicate")
	}
}

func TestRefundMarksDonationRefunded(t *testing.T) {
	t.Parallel()
	for _, order := range [][]string{{"contribution.json", "refund.json"}, {"refund.json", "contribution.json"}} {
		e := newEnv(t, memstore.New())
		for _, f := range order {
			e.deliver(t, f)
		}
		r := e.records(t, "acme")
		if len(r.donations) != 1 {
			t.Fatalf("order %v: %d donations, want 1 (a refund is never a new donation or a delete)", order, len(r.donations))
		}
		d := r.donations[0]
		if d.Status != donation.Refunded || d.Refunded.String() != "50" || d.Amount.String() != "50" {
			t.Errorf("order %v: status %s refunded %s amount %s", order, d.Status, d.Refunded, d.Amount)
		}
		var adjs []donation.Adjustment
		_ = e.store.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			adjs, err = tx.Adjustments(t.Context(), "acme", "actblue", "99999999")
			return err
		})
		if len(adjs) != 1 || adjs[0].Kind != donation.Refund || adjs[0].At.Format(time.RFC3339) != "2019-06-20T14:00:00Z" {
			t.Errorf("order %v: adjustments %+v", order, adjs)
		}
	}
}

func TestCancellationRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	e.deliver(t, "recurring.json")
	e.deliver(t, "cancellation.json")
	r := e.records(t, "acme")
	if len(r.commitments) != 1 {
		t.Fatalf("%d commitments, want 1", len(r.commitments))
	}
	c := r.commitments[0]
	if c.Status != donation.Cancelled || c.ExternalID != "AB3000001" || c.Completed != 3 || c.CancelledAt.Format(time.RFC3339) != "2020-04-02T12:30:00Z" ||
		c.Amount.String() != "15" || c.Period != "monthly" || c.ContactID != r.contacts[0].ID {
		t.Errorf("commitment = %+v", c)
	}
	if len(r.donations) != 2 {
		t.Errorf("%d donations, want the two charges", len(r.donations))
	}
	for _, d := range r.donations {
		if d.CommitmentID != "AB3000001" {
			t.Errorf("donation %s not linked to its commitment", d.ExternalID)
		}
	}
}

func TestTwoLineItemsAreTwoDonations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	e.deliver(t, "two_lineitems.json")
	r := e.records(t, "acme")
	if len(r.donations) != 2 || len(r.contacts) != 1 {
		t.Fatalf("%d donations and %d contacts, want 2 and 1", len(r.donations), len(r.contacts))
	}
	if r.donations[0].OrderNumber != r.donations[1].OrderNumber || r.donations[0].ExternalID == r.donations[1].ExternalID {
		t.Errorf("donations %s and %s", r.donations[0].ExternalID, r.donations[1].ExternalID)
	}
}

// TestUnauthorized sends every kind of bad credential and checks that each
// gets the same 401 and stores nothing.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	body := fixture(t, "contribution.json")
	url := e.srv.URL + "/webhooks/actblue/"
	mk := func(tenant string, set func(*http.Request)) *http.Request {
		r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+tenant, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		set(r)
		return r
	}
	basic := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	header := func(v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set("Authorization", v) } }
	cases := map[string]*http.Request{
		"no credentials":        mk("acme", func(*http.Request) {}),
		"wrong user":            mk("acme", basic("acme-654321", cred.Password)),
		"wrong password":        mk("acme", basic(cred.Username, cred.Password[:23]+"X")),
		"password too short":    mk("acme", basic(cred.Username, cred.Password[:10])),
		"password too long":     mk("acme", basic(cred.Username, cred.Password+"X")),
		"empty password":        mk("acme", basic(cred.Username, "")),
		"bad base64":            mk("acme", header("Basic !!!not-base64!!!")),
		"no colon":              mk("acme", header("Basic "+base64.StdEncoding.EncodeToString([]byte(cred.Username+cred.Password)))),
		"bearer scheme":         mk("acme", header("Bearer "+cred.Password)),
		"unknown tenant":        mk("nobody", basic(cred.Username, cred.Password)),
		"other tenant's creds":  mk("acme", basic("other-1", "OtherPasswordOtherPass12")),
		"creds for other path":  mk("other", basic(cred.Username, cred.Password)),
		"case-changed password": mk("acme", basic(cred.Username, strings.ToLower(cred.Password))),
	}
	var first string
	challenge := `Basic realm="` + actblue.Realm + `", charset="UTF-8"`
	for name, r := range cases {
		status, got, h := do(t, r)
		if status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, status)
		}
		if c := h.Values("WWW-Authenticate"); len(c) != 1 || c[0] != challenge {
			t.Errorf("%s: WWW-Authenticate %q, want %q (RFC 9110 requires a challenge on 401)", name, c, challenge)
		}
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%s: body %q differs from %q", name, got, first)
		}
	}
	for _, tenant := range []string{"acme", "other", "nobody"} {
		if r := e.records(t, tenant); len(r.deliveries)+len(r.contacts)+len(r.donations) != 0 {
			t.Errorf("tenant %s: a rejected request stored records", tenant)
		}
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())

	// 413 past the body limit, by declared length and by streaming.
	big := bytes.Repeat([]byte(" "), 65<<10)
	if status, _, _ := e.post(t, cred, "acme", big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", status)
	}
	r, _ := actblue.NewRequest(t.Context(), e.srv.URL+"/webhooks/actblue/acme", cred, nil)
	r.Body = io.NopCloser(bytes.NewReader(big))
	r.ContentLength = -1
	if status, _, _ := do(t, r); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized chunked body: status %d, want 413", status)
	}

	// 200 for a body that cannot be decoded: kept, quarantined.
	status, body, _ := e.post(t, cred, "acme", fixture(t, "bad_amount.json"))
	if status != http.StatusOK || !strings.Contains(body, `"status":"quarantined"`) {
		t.Errorf("undecodable body: %d %s, want 200 quarantined", status, body)
	}
	status, body, _ = e.post(t, cred, "acme", []byte("not json at all"))
	if status != http.StatusOK || !strings.Contains(body, `"status":"quarantined"`) {
		t.Errorf("non-JSON body: %d %s, want 200 quarantined", status, body)
	}
	rec := e.records(t, "acme")
	if len(rec.deliveries) != 2 || len(rec.donations) != 0 {
		t.Fatalf("%d deliveries, %d donations; want the 2 quarantined deliveries kept and nothing applied", len(rec.deliveries), len(rec.donations))
	}
	for _, d := range rec.deliveries {
		if d.Status != donorsync.Quarantined || d.Error == "" {
			t.Errorf("delivery %s: status %s error %q", d.ID, d.Status, d.Error)
		}
		if strings.Contains(string(d.Body), "fifty") && !strings.Contains(d.Error, "lineitems[0].amount") {
			t.Errorf("quarantine error %q does not name the field", d.Error)
		}
	}

	// 405 for other methods.
	mux := http.NewServeMux()
	h := &donorsync.Handler{Source: e.src, Ingester: &donorsync.Ingester{Store: memstore.New()}}
	mux.Handle("/x/{tenant}", h)
	rr := httptest.NewRecorder()
	mux.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/x/acme", nil))
	if rr.Code != http.StatusMethodNotAllowed || rr.Header().Get("Allow") != "POST" {
		t.Errorf("GET: status %d Allow %q, want 405 POST", rr.Code, rr.Header().Get("Allow"))
	}
}

// failingStore cannot journal anything.
type failingStore struct{ donorsync.Store }

var errDown = errors.New("database is down")

func (failingStore) Update(context.Context, func(donorsync.Tx) error) error { return errDown }

func TestUnavailableStoreAnswers503(t *testing.T) {
	t.Parallel()
	e := newEnv(t, failingStore{memstore.New()}, func(h *donorsync.Handler) { h.RetryAfter = 5 * time.Second })
	status, body, hdr := e.post(t, cred, "acme", fixture(t, "contribution.json"))
	if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") != "5" {
		t.Errorf("status %d Retry-After %q body %s; want 503 with Retry-After 5", status, hdr.Get("Retry-After"), body)
	}
	if strings.Contains(body, "database is down") {
		t.Errorf("503 body leaks the internal error: %s", body)
	}
}

func TestTenantFromPathAndIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	other := actblue.Credential{Tenant: "other", Username: "other-1", Password: "OtherPasswordOtherPass12"}
	if status, _, _ := e.post(t, other, "other", fixture(t, "contribution.json")); status != http.StatusOK {
		t.Fatalf("other tenant: status %d", status)
	}
	e.deliver(t, "contribution.json")
	a, b := e.records(t, "acme"), e.records(t, "other")
	if len(a.donations) != 1 || len(b.donations) != 1 || a.contacts[0].ID == b.contacts[0].ID {
		t.Errorf("tenants share records: %d/%d donations", len(a.donations), len(b.donations))
	}
	if a.deliveries[0].Status != donorsync.Processed {
		t.Errorf("the same delivery for another tenant is not a duplicate: got %s", a.deliveries[0].Status)
	}
}

func TestLogsCarryNoDonorData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memstore.New())
	for _, f := range []string{"contribution.json", "refund.json", "cancellation.json", "bad_amount.json", "contribution.json"} {
		e.deliver(t, f)
	}
	e.post(t, actblue.Credential{Username: cred.Username, Password: "wrong-password-000000000"}, "acme", fixture(t, "contribution.json"))
	logs := e.logs.String()
	if !strings.Contains(logs, `"tenant":"acme"`) {
		t.Fatalf("no request logs captured: %s", logs)
	}
	for _, secret := range []string{"Peter", "PETER", "Gibbons", "GIBBONS", "initech.example", "Initech", "742-7087", "5897427087", "Freidrich",
		"Samir", "samir@", "5105016227", "Penny", "fifty dollars", "bad@example.org", cred.Password, "wrong-password"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}
