package admin

import (
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/shopspring/decimal"
)

// The JSON shapes of the read API. Times are RFC 3339 in UTC; amounts
// are strings, exactly as stored.

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

	// A contact by id only.
	Activities []activityJSON `json:"activities,omitempty"`
}

func contactOut(c contact.Contact) contactJSON {
	out := contactJSON{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Emails: nonNil(c.Emails), Phones: phones(c),
		Address:  addressJSON(c.Address),
		Employer: c.Employer, Occupation: c.Occupation, Custom: c.Custom, Tags: nonNil(c.Tags), Sources: []sourceJSON{},
	}
	for _, s := range c.Sources {
		out.Sources = append(out.Sources, sourceJSON(s))
	}
	return out
}

// phones lists a contact's phones normalised, or as received when no
// number could be read from them.
func phones(c contact.Contact) []string {
	out := []string{}
	for _, p := range c.Phones {
		if p.Number == "" {
			p.Number = p.Raw
		}
		out = append(out, p.Number)
	}
	return out
}

type activityJSON struct {
	Provider   string `json:"provider"`
	Key        string `json:"key"`
	Type       string `json:"type"`
	Action     string `json:"action,omitempty"`
	At         string `json:"at,omitempty"`
	DeliveryID string `json:"delivery_id,omitempty"`
}

func activityOut(a contact.Activity) activityJSON {
	return activityJSON{Provider: a.Provider, Key: a.Key, Type: a.Type, Action: a.Action, At: rfc3339(a.At), DeliveryID: a.DeliveryID}
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
	return donationJSON{
		ID: d.ID, ContactID: d.ContactID, Provider: d.Provider, ExternalID: d.ExternalID, OrderNumber: d.OrderNumber,
		Amount: amount(d.Amount), RefundedAmount: amount(d.Refunded), Currency: d.Currency,
		Status: string(d.Status), PaidAt: rfc3339(d.PaidAt),
		Recurring: recurring(d), CommitmentID: d.CommitmentID,
	}
}

// recurring reports whether d is part of a recurring gift.
func recurring(d donation.Donation) bool {
	period := d.Recurrence.Period
	return (period != "" && period != "once") || d.CommitmentID != ""
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

func commitmentOut(c donation.Commitment) commitmentJSON {
	return commitmentJSON{
		ID: c.ID, ContactID: c.ContactID, Provider: c.Provider, ExternalID: c.ExternalID, Status: string(c.Status),
		Period: c.Period, Amount: amount(c.Amount), Currency: c.Currency, StartedAt: rfc3339(c.StartedAt),
		CancelledAt: rfc3339(c.CancelledAt), CancelReason: c.CancelReason, Completed: c.Completed, Pledged: c.Pledged,
	}
}

type deliveryJSON struct {
	ID            string `json:"id"`
	Provider      string `json:"provider"`
	Kind          string `json:"kind,omitempty"`
	Key           string `json:"key"`
	Status        string `json:"status"`
	DuplicateOf   string `json:"duplicate_of,omitempty"`
	Error         string `json:"error,omitempty"`
	ReceivedAt    string `json:"received_at"`
	UpdatedAt     string `json:"updated_at,omitempty"`
	Attempts      int    `json:"attempts"`
	NextAttemptAt string `json:"next_attempt_at,omitempty"`
	// History holds the outcomes of the attempts before the last.
	History []attemptJSON `json:"history,omitempty"`

	// A delivery by id with ?body=1 only: the body, its personal data
	// masked unless ?unmask=1, or why it is withheld (a body that is
	// neither JSON nor a report's CSV cannot be masked).
	Body         *string `json:"body,omitempty"`
	BodyMasked   bool    `json:"body_masked,omitempty"`
	BodyWithheld string  `json:"body_withheld,omitempty"`
}

func deliveryOut(d *donorsync.Delivery) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, Provider: d.Provider, Kind: d.Kind, Key: d.Key, Status: string(d.Status), DuplicateOf: d.DuplicateOf,
		Error: d.Error, ReceivedAt: rfc3339(d.ReceivedAt), UpdatedAt: rfc3339(d.UpdatedAt), Attempts: d.Attempts,
	}
	if due(d) {
		out.NextAttemptAt = rfc3339(d.NextAttemptAt)
	}
	for _, a := range d.History {
		out.History = append(out.History, attemptJSON{At: rfc3339(a.At), Status: string(a.Status), Error: a.Error})
	}
	return out
}

// attemptJSON is an earlier attempt of a delivery.
type attemptJSON struct {
	At     string `json:"at"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// due reports whether d waits for an attempt, at d.NextAttemptAt.
func due(d *donorsync.Delivery) bool {
	return (d.Status == donorsync.Pending || d.Status == donorsync.Failed) && !d.NextAttemptAt.IsZero()
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
