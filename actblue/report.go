package actblue

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
)

// reportKind is the prefix of the Kind of a delivery made from a row of a
// report: "report:" and the report's type.
const reportKind = "report:"

// ReportDelivery returns the delivery that row, read from a report of
// type t, makes for tenant: journaled by the Ingester with a Source of
// this package, it applies the row as a webhook about the same line item
// would, to the same records (see the package documentation). Its body is
// the row's CSV, and its Kind "report:" and t. It reports an error for a
// row that Read or Client.Rows did not yield, and for a managed-form row,
// which may be a gift to another entity.
func ReportDelivery(tenant string, t reports.Type, row *reports.Row) (*donorsync.Delivery, error) {
	switch t {
	case reports.Paid, reports.Refunded, reports.CancelledRecurring:
	default:
		return nil, fmt.Errorf("actblue: no delivery is made from a row of a %q report", t)
	}
	body := row.CSV()
	if body == nil {
		return nil, errors.New("actblue: ReportDelivery needs a row read from a report")
	}
	return &donorsync.Delivery{Tenant: tenant, Provider: Provider, Kind: reportKind + string(t), Body: body}, nil
}

// decodeReport decodes a delivery made by ReportDelivery.
func decodeReport(t reports.Type, body []byte) (donorsync.Decoded, error) {
	var rows []reports.Row
	for row, err := range reports.Read(bytes.NewReader(body)) {
		if err != nil {
			return donorsync.Decoded{}, err
		}
		if rows = append(rows, row); len(rows) > 1 {
			return donorsync.Decoded{}, errors.New("a report delivery holds more than one row")
		}
	}
	if len(rows) == 0 {
		return donorsync.Decoded{}, errors.New("a report delivery holds no row")
	}
	r := &rows[0]
	var ev donation.Event
	var key string
	var err error
	switch t {
	case reports.Paid:
		key = r.LineitemID
		ev, err = paidEvent(r)
	case reports.Refunded:
		key = r.LineitemID
		ev, err = refundedEvent(r)
	case reports.CancelledRecurring:
		key = r.ReceiptID
		ev, err = cancelledEvent(r)
	default:
		err = fmt.Errorf("unknown report %q", t)
	}
	if err != nil {
		return donorsync.Decoded{}, err
	}
	return donorsync.Decoded{Key: reportKind + string(t) + ":" + key, Events: []donation.Event{ev}}, nil
}

// paidEvent is the event of a row of the paid report: the donation of
// its line item, and for a recurring gift its commitment, keyed by the
// receipt id as a webhook's order number is.
func paidEvent(r *reports.Row) (donation.Event, error) {
	if err := need(r.LineitemID != "", "Lineitem ID", "the line item's id"); err != nil {
		return donation.Event{}, err
	}
	if err := need(!r.Amount.IsZero(), "Amount", "the amount given"); err != nil {
		return donation.Event{}, err
	}
	d := &donation.Donation{
		ExternalID:     r.LineitemID,
		OrderNumber:    r.ReceiptID,
		Amount:         r.Amount,
		Currency:       "USD",
		PaidAt:         r.Date,
		RecipientID:    r.RecipientID,
		RecipientName:  r.Recipient,
		Payment:        donation.Payment{Reference: r.PaymentID},
		PlatformStatus: donation.Completed,
	}
	for col, code := range map[string]string{"Reference Code": "refcode", "Reference Code 2": "refcode2"} {
		v, _ := r.Get(col)
		setMap(&d.Refcodes, code, v)
	}
	if !r.Fee.IsZero() {
		d.Fees.Decimal, d.Fees.Valid = r.Fee, true
		d.Net.Decimal, d.Net.Valid = r.Amount.Sub(r.Fee), true
	}
	ev := donation.Event{At: r.Date, Contact: reportContact(&r.Donor), Donation: d}
	if period := recurrence(r); period != "" && r.ReceiptID != "" {
		d.CommitmentID, d.Recurrence.Period = r.ReceiptID, period
		ev.Commitment = chargedCommitment(r, period)
	}
	return ev, nil
}

// chargedCommitment is the commitment a recurring gift's paid row tells
// of: charged at the row's date.
func chargedCommitment(r *reports.Row, period string) *donation.Commitment {
	return &donation.Commitment{
		ExternalID:    r.ReceiptID,
		Period:        period,
		Amount:        r.Amount,
		Currency:      "USD",
		StartedAt:     r.Date,
		LastChargedAt: r.Date,
		Pledged:       count(r.RecurringTotalMonths),
	}
}

// refundedEvent is the event of a row of the refunded report: the
// donation, as of when it was paid, and its refund, keyed as a refund
// webhook's is.
func refundedEvent(r *reports.Row) (donation.Event, error) {
	ev, err := paidEvent(r)
	if err != nil {
		return ev, err
	}
	if err := need(!r.RefundDate.IsZero(), "Refund Date", "when the line item was refunded"); err != nil {
		return ev, err
	}
	ev.Adjustments = []donation.Adjustment{{
		Key:        r.LineitemID + ":refund",
		DonationID: r.LineitemID,
		Kind:       donation.Refund,
		Amount:     r.Amount,
		At:         r.RefundDate,
	}}
	return ev, nil
}

// cancelledEvent is the event of a row of the cancelled-recurring report:
// the cancellation of the commitment of its receipt id.
func cancelledEvent(r *reports.Row) (donation.Event, error) {
	if err := need(r.ReceiptID != "", "Receipt ID", "the recurring gift's receipt id"); err != nil {
		return donation.Event{}, err
	}
	if err := need(!r.CancelledOn.IsZero(), "Cancelled On", "when the recurring gift was cancelled"); err != nil {
		return donation.Event{}, err
	}
	return donation.Event{At: r.CancelledOn, Contact: reportContact(&r.Donor), Commitment: &donation.Commitment{
		ExternalID:  r.ReceiptID,
		Period:      strings.ToLower(strings.TrimSpace(r.RecurrenceFrequency)),
		Amount:      r.RecurrenceAmount,
		Currency:    "USD",
		StartedAt:   r.InitialContributionDate,
		CancelledAt: r.CancelledOn,
		Pledged:     count(r.InitialPledgeLength),
	}}, nil
}

// reportContact is the donor of a row, as a webhook's donor is read.
func reportContact(d *reports.Donor) *contact.Contact {
	c := &contact.Contact{
		FirstName: d.FirstName, LastName: d.LastName, Email: d.Email, Phone: d.Phone,
		Address: contact.Address{
			Line1: d.Addr1, Line2: d.Addr2, City: d.City,
			State: d.State, PostalCode: d.ZIP, Country: d.Country,
		},
		Employer: d.Employer, Occupation: d.Occupation,
		Sources: []contact.Source{{Provider: Provider}},
	}
	c.Normalize()
	return c
}

// recurrence returns the period of a recurring gift's row, "" for a
// gift given once.
func recurrence(r *reports.Row) string {
	switch strings.ToLower(strings.TrimSpace(r.RecurWeekly)) {
	case "true", "yes", "1", "t", "y":
		return "weekly"
	}
	months := strings.TrimSpace(r.RecurringTotalMonths)
	if r.RecurrenceNumber > 0 || (months != "" && months != "0") || strings.TrimSpace(r.RecurringType) != "" {
		return "monthly"
	}
	return ""
}

// count reads a number of recurrences; 0 when it is not one.
func count(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// need returns an error about column when ok is false.
func need(ok bool, column, want string) error {
	if ok {
		return nil
	}
	return &flex.Error{Field: column, Value: "absent", Want: want}
}
