package actblue

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
)

// Provider is the provider name ActBlue records carry.
const Provider = "actblue"

// Kind is the webhook type of a delivery.
type Kind string

// Webhook types ("ActBlue Default", "ActBlue Default Refunds", "ActBlue
// Default Cancellations").
const (
	KindContribution Kind = "contribution"
	KindRefund       Kind = "refund"
	KindCancellation Kind = "cancellation"
)

// Kind returns the kind of delivery p is: a refund when a line item has
// refundedAt, a cancellation when the contribution has cancelledAt,
// otherwise p.Hint, or a contribution when Hint is empty.
func (p *Payload) Kind() Kind {
	for _, li := range p.LineItems {
		if li.RefundedAt.Valid {
			return KindRefund
		}
	}
	if p.Contribution.CancelledAt.Valid {
		return KindCancellation
	}
	if p.Hint != "" {
		return p.Hint
	}
	return KindContribution
}

// Payload is the body of an ActBlue webhook delivery: a contribution, a
// refund (the contribution plus lineitems[].refundedAt) or a cancellation
// (the contribution plus contribution.cancelledAt).
//
// Every field ActBlue documents is here, decoded tolerantly: amounts as
// strings or numbers, null or "" as absent. Fields ActBlue adds later are
// ignored by Parse and kept with the raw delivery in the journal.
type Payload struct {
	Donor        Donor        `json:"donor"`
	Contribution Contribution `json:"contribution"`
	LineItems    []LineItem   `json:"lineitems"`
	Form         *Form        `json:"form"`

	// Hint is the kind of the webhook mounted at the URL the delivery came
	// to, for a payload that carries neither refundedAt nor cancelledAt.
	// Parse leaves it empty; Source.Decode sets it from the delivery.
	Hint Kind `json:"-"`
}

// Donor is the person who gave.
type Donor struct {
	FirstName                flex.String   `json:"firstname"`
	LastName                 flex.String   `json:"lastname"`
	Addr1                    flex.String   `json:"addr1"`
	Addr2                    flex.String   `json:"addr2"`
	City                     flex.String   `json:"city"`
	State                    flex.String   `json:"state"`
	Zip                      flex.String   `json:"zip"`
	Country                  flex.String   `json:"country"`
	Email                    flex.String   `json:"email"`
	Phone                    flex.String   `json:"phone"`
	IsEligibleForExpressLane flex.Bool     `json:"isEligibleForExpressLane"`
	EmployerData             *EmployerData `json:"employerData"`
}

// EmployerData is what the donor said about their employment.
type EmployerData struct {
	Employer        flex.String `json:"employer"`
	Occupation      flex.String `json:"occupation"`
	EmployerAddr1   flex.String `json:"employerAddr1"`
	EmployerCity    flex.String `json:"employerCity"`
	EmployerState   flex.String `json:"employerState"`
	EmployerCountry flex.String `json:"employerCountry"`
}

// Contribution is the checkout: one order of one or more line items.
type Contribution struct {
	CreatedAt            flex.Time     `json:"createdAt"`
	OrderNumber          flex.ID       `json:"orderNumber"`
	ContributionForm     flex.String   `json:"contributionForm"`
	Refcode              flex.String   `json:"refcode"`
	Refcode2             flex.String   `json:"refcode2"`
	Refcodes             Refcodes      `json:"refcodes"`
	CreditCardExpiration flex.String   `json:"creditCardExpiration"`
	RecurringPeriod      flex.String   `json:"recurringPeriod"`
	RecurringDuration    flex.String   `json:"recurringDuration"`
	AbTestName           flex.String   `json:"abTestName"`
	AbTestVariation      flex.String   `json:"abTestVariation"`
	IsRecurring          flex.Bool     `json:"isRecurring"`
	IsPaypal             flex.Bool     `json:"isPaypal"`
	IsMobile             flex.Bool     `json:"isMobile"`
	IsExpress            flex.Bool     `json:"isExpress"`
	WithExpressLane      flex.Bool     `json:"withExpressLane"`
	ExpressSignup        flex.Bool     `json:"expressSignup"`
	UniqueIdentifier     flex.String   `json:"uniqueIdentifier"`
	Status               flex.String   `json:"status"`
	ThanksURL            flex.String   `json:"thanksUrl"`
	RetryURL             flex.String   `json:"retryUrl"`
	CustomFields         []CustomField `json:"customFields"`
	TextMessageOption    flex.String   `json:"textMessageOption"`
	SmartBoostAmount     flex.Money    `json:"smartBoostAmount"`

	// Cancellation deliveries only.
	CancelledAt    flex.Time   `json:"cancelledAt"`
	RecurringType  flex.String `json:"recurringType"`
	RecurCompleted flex.Int    `json:"recurCompleted"`
	RecurPledged   flex.Int    `json:"recurPledged"`
}

