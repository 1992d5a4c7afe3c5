// Package anedot receives Anedot webhooks: submissions, donations and
// their refunds, voids, chargebacks and settlements, and commitments.
//
// Mount a Source in a donorsync.Handler:
//
//	v, _ := anedot.NewVerifier(anedot.Secret{Tenant: "acme", Token: os.Getenv("ANEDOT_SECRET")})
//	src, _ := anedot.NewSource(v, anedot.Mapping{})
//	mux.Handle("POST /webhooks/anedot/{tenant}", &donorsync.Handler{
//		Source:   src,
//		Ingester: &donorsync.Ingester{Store: store},
//	})
//
// Anedot signs each delivery: X-Request-Signature is the hex HMAC-SHA256
// of the raw body with the webhook's secret token. The Verifier checks it
// against every live secret of the tenant.
//
// A delivery is {"event": ..., "payload": {...}}, the payload being one of
// three templates: Submission, Donation or Commitment. An account can
// customise its templates; Mapping.Rename reads renamed attributes, and
// Mapping.Adjust changes the events made from a payload.
package anedot

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
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

// A Message is a decoded delivery: the event and its payload, decoded into
// the template the event uses (exactly one of Submission, Donation and
// Commitment is set), and the payload's raw bytes for attributes of a
// customised template.
type Message struct {
	Event      string
	Payload    []byte
	Submission *Submission
	Donation   *Donation
	Commitment *Commitment
}

// Mapping adapts the decoding to an account's customised templates.
type Mapping struct {
	// Rename maps an attribute name of the account's template to the
	// standard attribute it stands for, such as {"donor_email": "email"}.
	// It applies to the top level of the payload.
	Rename map[string]string

	// Adjust, when set, is called with each decoded message and the events
	// made from it, and returns the events to apply. It may read m.Payload
	// for attributes the standard templates lack. An error quarantines the
	// delivery.
	Adjust func(m *Message, events []donation.Event) ([]donation.Event, error)
}

// A Source is the Anedot side of a donorsync.Handler. Make one with
// NewSource.
type Source struct {
	verifier    *Verifier
	adjust      func(*Message, []donation.Event) ([]donation.Event, error)
	submission  *flex.Names
	donation    *flex.Names
	commitment  *flex.Names
	messageKeys *flex.Names
}

var (
	_ donorsync.Source = (*Source)(nil)

	standardSubmission = flex.NewNames(slices.Concat(personNames, pageNames, submissionFields)...)
	standardDonation   = flex.NewNames(slices.Concat(personNames, pageNames, donationFields)...)
	standardCommitment = flex.NewNames(slices.Concat(personNames, pageNames, commitmentFields)...)
	messageNames       = flex.NewNames("event", "payload")
)

// NewSource returns a Source that verifies deliveries with v and decodes
// them with m. It reports an error when a rename names an attribute that
// no template has.
func NewSource(v *Verifier, m Mapping) (*Source, error) {
	if v == nil {
		return nil, fmt.Errorf("anedot: NewSource needs a Verifier")
	}
	s := &Source{verifier: v, adjust: m.Adjust, messageKeys: messageNames}
	for _, t := range []struct {
		dst      **flex.Names
		standard *flex.Names
		fields   []string
	}{
		{&s.submission, standardSubmission, slices.Concat(personNames, pageNames, submissionFields)},
		{&s.donation, standardDonation, slices.Concat(personNames, pageNames, donationFields)},
		{&s.commitment, standardCommitment, slices.Concat(personNames, pageNames, commitmentFields)},
	} {
		renames := map[string]string{}
		for from, to := range m.Rename {
			if slices.Contains(t.fields, to) {
				renames[from] = to
			}
		}
		names, err := t.standard.With(renames)
		if err != nil {
			return nil, fmt.Errorf("anedot: %w", err)
		}
		*t.dst = names
	}
	for from, to := range m.Rename {
		if !slices.Contains(personNames, to) && !slices.Contains(pageNames, to) && !slices.Contains(submissionFields, to) &&
			!slices.Contains(donationFields, to) && !slices.Contains(commitmentFields, to) {
			return nil, fmt.Errorf("anedot: rename of %q to %q: no template has the attribute %q", from, to, to)
		}
	}
	return s, nil
}

// Provider implements donorsync.Source.
func (s *Source) Provider() string { return Provider }

