package anedot

import (
	"fmt"
	"strings"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
	"github.com/shopspring/decimal"
)

// Provider is the provider name Anedot records carry.
const Provider = "anedot"

// Event names Anedot sends.
const (
	SubmissionCreated          = "submission_created"
	DonationCompleted          = "donation_completed"
	DonationRefunded           = "donation_refunded"
	DonationPartiallyRefunded  = "donation_partially_refunded"
	DonationVoided             = "donation_voided"
	DonationChargeback         = "donation_chargeback"
	DonationChargebackReversed = "donation_chargeback_reversed"
	DonationACHReturned        = "donation_ach_returned"
	DonationSettled            = "settlement_date"
	CommitmentCreated          = "commitment_created"
	CommitmentUpdated          = "commitment_updated"
	CommitmentFailedToProcess  = "commitment_failed_to_process"
)

// adjustmentKinds maps donation events to the adjustments they record.
var adjustmentKinds = map[string]donation.AdjustmentKind{
	DonationRefunded:           donation.Refund,
	DonationPartiallyRefunded:  donation.PartialRefund,
	DonationVoided:             donation.Void,
	DonationChargeback:         donation.Chargeback,
	DonationChargebackReversed: donation.ChargebackReversal,
	DonationACHReturned:        donation.ACHReturn,
	DonationSettled:            donation.Settlement,
}

// A Payload is a decoded delivery: the event and its payload, decoded into
// the template the event uses (exactly one of Submission, Donation and
// Commitment is set, none for an event this package does not know), and
// the payload's raw bytes for attributes of a customised template.
type Payload struct {
	Event      string
	Raw        []byte // the payload object as received
	Submission *Submission
	Donation   *Donation
	Commitment *Commitment
}

// Parse decodes a delivery body with the standard templates (a Source
// reads an account's renamed attributes, see Options.Rename). It returns a
// *flex.SyntaxError naming the byte offset for a body that is not JSON (as
// the "Commitment Failed to Process" example of Anedot's documentation,
// with characters after a value), and a *flex.Error naming the attribute
// for a value of the wrong form.
func Parse(body []byte) (*Payload, error) {
	return parse(body, &standard)
}

// Key returns the delivery's idempotency key: the event name, the object
// id and its updated_at; "" for an event this package does not know or an
// object without its id.
func (p *Payload) Key() string {
	switch {
	case p.Submission != nil && p.Submission.ID.Valid:
		return key(p.Event, p.Submission.ID.Value, p.Submission.UpdatedAt)
	case p.Donation != nil && p.Donation.Donation.ID.Valid:
		return key(p.Event, p.Donation.Donation.ID.Value, p.Donation.UpdatedAt)
	case p.Commitment != nil && p.Commitment.ID.Valid:
		return key(p.Event, p.Commitment.ID.Value, p.Commitment.UpdatedAt)
	}
	return ""
}

// Events maps p to events: the person of the payload, with the donations
// of a submission, the donation of a donation event and its adjustment
// (refund, void, chargeback, ...), or the commitment of a commitment
// event. An event this package does not know gives no event. It returns a
// *flex.Error when the object lacks its id.
func (p *Payload) Events() ([]donation.Event, error) {
	switch {
	case p.Submission != nil:
		return p.Submission.events(p.Event)
	case p.Donation != nil:
		return p.Donation.events(p.Event)
	case p.Commitment != nil:
		return p.Commitment.events(p.Event)
	}
	return nil, nil
}

