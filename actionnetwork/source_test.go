package actionnetwork_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/golden"
	"github.com/donorsync/donorsync/memstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const token = "Qm9vdHN0cmFwVG9rZW4tMTI4LWJpdHMtb3ItbW9yZQ"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// newSource returns a Source that accepts token for the tenant "acme".
func newSource(t testing.TB) *actionnetwork.Source {
	t.Helper()
	auth, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "acme", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	src, err := actionnetwork.NewSource(auth, actionnetwork.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func decode(t testing.TB, body []byte) (donorsync.Decoded, error) {
	t.Helper()
	return newSource(t).Decode(&donorsync.Delivery{Tenant: "acme", Body: body})
}

func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("fixtures: %d, %v", len(files), err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			dec, err := decode(t, fixture(t, name))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			golden.JSON(t, filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden"), dec, *update)
		})
	}
}

func TestSignatureFromTheDocument(t *testing.T) {
	t.Parallel()
	dec, err := decode(t, fixture(t, "signature.json"))
	if err != nil {
		t.Fatal(err)
	}
	if dec.Key != "1679091c5a880faf6fb5e6087eb1b2dc" || len(dec.Events) != 1 {
		t.Fatalf("key %q, %d events", dec.Key, len(dec.Events))
	}
	ev := dec.Events[0]
	c := ev.Contact
	if c.FirstName != "John" || c.Email != "jsmith@mail.com" || c.Phone != "+12024444444" || c.Address.State != "CA" ||
		c.Address.PostalCode != "904043" || c.Custom["employer"] != "Action Squared" || c.Custom["languages_spoken"] != "en" ||
		strings.Join(c.Tags, ",") != "member,volunteer" || c.Sources[0].DonorID != "699da712-929f-11e3-a2e9-12313d316c29" {
		t.Errorf("contact = %+v %v %v %v", c.Address, c.Custom, c.Tags, c.Sources)
	}
	if !c.Seen[contact.FieldFirstName].Equal(time.Date(2018, 11, 12, 17, 7, 31, 0, time.UTC)) {
		t.Errorf("fields not dated by the person's modified_date: %v", c.Seen)
	}
	a := ev.Activities
	if len(a) != 1 || a[0].Type != "osdi:signature" || a[0].Key != "osdi:signature:d6bdf50e-c3a4-4981-a948-3d8c086066d7" ||
		a[0].Action != "https://actionnetwork.org/api/v2/petitions/9f837109-710d-442f-8a99-857a21f36d25" {
		t.Errorf("activity = %+v", a)
	}
}

