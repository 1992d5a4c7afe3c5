package admin

import (
	"context"

	"github.com/donorsync/donorsync"
)

// scanChunk is how many deliveries a filtered listing reads at a time.
const scanChunk = 500

// A deliveryPage is one page of a listing.
type deliveryPage struct {
	Items []*donorsync.Delivery
	// Next is the cursor of the next page (?after=): set when the page is
	// full or the scan stopped at MaxScan, "" when the journal has no more.
	Next string
	// Scanned is how many deliveries were read to fill the page; Bounded
	// whether the scan stopped at MaxScan before the page was full.
	Scanned int
	Bounded bool
}

// deliveries lists the deliveries of tenant that q selects, in the order
// of their ids (of their arrival). The store filters by status and time;
// the provider and kind are filtered here, reading at most MaxScan
// deliveries per page.
func (h *Handler) deliveries(ctx context.Context, tenant string, q deliveryQuery) (deliveryPage, error) {
	var p deliveryPage
	f := q.DeliveryFilter
	if q.filtered() {
		f.Limit = max(q.Limit, min(scanChunk, h.maxScan()))
	}
	err := h.Ingester.Store.View(ctx, func(tx donorsync.Tx) error {
		p = deliveryPage{}
		for {
			ds, err := tx.Deliveries(ctx, tenant, f)
			if err != nil {
				return err
			}
			if h.take(&p, q, ds) || len(ds) < f.Limit {
				return nil
			}
			f.After = ds[len(ds)-1].ID
			if p.Scanned >= h.maxScan() {
				p.Bounded, p.Next = true, f.After
				return nil
			}
		}
	})
	return p, err
}

// take adds to p the deliveries of ds that q keeps, and reports whether
// p is full.
func (h *Handler) take(p *deliveryPage, q deliveryQuery, ds []*donorsync.Delivery) bool {
	for _, d := range ds {
		p.Scanned++
		if !q.keeps(d) {
			continue
		}
		p.Items = append(p.Items, d)
		if len(p.Items) == q.Limit {
			p.Next = d.ID
			return true
		}
	}
	return false
}
