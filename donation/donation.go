// Package donation holds the money side of a donor's history: donations,
// the adjustments that follow them (refunds, voids, chargebacks, ...),
// recurring commitments, and Event, the normalised form in which provider
// packages describe a delivery.
//
// A donation's status is never stored from a delivery directly: it is
// derived from the set of its adjustments (see Derive), so that it does
// not depend on the order in which deliveries arrive.
//
// In JSON (the change feed, the SQL stores' data columns) the fields of
// the types here are named in snake case, amounts are exact decimal
// strings, and a field without a value is left out.
package donation

import (
	"maps"
	"slices"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/shopspring/decimal"
)

// Status is the state of a donation.
type Status string

// Donation statuses. Completed, Pending and Declined come from the
// platform; the others are derived from adjustments.
const (
	Completed          Status = "completed"
	Pending            Status = "pending"
	Declined           Status = "declined"
	Refunded           Status = "refunded"
	PartiallyRefunded  Status = "partially_refunded"
	Voided             Status = "voided"
	ChargedBack        Status = "charged_back"
	ChargebackReversed Status = "chargeback_reversed"
	ACHReturned        Status = "ach_returned"
)

// A Donation is one gift: for ActBlue one line item, for Anedot one
// donation, for Action Network one osdi:donation.
//
// Its natural key is (Tenant, Provider, ExternalID).
type Donation struct {
	ID         string `json:"id"` // assigned by the engine
	Tenant     string `json:"tenant"`
	Provider   string `json:"provider"`
	ExternalID string `json:"external_id"`          // the platform's id: ActBlue line item id, never the order number alone
	ContactID  string `json:"contact_id,omitempty"` // the donor, once matched

	OrderNumber string              `json:"order_number,omitempty"` // the checkout that groups line items (ActBlue orderNumber)
	Amount      decimal.Decimal     `json:"amount"`                 // gross amount as received
	Currency    string              `json:"currency,omitempty"`     // ISO 4217, upper case
	Net         decimal.NullDecimal `json:"net,omitzero"`
	Fees        decimal.NullDecimal `json:"fees,omitzero"`
	PaidAt      time.Time           `json:"paid_at,omitzero"`    // UTC
	CreatedAt   time.Time           `json:"created_at,omitzero"` // UTC, when the platform created it

	RecipientID   string `json:"recipient_id,omitempty"`   // ActBlue entity id, Anedot account, Action Network sponsor
	RecipientName string `json:"recipient_name,omitempty"` // committee or organisation name
	FECID         string `json:"fec_id,omitempty"`

	Form     string            `json:"form,omitempty"`     // the form or page given
	Fund     string            `json:"fund,omitempty"`     // the fund or designation, where the platform has them
	Origin   string            `json:"origin,omitempty"`   // how the gift was made: "hosted" (a form), "recurring" (a schedule), ...
	Refcodes map[string]string `json:"refcodes,omitempty"` // tracking codes by name
	Custom   map[string]string `json:"custom,omitempty"`   // answers to form questions by label

	Recurrence   Recurrence `json:"recurrence,omitzero"`
	CommitmentID string     `json:"commitment_id,omitempty"` // external id of the commitment this gift belongs to, if any

	Payment Payment `json:"payment,omitzero"`

	// PlatformStatus is the status the platform gave (completed, pending,
	// declined); Status is derived from it and from the adjustments.
	PlatformStatus Status          `json:"platform_status,omitempty"`
	Status         Status          `json:"status"`
	Refunded       decimal.Decimal `json:"refunded_amount,omitzero"` // sum of refunds, never more than Amount
	SettledAt      time.Time       `json:"settled_at,omitzero"`      // when the platform settled the funds (first settlement); zero if not reported

	DeliveryID string    `json:"delivery_id,omitempty"` // the journaled delivery that last contributed to this record
	SourceTime time.Time `json:"source_time,omitzero"`  // the newest platform time of the data merged in
	UpdatedAt  time.Time `json:"updated_at,omitzero"`   // engine clock

	// Seen holds, for each value seen before SourceTime, the time it was
	// seen, keyed by the field's name in snake case ("order_number",
	// "refcodes.refcode", "recurrence.sequence"): the values of an
	// observation that a newer one lacks. Merge keeps it; it is empty
	// while every value was seen at SourceTime.
	Seen map[string]time.Time `json:"seen,omitempty"`
}