// Authenticate implements donorsync.Source: it verifies the signature of
// the raw body.
func (s *Source) Authenticate(r *http.Request, body []byte) (string, error) {
	return s.verifier.Verify(r, body)
}

// Decode implements donorsync.Source.
func (s *Source) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	m, err := s.Parse(d.Body)
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	events, key, err := m.events()
	if err == nil && s.adjust != nil {
		events, err = s.adjust(m, events)
	}
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	return donorsync.Decoded{Key: key, Events: events}, nil
}

// Parse decodes a delivery body with the Source's mapping. It returns a
// *flex.SyntaxError naming the byte offset for a body that is not JSON (as
// the "Commitment Failed to Process" example of Anedot's documentation,
// with characters after a value), and a *flex.Error naming the attribute
// for a value of the wrong form.
func (s *Source) Parse(body []byte) (*Message, error) {
	m := &Message{}
	d := flex.NewDecoder(body)
	err := d.Object(s.messageKeys, func(d *flex.Decoder, name string) error {
		if name == "event" {
			var ev flex.String
			err := d.String(&ev)
			m.Event = ev.Value
			return err
		}
		raw, err := d.Raw()
		m.Payload = raw
		return err
	})
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, err
	}
	if m.Event == "" {
		return nil, &flex.Error{Field: "event", Value: "absent", Want: "the event name"}
	}
	if m.Payload == nil {
		return nil, &flex.Error{Field: "payload", Value: "absent", Want: "the payload object"}
	}
	pd := flex.NewDecoder(m.Payload)
	switch {
	case m.Event == SubmissionCreated:
		m.Submission = &Submission{}
		err = m.Submission.decode(pd, s.submission)
	case strings.HasPrefix(m.Event, "commitment_"):
		m.Commitment = &Commitment{}
		err = m.Commitment.decode(pd, s.commitment)
	case strings.HasPrefix(m.Event, "donation_") || m.Event == DonationSettled:
		m.Donation = &Donation{}
		err = m.Donation.decode(pd, s.donation)
	default:
		// An event this package does not know: acknowledged and kept, with
		// nothing applied.
		return m, nil
	}
	if err != nil {
		return nil, prefix("payload", err)
	}
	return m, nil
}

// prefix puts the payload's field path under name in a *flex.Error.
func prefix(name string, err error) error {
	if fe, ok := err.(*flex.Error); ok {
		cp := *fe
		if cp.Field == "" {
			cp.Field = name
		} else {
			cp.Field = name + "." + cp.Field
		}
		return &cp
	}
	return err
}

// events maps m to events and its idempotency key: the event name, the
// object id and its updated_at.
func (m *Message) events() ([]donation.Event, string, error) {
	switch {
	case m.Submission != nil:
		return m.Submission.events(m.Event)
	case m.Donation != nil:
		return m.Donation.events(m.Event)
	case m.Commitment != nil:
		return m.Commitment.events(m.Event)
	}
	return nil, "", nil
}

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

func (s *Submission) events(event string) ([]donation.Event, string, error) {
	if !s.ID.Valid {
		return nil, "", missing("id", "the submission id")
	}
	at := sourceTime(s.UpdatedAt, s.CreatedAt)
	person := s.Person.contact(s.CustomFieldResponses)
	k := key(event, s.ID.Value, s.UpdatedAt)
	if len(s.Donations) == 0 {
		return []donation.Event{{At: at, Contact: person}}, k, nil
	}
	events := make([]donation.Event, 0, len(s.Donations))
	for i, sd := range s.Donations {
		if !sd.ID.Valid {
			return nil, "", missing(fmt.Sprintf("donations[%d].id", i), "the donation id")
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
	return events, k, nil
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

func (v *Donation) events(event string) ([]donation.Event, string, error) {
	id := v.Donation.ID
	if !id.Valid {
		return nil, "", missing("donation.id", "the donation id")
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
	return []donation.Event{ev}, key(event, id.Value, v.UpdatedAt), nil
}

func (c CustomFields) clone() CustomFields {
	out := make(CustomFields, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

func (v *Commitment) events(event string) ([]donation.Event, string, error) {
	if !v.ID.Valid {
		return nil, "", missing("id", "the commitment id")
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
	return []donation.Event{{At: at, Contact: v.Person.contact(nil), Commitment: c}},
		key(event, v.ID.Value, v.UpdatedAt), nil
}
