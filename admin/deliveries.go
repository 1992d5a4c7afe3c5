package admin

import (
	"context"
	"slices"

	"github.com/donorsync/donorsync"
)

// A deliveryPage is one page of a listing.
type deliveryPage struct {
	Items []*donorsync.Delivery
	// Prev and Next are the cursors of the pages before and after this
	// one in the listing's order (?before=, ?after=); "" when there is
	// none.
	Prev, Next string
}

// deliveries lists the deliveries of tenant that q selects, in q's order,
// starting after q.After or, when before is set, ending before it. The
// store filters them; one delivery more than the page is read, to know
// whether another page follows.
func (h *Handler) deliveries(ctx context.Context, tenant string, q deliveryQuery, before string) (deliveryPage, error) {
	f := q.DeliveryFilter
	f.Limit = q.Limit + 1
	if before != "" {
		// The page before is the page after, in the other order.
		f.After, f.NewestFirst = before, !q.NewestFirst
	}
	var ds []*donorsync.Delivery
	err := h.view(ctx, func(tx donorsync.Tx) error {
		var err error
		ds, err = tx.Deliveries(ctx, tenant, f)
		return err
	})
	if err != nil {
		return deliveryPage{}, err
	}
	more := len(ds) > q.Limit
	p := deliveryPage{Items: ds[:min(len(ds), q.Limit)]}
	if len(p.Items) == 0 {
		return p, nil
	}
	first, last := p.Items[0].ID, p.Items[len(p.Items)-1].ID
	if before != "" {
		slices.Reverse(p.Items)
		first, last = last, first
		if more {
			p.Prev = first
		}
		p.Next = last
		return p, nil
	}
	if more {
		p.Next = last
	}
	if q.After != "" {
		p.Prev = first
	}
	return p, nil
}
