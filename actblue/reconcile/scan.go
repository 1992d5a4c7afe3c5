package reconcile

import (
	"context"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/donation"
)

// scanPage is how many stored donations are read in one transaction.
const scanPage = 500

// scan reads the tenant's ActBlue donations, a page at a time, for those
// paid within the range but in no paid report, and those refunded within
// it but in no refunded report.
func (run *run) scan(ctx context.Context) error {
	run.paid.sort()
	run.refunded.sort()
	page := donorsync.Page{Limit: scanPage}
	for {
		var found []Difference
		var n int
		err := run.r.Ingester.Store.View(ctx, func(tx donorsync.Tx) error {
			ds, err := tx.Donations(ctx, run.r.Tenant, page)
			if err != nil {
				return err
			}
			n = len(ds)
			if n > 0 {
				page.After = ds[n-1].ID
			}
			found, err = run.unmatched(ctx, tx, ds)
			return err
		})
		if err != nil {
			return err
		}
		for _, d := range found {
			run.record(ctx, d, "", nil)
		}
		if n < scanPage {
			return nil
		}
	}
}

// unmatched returns the differences of stored donations with no row.
func (run *run) unmatched(ctx context.Context, tx donorsync.Tx, ds []donation.Donation) ([]Difference, error) {
	var diffs []Difference
	for i := range ds {
		d := &ds[i]
		if d.Provider != actblue.Provider {
			continue
		}
		if run.within(d.PaidAt) {
			run.report.Stored++
			if !run.paid.has(d.ExternalID) {
				diffs = append(diffs, Difference{Kind: Unreported, LineitemID: d.ExternalID, Here: donationFacts(d)})
			}
		}
		if !d.Refunded.IsPositive() || run.refunded.has(d.ExternalID) {
			continue
		}
		at, err := run.refundedAt(ctx, tx, d)
		if err != nil {
			return nil, err
		}
		if run.within(at) {
			diffs = append(diffs, Difference{Kind: RefundedOnlyHere, LineitemID: d.ExternalID,
				Here: &Facts{Status: string(d.Status), Amount: d.Refunded, Date: at}})
		}
	}
	return diffs, nil
}

// refundedAt returns when d was first refunded here; zero when never.
func (run *run) refundedAt(ctx context.Context, tx donorsync.Tx, d *donation.Donation) (at time.Time, err error) {
	adjs, err := tx.Adjustments(ctx, run.r.Tenant, actblue.Provider, d.ExternalID)
	if err != nil {
		return time.Time{}, err
	}
	for _, a := range adjs {
		if (a.Kind == donation.Refund || a.Kind == donation.PartialRefund) && (at.IsZero() || a.At.Before(at)) {
			at = a.At
		}
	}
	return at, nil
}

// within reports whether t falls within the range, in ActBlue's calendar.
func (run *run) within(t time.Time) bool {
	return !t.IsZero() && !t.Before(run.start) && t.Before(run.end)
}
