package reconcile

import (
	"time"

	"github.com/donorsync/donorsync"
	"github.com/shopspring/decimal"
)

// Kind is what a difference is.
type Kind string

// The kinds of difference, in the order a Report lists them.
const (
	Missing          Kind = "missing"            // paid in ActBlue, not here
	NotRefunded      Kind = "not_refunded"       // refunded in ActBlue, not here
	RefundedOnlyHere Kind = "refunded_only_here" // refunded here, in no refunded report
	NotCancelled     Kind = "not_cancelled"      // cancelled in ActBlue, active here
	AmountDiffers    Kind = "amount_differs"     // another amount here
	DateDiffers      Kind = "date_differs"       // another payment time here
	Unreported       Kind = "unreported"         // here, in no paid report
	Unreadable       Kind = "unreadable"         // a row of a report that could not be read
)

// Kinds lists every Kind, in the order a Report lists them.
var Kinds = []Kind{Missing, NotRefunded, RefundedOnlyHere, NotCancelled, AmountDiffers, DateDiffers, Unreported, Unreadable}

// applicable reports whether applying the report's row mends a
// difference of kind k.
func (k Kind) applicable() bool {
	return k == Missing || k == NotRefunded || k == NotCancelled || k == Unreadable
}

// A Difference is one line item, or one recurring gift, on which ActBlue
// and the store disagree.
type Difference struct {
	Kind       Kind   `json:"kind"`
	LineitemID string `json:"lineitem_id,omitempty"`
	ReceiptID  string `json:"receipt_id,omitempty"` // the recurring gift, for NotCancelled
	ActBlue    *Facts `json:"actblue,omitempty"`    // what the report says; nil for Unreported, RefundedOnlyHere and Unreadable
	Here       *Facts `json:"here,omitempty"`       // what the store holds; nil when it holds nothing
	Error      string `json:"error,omitempty"`      // for Unreadable, why; else why applying the row failed

	// Applied is the outcome of applying the report's row (with Apply):
	// Processed when it is now here; "" when it was not applied.
	Applied    donorsync.DeliveryStatus `json:"applied,omitempty"`
	DeliveryID string                   `json:"delivery_id,omitempty"` // the delivery the row was journaled as
}

// Facts is what one side says of a line item or a recurring gift.
type Facts struct {
	Status string          `json:"status,omitempty"` // "paid", "refunded", "cancelled", "active", ...
	Amount decimal.Decimal `json:"amount"`
	Date   time.Time       `json:"date"` // when paid, refunded or cancelled
}

// A Report is what a reconciliation found.
type Report struct {
	Tenant string    `json:"tenant"`
	From   time.Time `json:"from"` // the first day, inclusive
	To     time.Time `json:"to"`   // the last day, exclusive

	Rows   int `json:"rows"`   // rows read from ActBlue's reports
	Stored int `json:"stored"` // ActBlue donations here paid within the range, once rows are applied

	// Counts holds the differences found, by kind, and Applied those
	// mended by applying the report's row.
	Counts  map[Kind]int `json:"counts"`
	Applied int          `json:"applied"`

	// Differences lists the differences, up to Reconciler.MaxListed;
	// Counts has them all.
	Differences []Difference `json:"differences"`
}

// Differs reports whether ActBlue and the store disagreed on anything,
// applied or not.
func (r *Report) Differs() bool {
	for _, n := range r.Counts {
		if n > 0 {
			return true
		}
	}
	return false
}

// Total returns the number of differences found.
func (r *Report) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}
