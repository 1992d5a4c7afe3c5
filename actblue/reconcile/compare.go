package reconcile

import (
	"context"
	"errors"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/donation"
)

// found is what the store holds of a row's line item or recurring gift.
type found struct {
	donation   *donation.Donation
	commitment *donation.Commitment
}

// compare compares a batch of rows of a report of type t with the store,
// in one read transaction, then records the differences.
func (run *run) compare(ctx context.Context, t reports.Type, batch []reports.Row) error {
	if len(batch) == 0 {
		return nil
	}
	stored := make([]found, len(batch))
	err := run.r.Ingester.Store.View(ctx, func(tx donorsync.Tx) error {
		for i := range batch {
			if err := lookup(ctx, tx, run.r.Tenant, t, &batch[i], &stored[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range batch {
		row := &batch[i]
		switch t {
		case reports.Paid:
			run.paid.add(row.LineitemID)
			run.comparePaid(ctx, row, stored[i].donation)
		case reports.Refunded:
			run.refunded.add(row.LineitemID)
			run.compareRefunded(ctx, row, stored[i].donation)
		default:
			run.compareCancelled(ctx, row, stored[i].commitment)
		}
	}
	return nil
}

// lookup reads into f what the store holds of row.
func lookup(ctx context.Context, tx donorsync.Tx, tenant string, t reports.Type, row *reports.Row, f *found) error {
	if t == reports.CancelledRecurring {
		c, err := tx.Commitment(ctx, tenant, actblue.Provider, row.ReceiptID)
		if err == nil {
			f.commitment = &c
		}
		return notFound(err)
	}
	d, err := tx.Donation(ctx, tenant, actblue.Provider, row.LineitemID)
	if err == nil {
		f.donation = &d
	}
	return notFound(err)
}

// notFound returns err unless it says the record is absent.
func notFound(err error) error {
	if errors.Is(err, donorsync.ErrNotFound) {
		return nil
	}
	return err
}

func (run *run) comparePaid(ctx context.Context, row *reports.Row, d *donation.Donation) {
	diff := Difference{LineitemID: row.LineitemID, ActBlue: &Facts{Status: "paid", Amount: row.Amount, Date: row.Date}}
	if d == nil {
		diff.Kind = Missing
		run.record(ctx, diff, reports.Paid, row)
		return
	}
	diff.Here = donationFacts(d)
	if !d.Amount.Equal(row.Amount) {
		diff.Kind = AmountDiffers
		run.record(ctx, diff, reports.Paid, nil)
	}
	if !d.PaidAt.Truncate(time.Second).Equal(row.Date.Truncate(time.Second)) {
		diff.Kind = DateDiffers
		run.record(ctx, diff, reports.Paid, nil)
	}
}

func (run *run) compareRefunded(ctx context.Context, row *reports.Row, d *donation.Donation) {
	if d != nil && d.Refunded.IsPositive() {
		return
	}
	diff := Difference{Kind: NotRefunded, LineitemID: row.LineitemID, ActBlue: &Facts{Status: "refunded", Amount: row.Amount, Date: row.RefundDate}}
	if d != nil {
		diff.Here = donationFacts(d)
	}
	run.record(ctx, diff, reports.Refunded, row)
}

func (run *run) compareCancelled(ctx context.Context, row *reports.Row, c *donation.Commitment) {
	if c != nil && c.Status == donation.Cancelled {
		return
	}
	diff := Difference{Kind: NotCancelled, ReceiptID: row.ReceiptID, ActBlue: &Facts{Status: "cancelled", Amount: row.RecurrenceAmount, Date: row.CancelledOn}}
	if c != nil {
		diff.Here = &Facts{Status: string(c.Status), Amount: c.Amount, Date: c.StartedAt}
	}
	run.record(ctx, diff, reports.CancelledRecurring, row)
}

// unreadable records a row that could not be read.
func (run *run) unreadable(ctx context.Context, t reports.Type, row *reports.Row, err error) {
	diff := Difference{Kind: Unreadable, LineitemID: row.LineitemID, ReceiptID: row.ReceiptID, Error: err.Error()}
	run.record(ctx, diff, t, row)
}

// donationFacts is what the store says of a donation.
func donationFacts(d *donation.Donation) *Facts {
	return &Facts{Status: string(d.Status), Amount: d.Amount, Date: d.PaidAt}
}