// Person holds the donor attributes every template carries.
type Person struct {
	FirstName                  flex.String `json:"first_name"`
	MiddleName                 flex.String `json:"middle_name"`
	LastName                   flex.String `json:"last_name"`
	Suffix                     flex.String `json:"suffix"`
	Title                      flex.String `json:"title"`
	Email                      flex.String `json:"email"`
	Phone                      flex.String `json:"phone"`
	AddressLine1               flex.String `json:"address_line_1"`
	AddressLine2               flex.String `json:"address_line_2"`
	AddressCity                flex.String `json:"address_city"`
	AddressRegion              flex.String `json:"address_region"`
	AddressPostalCode          flex.String `json:"address_postal_code"`
	AddressCountry             flex.String `json:"address_country"`
	EmployerName               flex.String `json:"employer_name"`
	Occupation                 flex.String `json:"occupation"`
	CurrentlyEmployed          flex.Bool   `json:"currently_employed"`
	CommunicationsConsentEmail flex.Bool   `json:"communications_consent_email"`
	CommunicationsConsentPhone flex.Bool   `json:"communications_consent_phone"`
	DonorProfileID             flex.ID     `json:"donor_profile_id"`
	IPAddress                  flex.String `json:"ip_address"`
}

// Page holds the attributes of the action page a payload came from.
type Page struct {
	AccountName    flex.String `json:"account_name"`
	AccountUID     flex.ID     `json:"account_uid"`
	ActionPageID   flex.String `json:"action_page_id"`
	ActionPageName flex.String `json:"action_page_name"`
	Referrer       flex.String `json:"referrer"`
	ReferrerToForm flex.String `json:"referrer_to_form"`
}

// Submission is the Submission template: a lead, with the donations made
// on the submitted page.
type Submission struct {
	Person
	Page
	ID                   flex.ID              `json:"id"`
	CardType             flex.String          `json:"card_type"`
	CardLastDigits       flex.String          `json:"card_last_digits"`
	CardExpiration       flex.String          `json:"card_expiration"`
	CreatedAt            flex.Time            `json:"created_at"`
	UpdatedAt            flex.Time            `json:"updated_at"`
	CustomFieldResponses CustomFields         `json:"custom_field_responses"`
	DonationAmount       flex.Money           `json:"donation_amount"`
	Donations            []SubmissionDonation `json:"donations"`
	PaymentMethodType    flex.String          `json:"payment_method_type"`
	ProductCode          flex.String          `json:"product_code"`
	ProductID            flex.String          `json:"product_id"`
	ProductName          flex.String          `json:"product_name"`
	ProductValue         flex.String          `json:"product_value"`
	SourceCode           flex.String          `json:"source_code"`
	UTMCampaign          flex.String          `json:"utm_campaign"`
	UTMContent           flex.String          `json:"utm_content"`
	UTMMedium            flex.String          `json:"utm_medium"`
	UTMSource            flex.String          `json:"utm_source"`
	UTMTerm              flex.String          `json:"utm_term"`
}

// SubmissionDonation is one gift within a submission, to one fund.
type SubmissionDonation struct {
	ID              flex.ID    `json:"id"`
	Fees            Fees       `json:"fees"`
	FeesPaidByDonor flex.Bool  `json:"fees_paid_by_donor"`
	Fund            Fund       `json:"fund"`
	GrossAmount     flex.Money `json:"gross_amount"`
	NetAmount       flex.Money `json:"net_amount"`
	Product         Product    `json:"product"`
}

// Fees are what Anedot and payment vendors kept from a gift.
type Fees struct {
	AnedotFees Fee   `json:"anedot_fees"`
	VendorFees []Fee `json:"vendor_fees"`
}

// Fee is one fee amount.
type Fee struct {
	Amount flex.Money  `json:"amount"`
	Name   flex.String `json:"name"`
}

// Fund is the designation a gift goes to.
type Fund struct {
	ID         flex.String `json:"id"`
	Identifier flex.String `json:"identifier"`
	Name       flex.String `json:"name"`
}

// Product is an item sold with a gift.
type Product struct {
	InternalIdentifier flex.String `json:"internal_identifier"`
	Name               flex.String `json:"name"`
}

