package main

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/shopspring/decimal"
)

// api serves the read API and replays, behind a bearer token.
type api struct {
	store   donorsync.Store
	ingest  *donorsync.Ingester
	sources map[string]donorsync.Source
	token   [sha256.Size]byte
	logger  *slog.Logger

	reconciliation *reconciliation // nil when off
}

func (a *api) routes(mux *http.ServeMux) {
	mux.Handle("GET /api/{tenant}/contacts", a.auth(a.contacts))
	mux.Handle("GET /api/{tenant}/donations", a.auth(a.donations))
	mux.Handle("GET /api/{tenant}/commitments", a.auth(a.commitments))
	mux.Handle("GET /api/{tenant}/deliveries", a.auth(a.deliveries))
	mux.Handle("POST /api/{tenant}/deliveries/{id}/replay", a.auth(a.replay))
	mux.Handle("GET /api/{tenant}/reconciliation", a.auth(a.reconciliationStatus))
}

func (a *api) auth(next func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || subtle.ConstantTimeCompare(got[:], a.token[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="donorsync"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		if err := next(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// fail answers a request that next could not serve. Not found and bad
// requests say so; anything else is an internal error whose detail (a
// store's or a connection's message) is logged under a request id and
// never sent to the client.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, donorsync.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	case errors.Is(err, errBadRequest):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	default:
		id := requestID()
		a.logger.ErrorContext(r.Context(), "read API", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		body := map[string]string{"error": "internal error", "request_id": id}
		if d := r.PathValue("id"); d != "" {
			body["delivery_id"] = d
		}
		writeJSON(w, http.StatusInternalServerError, body)
	}
}

// requestID returns a random id that ties an answer to its log line.
func requestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var errBadRequest = errors.New("bad request")

// page reads ?after=&limit= (at most 1000).
func page(r *http.Request) (donorsync.Page, error) {
	p := donorsync.Page{After: r.URL.Query().Get("after"), Limit: 100}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return p, errors.Join(errBadRequest, errors.New("limit: want a whole number from 1 to 1000"))
		}
		p.Limit = n
	}
	return p, nil
}

type addressJSON struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type sourceJSON struct {
	Provider string `json:"provider"`
	DonorID  string `json:"donor_id,omitempty"`
}

type contactJSON struct {
	ID         string            `json:"id"`
	FirstName  string            `json:"first_name"`
	LastName   string            `json:"last_name"`
	Emails     []string          `json:"emails"`
	Phones     []string          `json:"phones"`
	Address    addressJSON       `json:"address"`
	Employer   string            `json:"employer"`
	Occupation string            `json:"occupation"`
	Custom     map[string]string `json:"custom_fields,omitempty"`
	Tags       []string          `json:"tags"`
	Sources    []sourceJSON      `json:"sources"`
}

func contactOut(c contact.Contact) contactJSON {
	out := contactJSON{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Emails: nonNil(c.Emails), Phones: []string{},
		Address:  addressJSON(c.Address),
		Employer: c.Employer, Occupation: c.Occupation, Custom: c.Custom, Tags: nonNil(c.Tags), Sources: []sourceJSON{},
	}
	for _, p := range c.Phones {
		if p.Number == "" {
			// No number could be read from it: as received.
			p.Number = p.Raw
		}
		out.Phones = append(out.Phones, p.Number)
	}
	for _, s := range c.Sources {
		out.Sources = append(out.Sources, sourceJSON(s))
	}
	return out
}

type donationJSON struct {
	ID             string `json:"id"`
	ContactID      string `json:"contact_id"`
	Provider       string `json:"provider"`
	ExternalID     string `json:"external_id"`
	OrderNumber    string `json:"order_number,omitempty"`
	Amount         string `json:"amount"`
	RefundedAmount string `json:"refunded_amount"`
	Currency       string `json:"currency"`
	Status         string `json:"status"`
	PaidAt         string `json:"paid_at,omitempty"`
	Recurring      bool   `json:"recurring"`
	CommitmentID   string `json:"commitment_id,omitempty"`
}

func donationOut(d donation.Donation) donationJSON {
	period := d.Recurrence.Period
	return donationJSON{
		ID: d.ID, ContactID: d.ContactID, Provider: d.Provider, ExternalID: d.ExternalID, OrderNumber: d.OrderNumber,
		Amount: amount(d.Amount), RefundedAmount: amount(d.Refunded), Currency: d.Currency,
		Status: string(d.Status), PaidAt: rfc3339(d.PaidAt),
		Recurring:    (period != "" && period != "once") || d.CommitmentID != "",
		CommitmentID: d.CommitmentID,
	}
}

type commitmentJSON struct {
	ID           string `json:"id"`
	ContactID    string `json:"contact_id"`
	Provider     string `json:"provider"`
	ExternalID   string `json:"external_id"`
	Status       string `json:"status"`
	Period       string `json:"period"`
	Amount       string `json:"amount"`
	Currency     string `json:"currency"`
	StartedAt    string `json:"started_at,omitempty"`
	CancelledAt  string `json:"cancelled_at,omitempty"`
	CancelReason string `json:"cancel_reason,omitempty"`
	Completed    int    `json:"completed"`
	Pledged      int    `json:"pledged"`
}

type deliveryJSON struct {
	ID         string `json:"id"`
	Provider   string `json:"provider"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	ReceivedAt string `json:"received_at"`
	Attempts   int    `json:"attempts"`
}

func deliveryOut(d *donorsync.Delivery) deliveryJSON {
	return deliveryJSON{ID: d.ID, Provider: d.Provider, Status: string(d.Status), Error: d.Error, ReceivedAt: rfc3339(d.ReceivedAt), Attempts: d.Attempts}
}

// amount writes an amount exactly as stored: with two decimals at least
// ("50.00", "25.90") and every further decimal it has ("25.775",
// "0.001"), never rounded.
func amount(d decimal.Decimal) string {
	if s := d.String(); strings.IndexByte(s, '.') >= 0 && len(s)-strings.IndexByte(s, '.') > 3 {
		return s
	}
	return d.StringFixed(2)
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// list answers a listing with its items and the cursor of the next page.
func list[T, J any](w http.ResponseWriter, items []T, id func(T) string, out func(T) J) {
	res := struct {
		Items []J    `json:"items"`
		Next  string `json:"next,omitempty"`
	}{Items: make([]J, 0, len(items))}
	for _, it := range items {
		res.Items = append(res.Items, out(it))
	}
	if len(items) > 0 {
		res.Next = id(items[len(items)-1])
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) contacts(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	var cs []contact.Contact
	if err := a.store.View(r.Context(), func(tx donorsync.Tx) error {
		cs, err = tx.Contacts(r.Context(), r.PathValue("tenant"), p)
		return err
	}); err != nil {
		return err
	}
	list(w, cs, func(c contact.Contact) string { return c.ID }, contactOut)
	return nil
}

func (a *api) donations(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	var ds []donation.Donation
	if err := a.store.View(r.Context(), func(tx donorsync.Tx) error {
		ds, err = tx.Donations(r.Context(), r.PathValue("tenant"), p)
		return err
	}); err != nil {
		return err
	}
	list(w, ds, func(d donation.Donation) string { return d.ID }, donationOut)
	return nil
}

func (a *api) commitments(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	var cs []donation.Commitment
	if err := a.store.View(r.Context(), func(tx donorsync.Tx) error {
		cs, err = tx.Commitments(r.Context(), r.PathValue("tenant"), p)
		return err
	}); err != nil {
		return err
	}
	list(w, cs, func(c donation.Commitment) string { return c.ID }, func(c donation.Commitment) commitmentJSON {
		return commitmentJSON{
			ID: c.ID, ContactID: c.ContactID, Provider: c.Provider, ExternalID: c.ExternalID, Status: string(c.Status),
			Period: c.Period, Amount: amount(c.Amount), Currency: c.Currency, StartedAt: rfc3339(c.StartedAt),
			CancelledAt: rfc3339(c.CancelledAt), CancelReason: c.CancelReason, Completed: c.Completed, Pledged: c.Pledged,
		}
	})
	return nil
}

func (a *api) deliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	f := donorsync.DeliveryFilter{Page: p, Status: donorsync.DeliveryStatus(r.URL.Query().Get("status"))}
	var ds []*donorsync.Delivery
	if err := a.store.View(r.Context(), func(tx donorsync.Tx) error {
		ds, err = tx.Deliveries(r.Context(), r.PathValue("tenant"), f)
		return err
	}); err != nil {
		return err
	}
	list(w, ds, func(d *donorsync.Delivery) string { return d.ID }, deliveryOut)
	return nil
}

func (a *api) replay(w http.ResponseWriter, r *http.Request) error {
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	var d *donorsync.Delivery
	if err := a.store.View(r.Context(), func(tx donorsync.Tx) error {
		var err error
		d, err = tx.Delivery(r.Context(), tenant, id)
		return err
	}); err != nil {
		return err
	}
	src, ok := a.sources[d.Provider]
	if !ok {
		return errors.Join(errBadRequest, errors.New("no source for provider "+d.Provider))
	}
	d, err := a.ingest.Replay(r.Context(), src, tenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryOut(d))
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