func TestDonation(t *testing.T) {
	t.Parallel()
	dec, err := decode(t, fixture(t, "donation.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := dec.Events[0].Donation
	if d.ExternalID != "d91b4b2e-ae0e-4cd3-9ed7-d0ec501b0bc3" || d.Amount.String() != "100" || d.Currency != "USD" ||
		d.Payment.Method != "Credit Card" || d.Payment.Reference == "" || d.Recurrence.Period != "monthly" ||
		d.Refcodes["source"] != "email-blast" || d.RecipientName != "Progressive Action Now" ||
		!strings.Contains(d.Form, "fundraising_pages/1efc3644") {
		t.Errorf("donation = %+v", d)
	}
	dec, err = decode(t, fixture(t, "donation_without_person.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev := dec.Events[0]
	if ev.Contact == nil || ev.Contact.Email != "" || ev.Contact.Sources[0].DonorID != "699da712-929f-11e3-a2e9-12313d316c29" || ev.Donation.Recurrence.Period != "once" {
		t.Errorf("donation without person: contact %+v", ev.Contact)
	}
}

func TestEveryTypeRecordsAnActivity(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file string
		want []string
	}{
		{"signature.json", []string{"osdi:signature"}},
		{"submission.json", []string{"osdi:submission"}},
		{"attendance.json", []string{"osdi:attendance"}},
		{"outreach.json", []string{"osdi:outreach", "osdi:outreach"}},
		{"upload.json", []string{"action_network:upload"}},
		{"action.json", []string{"action_network:action"}},
		{"future_type.json", []string{"action_network:poll_response"}},
		{"donation.json", nil},
	} {
		file, want := tt.file, tt.want
		dec, err := decode(t, fixture(t, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		var got []string
		for _, ev := range dec.Events {
			for _, a := range ev.Activities {
				got = append(got, a.Type)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: activities %v, want %v", file, got, want)
		}
	}
	dec, _ := decode(t, fixture(t, "submission.json"))
	c := dec.Events[0].Contact
	if c.Address.State != "CA" || c.Custom["volunteer_interests"] != `["phones","doors"]` || c.Custom["shifts"] != "3" || c.Custom["phone"] != "202-444-4444" {
		t.Errorf("submission contact = %+v %v", c.Address, c.Custom)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	dec, _ := decode(t, fixture(t, "outreach.json"))
	if dec.Key != "c1d9e04b7a9c3e5f6a7b8c9d0e2fa8b0,c1d9e04b7a9c3e5f6a7b8c9d0e2fa8b1" {
		t.Errorf("batched key = %q", dec.Key)
	}
	dec, _ = decode(t, fixture(t, "signature_older_without_key.json"))
	if dec.Key != "11111111-0000-4000-8000-000000000071@2018-11-10T00:00:00Z" {
		t.Errorf("fallback key = %q, want the identifier and modified_date", dec.Key)
	}
	dec, err := decode(t, []byte(`[{"osdi:signature": {"person": {"email_addresses": [{"address": "a@b.org"}]}}}]`))
	if err != nil || dec.Key != "" || len(dec.Events[0].Activities) != 0 {
		t.Errorf("element with neither key nor identifier: key %q, %v, %+v", dec.Key, err, dec.Events)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, field string }{
		{`{"osdi:signature": {}}`, ""},
		{`[{"osdi:donation": {"identifiers": ["action_network:x"], "amount": "lots"}}]`, "[0].osdi:donation.amount"},
		{`[{"osdi:donation": {"identifiers": ["action_network:x"]}}]`, "[0].osdi:donation.amount"},
		{`[{"osdi:donation": {"amount": "5.00"}}]`, "[0].osdi:donation.identifiers"},
		{`[{"osdi:signature": {"person": {"email_addresses": {"address": "x"}}}}]`, "[0].osdi:signature.person.email_addresses"},
		{`[{"osdi:signature": {"created_date": "yesterday"}}]`, "[0].osdi:signature.created_date"},
	}
	for _, tt := range tests {
		_, err := decode(t, []byte(tt.body))
		var fe *flex.Error
		if !errors.Is(err, donorsync.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: error %v, want one for field %q", tt.body, err, tt.field)
		}
	}
}

// receiver is an Action Network receiver on the in-memory store.
type receiver struct {
	store *memstore.Store
	srv   *httptest.Server
	logs  *bytes.Buffer
	mu    *sync.Mutex
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func newReceiver(t *testing.T, store donorsync.Store, deadline time.Duration) *receiver {
	t.Helper()
	auth, err := actionnetwork.NewAuthenticator(
		actionnetwork.Credential{Tenant: "acme", Token: token},
		actionnetwork.Credential{Tenant: "locked", Token: token + "-locked", Username: "an", Password: "basic-secret"},
	)
	if err != nil {
		t.Fatal(err)
	}
	src, err := actionnetwork.NewSource(auth, actionnetwork.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{srv: nil, logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	if ms, ok := store.(*memstore.Store); ok {
		rc.store = ms
	}
	log := slog.New(slog.NewJSONHandler(lockedWriter{rc.mu, rc.logs}, nil))
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/actionnetwork/{tenant}/{token}", &donorsync.Handler{
		Source:   src,
		Ingester: &donorsync.Ingester{Store: store, Logger: log},
		Logger:   log,
		Deadline: deadline,
	})
	rc.srv = httptest.NewServer(mux)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) post(t *testing.T, path string, body []byte, setup func(*http.Request)) (int, string, http.Header) {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, rc.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if setup != nil {
		setup(r)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (rc *receiver) deliver(t *testing.T, file string) {
	t.Helper()
	status, body, _ := rc.post(t, "/webhooks/actionnetwork/acme/"+token, fixture(t, file), nil)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", file, status, body)
	}
}

func (rc *receiver) records(t *testing.T) (cs []contact.Contact, ds []donation.Donation, acts map[string][]contact.Activity) {
	t.Helper()
	acts = map[string][]contact.Activity{}
	err := rc.store.View(t.Context(), func(tx donorsync.Tx) error {
		var err error
		if cs, err = tx.Contacts(t.Context(), "acme", donorsync.Page{}); err != nil {
			return err
		}
		for _, c := range cs {
			if acts[c.ID], err = tx.Activities(t.Context(), "acme", c.ID); err != nil {
				return err
			}
		}
		ds, err = tx.Donations(t.Context(), "acme", donorsync.Page{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cs, ds, acts
}

func TestDonationWithoutPersonMergedLater(t *testing.T) {
	t.Parallel()
	for _, order := range [][]string{
		{"donation_without_person.json", "signature.json"},
		{"signature.json", "donation_without_person.json"},
	} {
		rc := newReceiver(t, memstore.New(), 0)
		for _, f := range order {
			rc.deliver(t, f)
		}
		cs, ds, acts := rc.records(t)
		if len(cs) != 1 || len(ds) != 1 {
			t.Fatalf("order %v: %d contacts, %d donations; want 1 and 1", order, len(cs), len(ds))
		}
		if ds[0].ContactID != cs[0].ID || cs[0].Email != "jsmith@mail.com" || len(acts[cs[0].ID]) != 1 {
			t.Errorf("order %v: donation on %s, contact email %q, %d activities", order, ds[0].ContactID, cs[0].Email, len(acts[cs[0].ID]))
		}
	}
}

func TestNewerModifiedDateWinsInEitherOrder(t *testing.T) {
	t.Parallel()
	for _, order := range [][]string{
		{"signature.json", "signature_older_without_key.json"},
		{"signature_older_without_key.json", "signature.json"},
	} {
		rc := newReceiver(t, memstore.New(), 0)
		for _, f := range order {
			rc.deliver(t, f)
			rc.deliver(t, f) // redelivered: no second activity
		}
		cs, _, acts := rc.records(t)
		if len(cs) != 1 {
			t.Fatalf("order %v: %d contacts", order, len(cs))
		}
		c := cs[0]
		if c.FirstName != "John" || c.Custom["employer"] != "Action Squared" || len(acts[c.ID]) != 2 {
			t.Errorf("order %v: %s, employer %q, %d activities; want the newer values and two activities", order, c.FirstName, c.Custom["employer"], len(acts[c.ID]))
		}
	}
}

func TestEveryTypeThroughTheHandler(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, memstore.New(), 0)
	for _, f := range []string{"signature.json", "submission.json", "attendance.json", "outreach.json", "upload.json", "action.json", "future_type.json", "donation.json"} {
		rc.deliver(t, f)
	}
	cs, ds, acts := rc.records(t)
	if len(ds) != 1 {
		t.Errorf("%d donations, want 1", len(ds))
	}
	total := 0
	for _, a := range acts {
		total += len(a)
	}
	// signature, submission, attendance, two outreaches, upload, action,
	// the future type.
	if total != 8 {
		t.Errorf("%d activities, want 8", total)
	}
	emails := map[string]bool{}
	for _, c := range cs {
		emails[c.Email] = true
	}
	if len(cs) != 3 || !emails["jsmith@mail.com"] || !emails["maria@example.org"] || !emails["future@example.org"] {
		t.Errorf("contacts %v, want John, Maria and the future type's person", emails)
	}
	logs := rc.logs.String()
	if strings.Contains(logs, token) {
		t.Error("the URL token appears in the logs")
	}
	for _, secret := range []string{"jsmith", "Smith", "maria@", "Garcia", "1600 Main", "2024444444"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, memstore.New(), 0)
	body := fixture(t, "signature.json")
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	cases := map[string]struct {
		path  string
		setup func(*http.Request)
	}{
		"wrong token":             {"/webhooks/actionnetwork/acme/" + token[:len(token)-1] + "x", nil},
		"short token":             {"/webhooks/actionnetwork/acme/abc", nil},
		"unknown tenant":          {"/webhooks/actionnetwork/nobody/" + token, nil},
		"other tenant's token":    {"/webhooks/actionnetwork/acme/" + token + "-locked", nil},
		"missing basic auth":      {"/webhooks/actionnetwork/locked/" + token + "-locked", nil},
		"wrong basic auth":        {"/webhooks/actionnetwork/locked/" + token + "-locked", basic("an", "nope")},
		"basic auth, wrong token": {"/webhooks/actionnetwork/locked/" + token, basic("an", "basic-secret")},
	}
	var first string
	for name, c := range cases {
		status, got, _ := rc.post(t, c.path, body, c.setup)
		if status != http.StatusUnauthorized || (first != "" && got != first) {
			t.Errorf("%s: %d %s", name, status, got)
		}
		first = got
	}
	if status, _, _ := rc.post(t, "/webhooks/actionnetwork/locked/"+token+"-locked", body, basic("an", "basic-secret")); status != http.StatusOK {
		t.Errorf("token with the right Basic Auth: %d", status)
	}
	if cs, _, _ := rc.records(t); len(cs) != 0 {
		t.Errorf("rejected requests stored %d contacts in acme", len(cs))
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	a, err := actionnetwork.GenerateToken()
	b, _ := actionnetwork.GenerateToken()
	if err != nil || len(a) != 43 || a == b || strings.ContainsAny(a, "+/=") {
		t.Errorf("GenerateToken = %q, %q, %v", a, b, err)
	}
	for _, bad := range []actionnetwork.Credential{{Tenant: "t", Token: "short"}, {Token: a}, {Tenant: "t", Token: a, Username: "u"}} {
		if _, err := actionnetwork.NewAuthenticator(bad); err == nil {
			t.Errorf("NewAuthenticator(%+v) succeeded", bad)
		}
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	auth, _ := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "t", Token: a})
	auth.Now = func() time.Time { return now }
	_ = auth.Add(actionnetwork.Credential{Tenant: "t", Token: b})
	auth.Expire("t", a, now)
	check := func(tok string) error {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.SetPathValue("tenant", "t")
		r.SetPathValue("token", tok)
		_, err := auth.Authenticate(r)
		return err
	}
	if !errors.Is(check(a), donorsync.ErrUnauthorized) || check(b) != nil {
		t.Errorf("after rotation: old %v, new %v", check(a), check(b))
	}
}

// stalledStore never finishes a transaction until released.
type stalledStore struct {
	*memstore.Store
	release chan struct{}
}

func (s stalledStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	<-s.release
	return s.Store.Update(ctx, fn)
}

func TestAnswersBeforeTheDeadlineWhenTheStoreStalls(t *testing.T) {
	t.Parallel()
	store := stalledStore{memstore.New(), make(chan struct{})}
	defer close(store.release)
	rc := newReceiver(t, store, 0) // the default deadline, 400 ms
	status, _, hdr := rc.post(t, "/webhooks/actionnetwork/acme/"+token, fixture(t, "signature.json"), nil)
	if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Errorf("status %d Retry-After %q; want 503 with Retry-After", status, hdr.Get("Retry-After"))
	}
}

// TestNewSourceFailsClosed: a Source cannot be made without tokens.
func TestNewSourceFailsClosed(t *testing.T) {
	t.Parallel()
	empty, _ := actionnetwork.NewAuthenticator()
	for name, a := range map[string]*actionnetwork.Authenticator{"nil": nil, "empty": empty, "zero": {}} {
		if _, err := actionnetwork.NewSource(a, actionnetwork.Options{}); err == nil {
			t.Errorf("NewSource with a %s Authenticator succeeded", name)
		}
	}
}

func TestNewRequest(t *testing.T) {
	t.Parallel()
	c := actionnetwork.Credential{Tenant: "acme", Token: token, Username: "an", Password: "pw"}
	for _, url := range []string{"https://example.org/webhooks/actionnetwork/acme", "https://example.org/webhooks/actionnetwork/acme/"} {
		r, err := actionnetwork.NewRequest(t.Context(), url, c, []byte("[]"))
		if err != nil {
			t.Fatal(err)
		}
		user, pass, ok := r.BasicAuth()
		if r.URL.Path != "/webhooks/actionnetwork/acme/"+token || r.Method != http.MethodPost || user != "an" || pass != "pw" || !ok {
			t.Errorf("NewRequest(%q) = %s %s, basic auth %q %q %v", url, r.Method, r.URL, user, pass, ok)
		}
	}
}