// Donation is the Donation template: one gift or payment, sent for
// donation_* events and the settlement event.
type Donation struct {
	Person
	Page
	SubmissionID             flex.ID        `json:"submission_id"`
	Donation                 DonationDetail `json:"donation"`
	Origin                   flex.String    `json:"origin"`
	CommitmentUID            flex.ID        `json:"commitment_uid"`
	EventAmount              flex.Money     `json:"event_amount"`
	AmountInDollars          flex.Money     `json:"amount_in_dollars"`
	NetAmount                flex.Money     `json:"net_amount"`
	Frequency                flex.String    `json:"frequency"`
	PaymentMethodID          flex.String    `json:"payment_method_id"`
	CreatedAt                flex.Time      `json:"created_at"`
	UpdatedAt                flex.Time      `json:"updated_at"`
	CustomFieldResponses     CustomFields   `json:"custom_field_responses"`
	CheckNumber              flex.String    `json:"check_number"`
	CommitmentRecurringUntil flex.String    `json:"commitment_recurring_until"`
	Date                     flex.Time      `json:"date"`
	Name                     flex.String    `json:"name"`
	PaymentDescription       flex.String    `json:"payment_description"`
	Recurring                flex.Bool      `json:"recurring"`
	IsRecurringCommitment    flex.Bool      `json:"is_recurring_commitment"`
	Source                   flex.String    `json:"source"`
	Status                   flex.String    `json:"status"`
}

// DonationDetail is the donation object inside the Donation template.
type DonationDetail struct {
	ID              flex.ID     `json:"id"`
	DonationProject flex.String `json:"donation_project"`
	Products        []Product   `json:"products"`
	Fees            Fees        `json:"fees"`
}

// Commitment is the Commitment template: a recurring gift, sent for
// commitment_* events.
type Commitment struct {
	Person
	Page
	ID                   flex.ID          `json:"id"`
	TotalAmountInDollars flex.Money       `json:"total_amount_in_dollars"`
	FundAllocations      []FundAllocation `json:"fund_allocations"`
	NextCaptureOn        flex.Time        `json:"next_capture_on"`
	CancelledOn          flex.Time        `json:"cancelled_on"`
	ExpiredOn            flex.Time        `json:"expired_on"`
	FailedOn             flex.Time        `json:"failed_on"`
	PausedOn             flex.Time        `json:"paused_on"`
	Token                flex.String      `json:"token"`
	Frequency            flex.String      `json:"frequency"`
	PaymentMethodID      flex.String      `json:"payment_method_id"`
	SubmissionID         flex.ID          `json:"submission_id"`
	CreatedAt            flex.Time        `json:"created_at"`
	UpdatedAt            flex.Time        `json:"updated_at"`
	PaymentStatusMessage flex.String      `json:"payment_status_message"`
	ChangedAttributes    Changes          `json:"changed_attributes"`
	CancellationReason   flex.String      `json:"cancellation_reason"`
	Whodunnit            flex.String      `json:"whodunnit"`
}

// Changes are the attributes a commitment_updated event changed, as raw
// JSON by attribute: each is [old, new] in the documents, but its values
// have any type.
type Changes map[string][]byte

// FundAllocation is the share of a commitment that goes to one fund.
type FundAllocation struct {
	AmountInDollars flex.Money `json:"amount_in_dollars"`
	Fund            Fund       `json:"fund"`
}

// CustomFields are the answers to an action page's custom fields, by
// field name. Values that are not strings (lists from check boxes) are
// kept as their JSON text.
type CustomFields map[string]string

func key(event, id string, updated flex.Time) string {
	k := event + ":" + id
	if updated.Valid {
		k += ":" + updated.Time.Format(time.RFC3339Nano)
	}
	return k
}

func missing(field, want string) error {
	return &flex.Error{Field: "payload." + field, Value: "absent", Want: want}
}

// sourceTime is the platform time of a payload: updated_at, else created_at.
func sourceTime(updated, created flex.Time) time.Time {
	if updated.Valid {
		return updated.Wall(nil)
	}
	return created.Wall(nil)
}