// CustomField is the donor's answer to a question on the form.
type CustomField struct {
	Label  flex.String `json:"label"`
	Answer flex.String `json:"answer"`
}

// LineItem is one donation: an amount to one entity. ActBlue sends one
// notification per line item.
type LineItem struct {
	Sequence         flex.Int    `json:"sequence"`
	EntityID         flex.ID     `json:"entityId"`
	FECID            flex.String `json:"fecId"`
	CommitteeName    flex.String `json:"committeeName"`
	Amount           flex.Money  `json:"amount"`
	RecurringAmount  flex.Money  `json:"recurringAmount"`
	AmountLessAbFees flex.Money  `json:"amountLessAbFees"`
	PaidAt           flex.Time   `json:"paidAt"`
	PaymentID        flex.ID     `json:"paymentId"`
	LineItemID       flex.ID     `json:"lineitemId"`

	// Refund deliveries only.
	RefundedAt  flex.Time `json:"refundedAt"`
	DisbursedAt flex.Time `json:"disbursedAt"`
	RecoveredAt flex.Time `json:"recoveredAt"`
}

// Form describes the contribution form, when ActBlue sends it.
type Form struct {
	Name                        flex.String `json:"name"`
	Kind                        flex.String `json:"kind"`
	OwnerEmail                  flex.String `json:"ownerEmail"`
	ManagingEntityName          flex.String `json:"managingEntityName"`
	ManagingEntityCommitteeName flex.String `json:"managingEntityCommitteeName"`
}

// Refcodes are tracking codes by name. ActBlue sends them as an object,
// null, or (from some producers) an empty array; all are accepted.
type Refcodes map[string]string