// Recurrence describes a donation's place in a recurring gift.
type Recurrence struct {
	Period   string `json:"period,omitempty"`   // "once", "weekly", "monthly", ...; "" when unknown
	Duration string `json:"duration,omitempty"` // number of periods pledged, or "infinite"; "" when unknown
	Sequence int    `json:"sequence"`           // recurrence number as the platform counts it
	Valid    bool   `json:"valid,omitempty"`    // whether Sequence was given
}

// Payment holds flags about how a donation was paid.
type Payment struct {
	Method    string `json:"method,omitempty"`    // "credit_card", "paypal", "ach", ...
	Reference string `json:"reference,omitempty"` // payment id or reference number
	PayPal    bool   `json:"paypal,omitempty"`
	Mobile    bool   `json:"mobile,omitempty"`
	Express   bool   `json:"express,omitempty"`      // the donor used a saved-payment service (ActBlue Express)
	ExpressLn bool   `json:"express_lane,omitempty"` // one-click gift (ActBlue Express Lane)
}

// Clone returns a deep copy of d.
func (d Donation) Clone() Donation {
	d.Refcodes = maps.Clone(d.Refcodes)
	d.Custom = maps.Clone(d.Custom)
	d.Seen = maps.Clone(d.Seen)
	return d
}

// Key returns the natural key of d within its tenant.
func (d Donation) Key() string { return d.Provider + "/" + d.ExternalID }

// Merge folds another observation of the same donation into d. Platforms
// treat a donation as immutable, so observations agree; where they do
// not, each field takes the value of the observation with the newer
// source time (on equal times the greater value), and a missing value
// never erases a known one. A value keeps the time it was seen although a
// newer observation lacks it (see Seen): the result is the same in every
// order of merges. The ID and ContactID are kept when set.
func (d *Donation) Merge(in Donation) {
	m := newFieldMerge(d.SourceTime, in.SourceTime, d.Seen, in.Seen)
	m.text("tenant", &d.Tenant, in.Tenant)
	m.text("provider", &d.Provider, in.Provider)
	m.text("external_id", &d.ExternalID, in.ExternalID)
	if d.ContactID == "" {
		d.ContactID = in.ContactID
	}
	m.text("order_number", &d.OrderNumber, in.OrderNumber)
	m.amount("amount", &d.Amount, in.Amount)
	m.text("currency", &d.Currency, in.Currency)
	m.nullAmount("net", &d.Net, in.Net)
	m.nullAmount("fees", &d.Fees, in.Fees)
	m.time("paid_at", &d.PaidAt, in.PaidAt)
	m.time("created_at", &d.CreatedAt, in.CreatedAt)
	m.text("recipient_id", &d.RecipientID, in.RecipientID)
	m.text("recipient_name", &d.RecipientName, in.RecipientName)
	m.text("fec_id", &d.FECID, in.FECID)
	m.text("form", &d.Form, in.Form)
	m.text("fund", &d.Fund, in.Fund)
	m.text("origin", &d.Origin, in.Origin)
	d.Refcodes = m.texts("refcodes.", d.Refcodes, in.Refcodes)
	d.Custom = m.texts("custom.", d.Custom, in.Custom)
	m.text("recurrence.period", &d.Recurrence.Period, in.Recurrence.Period)
	m.text("recurrence.duration", &d.Recurrence.Duration, in.Recurrence.Duration)
	greater := func() bool { return in.Recurrence.Sequence > d.Recurrence.Sequence }
	if m.take("recurrence.sequence", "", in.Recurrence.Valid, d.Recurrence.Valid, greater) {
		d.Recurrence.Sequence, d.Recurrence.Valid = in.Recurrence.Sequence, true
	}
	m.text("commitment_id", &d.CommitmentID, in.CommitmentID)
	m.text("payment.method", &d.Payment.Method, in.Payment.Method)
	m.text("payment.reference", &d.Payment.Reference, in.Payment.Reference)
	d.Payment.PayPal = d.Payment.PayPal || in.Payment.PayPal
	d.Payment.Mobile = d.Payment.Mobile || in.Payment.Mobile
	d.Payment.Express = d.Payment.Express || in.Payment.Express
	d.Payment.ExpressLn = d.Payment.ExpressLn || in.Payment.ExpressLn
	status := string(d.PlatformStatus)
	m.text("platform_status", &status, string(in.PlatformStatus))
	d.PlatformStatus = Status(status)
	if in.DeliveryID != "" && (d.DeliveryID == "" || latest(in.SourceTime, d.SourceTime, in.DeliveryID > d.DeliveryID)) {
		d.DeliveryID = in.DeliveryID
	}
	d.SourceTime, d.Seen = m.newest, m.seen
}