func (p *Person) contact(custom CustomFields) *contact.Contact {
	c := &contact.Contact{
		FirstName: p.FirstName.Value, MiddleName: p.MiddleName.Value, LastName: p.LastName.Value, Suffix: p.Suffix.Value,
		Email: p.Email.Value, Phone: p.Phone.Value,
		Address: contact.Address{
			Line1: p.AddressLine1.Value, Line2: p.AddressLine2.Value, City: p.AddressCity.Value,
			State: p.AddressRegion.Value, PostalCode: p.AddressPostalCode.Value, Country: p.AddressCountry.Value,
		},
		Employer: p.EmployerName.Value, Occupation: p.Occupation.Value,
		Sources: []contact.Source{{Provider: Provider, DonorID: p.DonorProfileID.Value}},
	}
	if len(custom) > 0 {
		c.Custom = make(map[string]string, len(custom))
		for k, v := range custom {
			c.Custom[k] = v
		}
	}
	c.Normalize()
	return c
}

func (s *Submission) events(event string) ([]donation.Event, error) {
	if !s.ID.Valid {
		return nil, missing("id", "the submission id")
	}
	at := sourceTime(s.UpdatedAt, s.CreatedAt)
	// Each donation's event carries a copy of the person, custom fields
	// included: within the budget of values as copied.
	if err := flex.CheckCopies("payload.donations", len(s.Donations), len(s.CustomFieldResponses)+1, "the custom fields"); err != nil {
		return nil, err
	}
	person := s.Person.contact(s.CustomFieldResponses)
	if len(s.Donations) == 0 {
		return []donation.Event{{At: at, Contact: person}}, nil
	}
	events := make([]donation.Event, 0, len(s.Donations))
	for i, sd := range s.Donations {
		if !sd.ID.Valid {
			return nil, missing(fmt.Sprintf("donations[%d].id", i), "the donation id")
		}
		d := &donation.Donation{
			ExternalID: sd.ID.Value,
			Amount:     sd.GrossAmount.Amount,
			Currency:   "USD",
			CreatedAt:  s.CreatedAt.Wall(nil),
			PaidAt:     s.CreatedAt.Wall(nil),
			Fund:       sd.Fund.Name.Value,
			Form:       s.ActionPageName.Value,
			Payment:    donation.Payment{Method: s.PaymentMethodType.Value},
		}
		if sd.NetAmount.Valid {
			d.Net = decimal.NewNullDecimal(sd.NetAmount.Amount)
		}
		if fees, ok := sd.Fees.total(); ok {
			d.Fees = decimal.NewNullDecimal(fees)
		}
		d.Refcodes = s.refcodes()
		d.RecipientID, d.RecipientName = s.AccountUID.Value, s.AccountName.Value
		ev := donation.Event{At: at, Contact: person, Donation: d}
		if i > 0 {
			cp := person.Clone()
			ev.Contact = &cp
		}
		events = append(events, ev)
	}
	return events, nil
}