// Parse decodes an ActBlue delivery body. It returns a *flex.Error naming
// the field and the expected form when a value cannot be read (such as
// "lineitems[0].amount"), and a *flex.SyntaxError with the byte offset when
// the body is not JSON. Unknown fields are skipped (and validated).
//
// Parse gives the same Payload as flex.Unmarshal (encoding/json with the
// struct tags of the payload types, after the checks of flex.Decoder), in
// one pass and several times faster: on a body with a key in another
// case, encoding/json would read it as the field and Parse skips it.
func Parse(body []byte) (*Payload, error) {
	var p Payload
	d := flex.NewDecoder(body)
	if err := p.decode(d); err != nil {
		return nil, err
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return &p, nil
}

// check reports what a payload lacks that a donation needs.
func (p *Payload) check() error {
	if len(p.LineItems) == 0 {
		return &flex.Error{Field: "lineitems", Value: "[]", Want: "at least one line item"}
	}
	// Each line item's donation carries a copy of the contribution's
	// refcodes and custom fields: within the budget of values as copied,
	// so that a small body cannot build a large payload.
	c := &p.Contribution
	if err := flex.CheckCopies("lineitems", len(p.LineItems), len(c.Refcodes)+len(c.CustomFields)+2, "the refcodes and custom fields"); err != nil {
		return err
	}
	for i, li := range p.LineItems {
		field := func(name string) string { return fmt.Sprintf("lineitems[%d].%s", i, name) }
		if !li.LineItemID.Valid {
			return &flex.Error{Field: field("lineitemId"), Value: "absent", Want: "the line item's id"}
		}
		if !li.Amount.Valid {
			return &flex.Error{Field: field("amount"), Value: "absent", Want: `a decimal amount such as "25.00"`}
		}
	}
	return nil
}

// Key returns the idempotency key of the delivery: its Kind and the line
// item ids.
func (p *Payload) Key() string {
	var b strings.Builder
	b.WriteString(string(p.Kind()))
	for i, li := range p.LineItems {
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(li.LineItemID.Value)
	}
	return b.String()
}

// Events maps p to one event per line item: the donor, the donation, and
// for a refund its adjustment, for a recurring gift or a cancellation its
// commitment. It returns a *flex.Error when p has no line item, or a line
// item lacks its id or amount.
func (p *Payload) Events() ([]donation.Event, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	kind := p.Kind()
	c := &p.Contribution
	created := c.CreatedAt.Wall(flex.USEastern)
	donor := p.contact()
	period := strings.ToLower(c.RecurringPeriod.Value)
	recurring := (period != "" && period != "once") || kind == KindCancellation
	events := make([]donation.Event, 0, len(p.LineItems))
	for i := range p.LineItems {
		li := &p.LineItems[i]
		paid := li.PaidAt.Wall(flex.USEastern)
		at := created
		if at.IsZero() {
			at = paid
		}
		ev := donation.Event{At: at, Contact: donor, Donation: p.donation(li, created, paid, recurring)}
		if i > 0 {
			cp := donor.Clone()
			ev.Contact = &cp
		}
		if kind == KindRefund {
			ev.Adjustments = []donation.Adjustment{{
				Key:        li.LineItemID.Value + ":refund",
				DonationID: li.LineItemID.Value,
				Kind:       donation.Refund,
				Amount:     li.Amount.Amount,
				At:         li.RefundedAt.Wall(flex.USEastern),
			}}
		}
		if recurring && c.OrderNumber.Valid && kind != KindRefund {
			ev.Commitment = p.commitment(li, kind, created, paid)
		}
		events = append(events, ev)
	}
	return events, nil
}

func (p *Payload) contact() *contact.Contact {
	d := &p.Donor
	c := &contact.Contact{
		FirstName: d.FirstName.Value,
		LastName:  d.LastName.Value,
		Email:     d.Email.Value,
		Phone:     d.Phone.Value,
		Address: contact.Address{
			Line1: d.Addr1.Value, Line2: d.Addr2.Value, City: d.City.Value,
			State: d.State.Value, PostalCode: d.Zip.Value, Country: d.Country.Value,
		},
		Sources: []contact.Source{{Provider: Provider}},
	}
	if e := d.EmployerData; e != nil {
		c.Employer, c.Occupation = e.Employer.Value, e.Occupation.Value
	}
	c.Normalize()
	return c
}

func (p *Payload) donation(li *LineItem, created, paid time.Time, recurring bool) *donation.Donation {
	c := &p.Contribution
	d := &donation.Donation{
		ExternalID:    li.LineItemID.Value,
		OrderNumber:   c.OrderNumber.Value,
		Amount:        li.Amount.Amount,
		Currency:      "USD",
		PaidAt:        paid,
		CreatedAt:     created,
		RecipientID:   li.EntityID.Value,
		RecipientName: li.CommitteeName.Value,
		FECID:         li.FECID.Value,
		Form:          c.ContributionForm.Value,
		Recurrence: donation.Recurrence{
			Period:   strings.ToLower(c.RecurringPeriod.Value),
			Duration: c.RecurringDuration.Value,
			Sequence: int(li.Sequence.Value),
			Valid:    li.Sequence.Valid,
		},
		Payment: donation.Payment{
			Reference: li.PaymentID.Value,
			PayPal:    c.IsPaypal.Value,
			Mobile:    c.IsMobile.Value,
			Express:   c.IsExpress.Value,
			ExpressLn: c.WithExpressLane.Value,
		},
		PlatformStatus: platformStatus(c.Status.Value),
	}
	if li.AmountLessAbFees.Valid {
		d.Net.Decimal, d.Net.Valid = li.AmountLessAbFees.Amount, true
	}
	if d.Form == "" && p.Form != nil {
		d.Form = p.Form.Name.Value
	}
	if c.IsPaypal.Value {
		d.Payment.Method = "paypal"
	}
	if recurring {
		d.CommitmentID = c.OrderNumber.Value
	}
	for k, v := range c.Refcodes {
		setMap(&d.Refcodes, k, v)
	}
	setMap(&d.Refcodes, "refcode", c.Refcode.Value)
	setMap(&d.Refcodes, "refcode2", c.Refcode2.Value)
	for _, f := range c.CustomFields {
		if f.Label.Valid {
			setMap(&d.Custom, f.Label.Value, f.Answer.Value)
		}
	}
	return d
}

func (p *Payload) commitment(li *LineItem, kind Kind, created, paid time.Time) *donation.Commitment {
	c := &p.Contribution
	cm := &donation.Commitment{
		ExternalID: c.OrderNumber.Value,
		Period:     strings.ToLower(c.RecurringPeriod.Value),
		Amount:     li.Amount.Amount,
		Currency:   "USD",
		StartedAt:  created,
	}
	if li.RecurringAmount.Valid {
		cm.Amount = li.RecurringAmount.Amount
	}
	if n, err := strconv.Atoi(c.RecurringDuration.Value); err == nil && n > 0 {
		cm.Pledged = n
	}
	switch kind {
	case KindCancellation:
		cm.CancelledAt = c.CancelledAt.Wall(flex.USEastern)
		if cm.CancelledAt.IsZero() {
			cm.CancelledAt = created
		}
		cm.Completed = int(c.RecurCompleted.Value)
		if c.RecurPledged.Valid {
			cm.Pledged = int(c.RecurPledged.Value)
		}
		if c.RecurringType.Valid && cm.Period == "" {
			cm.Period = c.RecurringType.Value
		}
	default:
		cm.LastChargedAt = paid
	}
	return cm
}

func platformStatus(s string) donation.Status {
	switch strings.ToLower(s) {
	case "approved", "":
		return donation.Completed
	case "pending":
		return donation.Pending
	case "declined":
		return donation.Declined
	}
	return donation.Status(strings.ToLower(s))
}

func setMap(m *map[string]string, k, v string) {
	if k == "" || v == "" {
		return
	}
	if *m == nil {
		*m = make(map[string]string)
	}
	(*m)[k] = v
}
