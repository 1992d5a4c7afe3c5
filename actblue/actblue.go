// Package actblue receives ActBlue webhooks: contributions, refunds and
// cancellations.
//
// Mount a Source in a donorsync.Handler:
//
//	auth, _ := actblue.NewAuthenticator(actblue.Credential{Tenant: "acme", Username: "acme-123456", Password: "..."})
//	mux.Handle("POST /webhooks/actblue/{tenant}", &donorsync.Handler{
//		Source:   &actblue.Source{Auth: auth},
//		Ingester: &donorsync.Ingester{Store: store},
//	})
//
// ActBlue authenticates deliveries with HTTP Basic Auth; GenerateCredential
// makes a username and password to give ActBlue, and an Authenticator
// checks them, with several live credentials per tenant for rotation.
//
// Each line item becomes one donation keyed by tenant and line item id
// (never the order number alone: two line items of one order are two
// donations). A refund becomes a refund adjustment of its donation, and a
// cancellation a cancelled commitment keyed by the order number, which
// every recurrence of a recurring gift shares. The kind of a delivery is
// read from the payload (lineitems[].refundedAt, contribution.cancelledAt);
// Source.Kind tells the kind of deliveries that carry neither, for a URL
// that receives only one webhook type.
package actblue

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
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
// otherwise hint, or a contribution when hint is empty.
func (p *Payload) Kind(hint Kind) Kind {
	for _, li := range p.LineItems {
		if li.RefundedAt.Valid {
			return KindRefund
		}
	}
	if p.Contribution.CancelledAt.Valid {
		return KindCancellation
	}
	if hint != "" {
		return hint
	}
	return KindContribution
}

// A Source is the ActBlue side of a donorsync.Handler. Set Auth.
type Source struct {
	// Auth checks credentials and finds the tenant. Required.
	Auth *Authenticator

	// Kind is the webhook type sent to this mount, used for deliveries
	// whose payload does not say. Empty: contributions, refunds and
	// cancellations arrive on one URL and are told apart by their payload.
	Kind Kind
}

var (
	_ donorsync.Source = (*Source)(nil)
	_ donorsync.Hinter = (*Source)(nil)
)

// Provider implements donorsync.Source.
func (s *Source) Provider() string { return Provider }

// Authenticate implements donorsync.Source.
// ActBlue signs nothing: the body plays no part.
func (s *Source) Authenticate(r *http.Request, _ []byte) (string, error) {
	return s.Auth.Authenticate(r)
}

// Hint implements donorsync.Hinter: the mount's Kind.
func (s *Source) Hint(*http.Request) string { return string(s.Kind) }

// Decode implements donorsync.Source: it parses the body and maps it to
// one event per line item.
func (s *Source) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	p, err := Parse(d.Body)
	if err == nil {
		err = p.check()
	}
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	kind := p.Kind(Kind(d.Kind))
	return donorsync.Decoded{Key: p.Key(kind), Events: p.Events(kind)}, nil
}

// Key returns the idempotency key of a delivery of the given kind: the
// kind and the line item ids.
func (p *Payload) Key(kind Kind) string {
	var b strings.Builder
	b.WriteString(string(kind))
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
// commitment.
func (p *Payload) Events(kind Kind) []donation.Event {
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
	return events
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