func (s *Submission) refcodes() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]flex.String{
		"source_code": s.SourceCode, "utm_campaign": s.UTMCampaign, "utm_content": s.UTMContent,
		"utm_medium": s.UTMMedium, "utm_source": s.UTMSource, "utm_term": s.UTMTerm,
	} {
		if v.Valid {
			m[k] = v.Value
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// total returns the sum of the fees, and whether any was given.
func (f Fees) total() (decimal.Decimal, bool) {
	sum, any := f.AnedotFees.Amount.Amount, f.AnedotFees.Amount.Valid
	for _, v := range f.VendorFees {
		if v.Amount.Valid {
			sum, any = sum.Add(v.Amount.Amount), true
		}
	}
	return sum, any
}

func (v *Donation) events(event string) ([]donation.Event, error) {
	id := v.Donation.ID
	if !id.Valid {
		return nil, missing("donation.id", "the donation id")
	}
	at := sourceTime(v.UpdatedAt, v.CreatedAt)
	d := &donation.Donation{
		ExternalID:   id.Value,
		Amount:       v.AmountInDollars.Amount,
		Currency:     "USD",
		CreatedAt:    v.CreatedAt.Wall(nil),
		PaidAt:       v.Date.Wall(nil),
		Form:         v.ActionPageName.Value,
		Origin:       v.Origin.Value,
		CommitmentID: v.CommitmentUID.Value,
		RecipientID:  v.AccountUID.Value,
		Payment:      donation.Payment{Reference: v.CheckNumber.Value},
	}
	d.RecipientName = v.AccountName.Value
	if d.PaidAt.IsZero() {
		d.PaidAt = d.CreatedAt
	}
	if f := strings.ToLower(v.Frequency.Value); f != "" {
		d.Recurrence.Period = f
	}
	if len(v.CustomFieldResponses) > 0 {
		d.Custom = map[string]string(v.CustomFieldResponses.clone())
	}
	ev := donation.Event{At: at, Contact: v.Person.contact(v.CustomFieldResponses), Donation: d}

	kind, isAdjustment := adjustmentKinds[event]
	switch {
	case event == DonationCompleted:
		// The event's own amounts are the gift's: net and fees apply.
		if v.NetAmount.Valid {
			d.Net = decimal.NewNullDecimal(v.NetAmount.Amount)
		}
		if fees, ok := v.Donation.Fees.total(); ok {
			d.Fees = decimal.NewNullDecimal(fees)
		}
		if !d.Amount.IsPositive() && v.EventAmount.Valid {
			d.Amount = v.EventAmount.Amount
		}
		if v.CommitmentUID.Valid && strings.EqualFold(v.Origin.Value, "recurring") {
			ev.Commitment = &donation.Commitment{ExternalID: v.CommitmentUID.Value, LastChargedAt: d.PaidAt}
		}
	case isAdjustment:
		// event_amount and net_amount describe the money moved by this
		// event (negative for refunds), not the gift.
		a := donation.Adjustment{
			Key:  key(event, id.Value, v.UpdatedAt),
			Kind: kind,
			At:   at,
		}
		if v.EventAmount.Valid {
			a.Amount = v.EventAmount.Amount.Abs()
		}
		if kind == donation.Refund && a.Amount.IsZero() {
			a.Amount = d.Amount
		}
		ev.Adjustments = []donation.Adjustment{a}
	}
	return []donation.Event{ev}, nil
}

func (c CustomFields) clone() CustomFields {
	out := make(CustomFields, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

func (v *Commitment) events(event string) ([]donation.Event, error) {
	if !v.ID.Valid {
		return nil, missing("id", "the commitment id")
	}
	at := sourceTime(v.UpdatedAt, v.CreatedAt)
	c := &donation.Commitment{
		ExternalID: v.ID.Value,
		Period:     strings.ToLower(v.Frequency.Value),
		Amount:     v.TotalAmountInDollars.Amount,
		Currency:   "USD",
		StartedAt:  v.CreatedAt.Wall(nil),
		SourceTime: at,
	}
	switch {
	case v.CancelledOn.Valid:
		c.CancelledAt = v.CancelledOn.Wall(nil)
		c.CancelReason = v.CancellationReason.Value
		c.CancelledBy = v.Whodunnit.Value
	case v.ExpiredOn.Valid:
		c.CancelledAt = v.ExpiredOn.Wall(nil)
		c.CancelReason = "expired"
	}
	if event == CommitmentFailedToProcess {
		c.FailedAt = v.FailedOn.Wall(nil)
		if c.FailedAt.IsZero() {
			c.FailedAt = at
		}
		c.FailReason = v.PaymentStatusMessage.Value
	}
	return []donation.Event{{At: at, Contact: v.Person.contact(nil), Commitment: c}}, nil
}
