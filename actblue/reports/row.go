package reports

import (
	"time"

	"github.com/shopspring/decimal"
)

// A Row is one line of a report: for the paid, refunded and managed-form
// reports a line item, for the cancelled-recurring report a recurring
// series. A column the report lacks, or left blank, leaves its field zero.
// Times are in UTC.
type Row struct {
	Line int // the line of the CSV where the row starts, from 1

	LineitemID string // "Lineitem ID": the donation; the webhook's lineitems[].lineitemId
	ReceiptID  string // "Receipt ID": the checkout, shared by every recurrence of a gift
	DonorID    string // "Donor ID"
	PaymentID  string // "Payment ID"

	Date   time.Time       // "Date": when it was paid
	Amount decimal.Decimal // "Amount"
	Fee    decimal.Decimal // "Fee"

	Donor Donor

	Recipient   string // "Recipient"
	RecipientID string // "Recipient ID"

	RefundID   string    // "Refund ID"
	RefundDate time.Time // "Refund Date"

	RecurrenceNumber     int    // "Recurrence Number"
	RecurringTotalMonths string // "Recurring Total Months", as written
	RecurringType        string // "Recurring Type"
	RecurWeekly          string // "Recur Weekly", as written
	RecurringPledged     string // "Recurring Pledged", as written

	// The cancelled-recurring report.
	RecurrenceAmount        decimal.Decimal // "Recurrence Amount"
	TotalAmount             decimal.Decimal // "Total Amount"
	RecurrenceFrequency     string          // "Recurrence Frequency"
	InitialPledgeLength     string          // "Initial Pledge Length", as written
	InitialContributionDate time.Time       // "Initial Contribution Date"
	CancelledOn             time.Time       // "Cancelled On"

	// Other holds the columns without a field above, in the order of the
	// CSV, except those that identify a payment instrument or a document.
	Other []Column

	rec *record // the row as written
}

// Donor is who gave, as the report names them.
type Donor struct {
	FirstName  string // "Donor First Name"
	LastName   string // "Donor Last Name"
	Email      string // "Donor Email"
	Phone      string // "Donor Phone"
	Addr1      string // "Donor Addr1"
	Addr2      string // "Donor Addr2"
	City       string // "Donor City"
	State      string // "Donor State"
	ZIP        string // "Donor ZIP"
	Country    string // "Donor Country"
	Occupation string // "Donor Occupation"
	Employer   string // "Donor Employer"
}

// A Column is a value of a row and the header it was written under.
type Column struct {
	Name, Value string
}

// Get returns the value of the column of r.Other named name, and whether
// there is one.
func (r *Row) Get(name string) (string, bool) {
	for _, c := range r.Other {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}
