package reports

import (
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync/flex"
	"github.com/shopspring/decimal"
)

// A field stores a column's value in a Row; want names what the value
// must be when it cannot be read ("" when any text will do).
type field struct {
	set  func(r *Row, v string) bool
	want string
}

func text(f func(r *Row) *string) field {
	return field{set: func(r *Row, v string) bool { *f(r) = v; return true }}
}

func money(f func(r *Row) *decimal.Decimal) field {
	return field{want: "money", set: func(r *Row, v string) bool {
		if strings.TrimSpace(v) == "" {
			return true
		}
		d, ok := flex.ParseMoney(v)
		*f(r) = d
		return ok
	}}
}

// eastern reads a time written as a US Eastern wall-clock time (or with
// an offset of its own) into UTC.
func eastern(f func(r *Row) *time.Time) field {
	return field{want: "time", set: func(r *Row, v string) bool {
		if strings.TrimSpace(v) == "" {
			return true
		}
		t, ok := flex.ParseTime(v)
		*f(r) = t.Wall(flex.USEastern)
		return ok
	}}
}

func integer(f func(r *Row) *int) field {
	return field{want: "integer", set: func(r *Row, v string) bool {
		v = strings.TrimSpace(v)
		if v == "" {
			return true
		}
		n, err := strconv.Atoi(v)
		*f(r) = n
		return err == nil
	}}
}

// fields are the columns with a field in Row, by their header in lower
// case.
var fields = map[string]field{
	"lineitem id": text(func(r *Row) *string { return &r.LineitemID }),
	"receipt id":  text(func(r *Row) *string { return &r.ReceiptID }),
	"donor id":    text(func(r *Row) *string { return &r.DonorID }),
	"payment id":  text(func(r *Row) *string { return &r.PaymentID }),
	"date":        eastern(func(r *Row) *time.Time { return &r.Date }),
	"amount":      money(func(r *Row) *decimal.Decimal { return &r.Amount }),
	"fee":         money(func(r *Row) *decimal.Decimal { return &r.Fee }),

	"donor first name": text(func(r *Row) *string { return &r.Donor.FirstName }),
	"donor last name":  text(func(r *Row) *string { return &r.Donor.LastName }),
	"donor email":      text(func(r *Row) *string { return &r.Donor.Email }),
	"donor phone":      text(func(r *Row) *string { return &r.Donor.Phone }),
	"donor addr1":      text(func(r *Row) *string { return &r.Donor.Addr1 }),
	"donor addr2":      text(func(r *Row) *string { return &r.Donor.Addr2 }),
	"donor city":       text(func(r *Row) *string { return &r.Donor.City }),
	"donor state":      text(func(r *Row) *string { return &r.Donor.State }),
	"donor zip":        text(func(r *Row) *string { return &r.Donor.ZIP }),
	"donor country":    text(func(r *Row) *string { return &r.Donor.Country }),
	"donor occupation": text(func(r *Row) *string { return &r.Donor.Occupation }),
	"donor employer":   text(func(r *Row) *string { return &r.Donor.Employer }),

	"recipient":    text(func(r *Row) *string { return &r.Recipient }),
	"recipient id": text(func(r *Row) *string { return &r.RecipientID }),
	"refund id":    text(func(r *Row) *string { return &r.RefundID }),
	"refund date":  eastern(func(r *Row) *time.Time { return &r.RefundDate }),

	"recurrence number":      integer(func(r *Row) *int { return &r.RecurrenceNumber }),
	"recurring total months": text(func(r *Row) *string { return &r.RecurringTotalMonths }),
	"recurring type":         text(func(r *Row) *string { return &r.RecurringType }),
	"recur weekly":           text(func(r *Row) *string { return &r.RecurWeekly }),
	"recurring pledged":      text(func(r *Row) *string { return &r.RecurringPledged }),

	"recurrence amount":         money(func(r *Row) *decimal.Decimal { return &r.RecurrenceAmount }),
	"total amount":              money(func(r *Row) *decimal.Decimal { return &r.TotalAmount }),
	"recurrence frequency":      text(func(r *Row) *string { return &r.RecurrenceFrequency }),
	"initial pledge length":     text(func(r *Row) *string { return &r.InitialPledgeLength }),
	"initial contribution date": eastern(func(r *Row) *time.Time { return &r.InitialContributionDate }),
	"cancelled on":              eastern(func(r *Row) *time.Time { return &r.CancelledOn }),
}

// identifying holds words of the headers of columns that identify a
// payment instrument or a document: they are dropped as rows are read.
var identifying = []string{
	"card", "last four", "last 4", "last4", "expir", "exp date", "avs", "cvv", "cvc",
	"check number", "check no", "routing", "account number", "bank account", "iban",
	"passport", "social security", "driver license", "driver's license",
}

// dropped reports whether the column named name identifies a payment
// instrument or a document.
func dropped(name string) bool {
	n := strings.ToLower(name)
	for _, w := range identifying {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
