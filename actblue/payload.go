package actblue

import (
	"fmt"

	"github.com/donorsync/donorsync/flex"
)

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
	OrderNumber          flex.String   `json:"orderNumber"`
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
	EntityID         flex.String `json:"entityId"`
	FECID            flex.String `json:"fecId"`
	CommitteeName    flex.String `json:"committeeName"`
	Amount           flex.Money  `json:"amount"`
	RecurringAmount  flex.Money  `json:"recurringAmount"`
	AmountLessAbFees flex.Money  `json:"amountLessAbFees"`
	PaidAt           flex.Time   `json:"paidAt"`
	PaymentID        flex.String `json:"paymentId"`
	LineItemID       flex.String `json:"lineitemId"`

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

// UnmarshalJSON implements json.Unmarshaler.
func (r *Refcodes) UnmarshalJSON(data []byte) error {
	d := flex.NewDecoder(data)
	if err := r.decode(d); err != nil {
		return err
	}
	return d.End()
}

func (r *Refcodes) decode(d *flex.Decoder) error {
	*r = nil
	switch d.Peek() {
	case 'n':
		_, err := d.Null()
		return err
	case '[':
		return d.Array(func(d *flex.Decoder, _ int) error { return d.Reject("an object of tracking codes") })
	case '{':
		return d.Map(func(d *flex.Decoder, key string) error {
			var v flex.String
			if err := d.String(&v); err != nil {
				return err
			}
			if v.Valid {
				if *r == nil {
					*r = make(Refcodes)
				}
				(*r)[key] = v.Value
			}
			return nil
		})
	case '"':
		raw, err := d.Raw()
		if err != nil || string(raw) == `""` {
			return err
		}
		return &flex.Error{Field: d.Field(), Value: string(raw), Want: "an object of tracking codes"}
	}
	return d.Reject("an object of tracking codes")
}

// Parse decodes an ActBlue delivery body. It returns a *flex.Error naming
// the field and the expected form when a value cannot be read (such as
// "lineitems[0].amount"), and a *flex.SyntaxError with the byte offset when
// the body is not JSON. Unknown fields are skipped (and validated).
//
// Parse gives the same Payload as encoding/json.Unmarshal with the struct
// tags of the payload types, in one pass and several times faster.
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