// AdjustmentKind names what happened to a donation after it was made.
type AdjustmentKind string

// Adjustment kinds.
const (
	Refund             AdjustmentKind = "refund"
	PartialRefund      AdjustmentKind = "partial_refund"
	Void               AdjustmentKind = "void"
	Chargeback         AdjustmentKind = "chargeback"
	ChargebackReversal AdjustmentKind = "chargeback_reversal"
	ACHReturn          AdjustmentKind = "ach_return"
	// Settlement records that the funds were settled; it does not change
	// the status.
	Settlement AdjustmentKind = "settlement"
)

// An Adjustment is one change to a donation reported by the platform. Its
// natural key is (Tenant, Provider, Key); DonationID is the external id of
// the donation it adjusts, which may arrive before the donation itself.
type Adjustment struct {
	Tenant     string          `json:"tenant"`
	Provider   string          `json:"provider"`
	Key        string          `json:"key"`         // unique per adjustment within the provider
	DonationID string          `json:"donation_id"` // external id of the donation
	Kind       AdjustmentKind  `json:"kind"`
	Amount     decimal.Decimal `json:"amount,omitzero"` // positive amount moved back to the donor; zero when not given
	At         time.Time       `json:"at,omitzero"`     // UTC, when the platform made the change
	DeliveryID string          `json:"delivery_id,omitempty"`
}

// Derive computes a donation's status and refunded amount from the status
// its platform gave and from its adjustments, in any order.
//
// Precedence: voided, ACH returned, charged back (unless every chargeback
// was reversed), refunded (refunds reach the amount, or a full refund
// without amount), partially refunded, chargeback reversed, then the
// platform status (completed by default). The refunded amount is the sum
// of refund amounts, capped at the donation amount; a full refund with no
// amount counts as the whole donation.
func Derive(platform Status, amount decimal.Decimal, adjs []Adjustment) (Status, decimal.Decimal) {
	var refunded decimal.Decimal
	var void, ach, full bool
	chargebacks, reversals := 0, 0
	for _, a := range adjs {
		switch a.Kind {
		case Void:
			void = true
		case ACHReturn:
			ach = true
		case Chargeback:
			chargebacks++
		case ChargebackReversal:
			reversals++
		case Refund:
			if a.Amount.IsZero() {
				full = true
			}
			refunded = refunded.Add(a.Amount.Abs())
		case PartialRefund:
			refunded = refunded.Add(a.Amount.Abs())
		}
	}
	if full || (amount.IsPositive() && refunded.GreaterThanOrEqual(amount)) {
		full, refunded = true, amount
	}
	switch {
	case void:
		return Voided, refunded
	case ach:
		return ACHReturned, refunded
	case chargebacks > reversals:
		return ChargedBack, refunded
	case full:
		return Refunded, refunded
	case refunded.IsPositive():
		return PartiallyRefunded, refunded
	case chargebacks > 0:
		return ChargebackReversed, refunded
	case platform != "":
		return platform, refunded
	}
	return Completed, refunded
}

// SettledAt returns the time of the earliest settlement among adjs, or the
// zero time.
func SettledAt(adjs []Adjustment) time.Time {
	var at time.Time
	for _, a := range adjs {
		if a.Kind == Settlement {
			at = minTime(at, a.At)
		}
	}
	return at
}

// CommitmentStatus is the state of a recurring gift.
type CommitmentStatus string

// Commitment statuses.
const (
	Active    CommitmentStatus = "active"
	Cancelled CommitmentStatus = "cancelled"
	Failed    CommitmentStatus = "failed"
)

// A Commitment is a recurring gift: the donor's promise to give on a
// schedule. Its natural key is (Tenant, Provider, ExternalID): for ActBlue
// the order number shared by every recurrence.
type Commitment struct {
	ID         string `json:"id"` // assigned by the engine
	Tenant     string `json:"tenant"`
	Provider   string `json:"provider"`
	ExternalID string `json:"external_id"`
	ContactID  string `json:"contact_id,omitempty"`

	Period   string          `json:"period,omitempty"` // "weekly", "monthly", ...
	Amount   decimal.Decimal `json:"amount"`           // per recurrence
	Currency string          `json:"currency,omitempty"`

	StartedAt     time.Time `json:"started_at,omitzero"`
	CancelledAt   time.Time `json:"cancelled_at,omitzero"`    // the earliest cancellation reported
	FailedAt      time.Time `json:"failed_at,omitzero"`       // the latest failure reported
	LastChargedAt time.Time `json:"last_charged_at,omitzero"` // the latest successful charge reported
	Completed     int       `json:"completed,omitempty"`      // recurrences completed, the highest count reported
	Pledged       int       `json:"pledged,omitempty"`        // recurrences pledged; 0 when open-ended

	CancelReason string `json:"cancel_reason,omitempty"` // the platform's reason
	CancelledBy  string `json:"cancelled_by,omitempty"`  // who cancelled, as the platform says
	FailReason   string `json:"fail_reason,omitempty"`   // the payment processor's message

	Status     CommitmentStatus `json:"status"`               // derived: see Commitment.Derive
	SourceTime time.Time        `json:"source_time,omitzero"` // the newest platform time of the data merged in
	UpdatedAt  time.Time        `json:"updated_at,omitzero"`

	// Seen holds, for each value seen before SourceTime, the time it was
	// seen, keyed by the field's name in snake case ("period",
	// "fail_reason"), as Donation.Seen does.
	Seen map[string]time.Time `json:"seen,omitempty"`
}

// Merge folds another observation of the same commitment into c. Times
// and counts combine by minimum or maximum, so the result is the same in
// every order; other fields take the value of the observation with the
// newer source time, on equal times the greater value, each keeping the
// time it was seen although a newer observation lacks it (see Seen).
func (c *Commitment) Merge(in Commitment) {
	m := newFieldMerge(c.SourceTime, in.SourceTime, c.Seen, in.Seen)
	m.text("tenant", &c.Tenant, in.Tenant)
	m.text("provider", &c.Provider, in.Provider)
	m.text("external_id", &c.ExternalID, in.ExternalID)
	if c.ContactID == "" {
		c.ContactID = in.ContactID
	}
	m.text("period", &c.Period, in.Period)
	m.amount("amount", &c.Amount, in.Amount)
	m.text("currency", &c.Currency, in.Currency)
	c.StartedAt = minTime(c.StartedAt, in.StartedAt)
	c.CancelledAt = minTime(c.CancelledAt, in.CancelledAt)
	c.FailedAt = maxTime(c.FailedAt, in.FailedAt)
	c.LastChargedAt = maxTime(c.LastChargedAt, in.LastChargedAt)
	c.Completed = max(c.Completed, in.Completed)
	c.Pledged = max(c.Pledged, in.Pledged)
	m.text("cancel_reason", &c.CancelReason, in.CancelReason)
	m.text("cancelled_by", &c.CancelledBy, in.CancelledBy)
	m.text("fail_reason", &c.FailReason, in.FailReason)
	c.SourceTime, c.Seen = m.newest, m.seen
	c.Status = c.Derive()
}

// Clone returns a deep copy of c.
func (c Commitment) Clone() Commitment {
	c.Seen = maps.Clone(c.Seen)
	return c
}

// Derive returns the commitment's status: cancelled once any cancellation
// is known; failed when the latest failure is newer than the latest
// successful charge; active otherwise.
func (c Commitment) Derive() CommitmentStatus {
	switch {
	case !c.CancelledAt.IsZero():
		return Cancelled
	case !c.FailedAt.IsZero() && c.FailedAt.After(c.LastChargedAt):
		return Failed
	}
	return Active
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// An Event is what a provider package decodes from a delivery: one
// normalised fact about a donor and their money. Every part is optional;
// the engine applies the parts present, in one transaction.
type Event struct {
	// At is the platform's time for the facts in the event; it orders
	// contact fields (newest wins).
	At time.Time

	// Contact is the donor as the delivery describes them, normalised.
	Contact *contact.Contact

	// Donation is the gift described, if any.
	Donation *Donation

	// Adjustments change Donation (or, when Donation is nil, the donation
	// they name, which may arrive later).
	Adjustments []Adjustment

	// Commitment is the recurring gift described, if any.
	Commitment *Commitment

	// Activities are actions the contact took, recorded on the contact.
	// They need Contact.
	Activities []contact.Activity
}

// SortAdjustments orders adjustments by key, the order stores return them in.
func SortAdjustments(adjs []Adjustment) {
	slices.SortFunc(adjs, func(a, b Adjustment) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
}
