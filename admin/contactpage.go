package admin

import (
	"context"
	"net/http"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

// contactView is a contact's page.
type contactView struct {
	chrome
	Tenant      string
	C           contact.Contact
	Donations   []donationRecord
	Commitments []donation.Commitment
	Activities  []contact.Activity
	Scanned     int  // donations and commitments read to find the contact's
	Bounded     bool // the scan stopped at MaxScan: there may be more
}

// contactPage serves a contact: emails and phones, sources, donations
// with their adjustments, commitments and activities.
//
// The store lists donations and commitments by id only, not by contact:
// the page scans them, a tenant's in id order, keeping the contact's, and
// stops after MaxScan records of each kind, saying so. It costs a read of
// up to MaxScan donations and MaxScan commitments.
func (h *Handler) contactPage(w http.ResponseWriter, r *http.Request) error {
	tenant, id := r.PathValue("tenant"), r.PathValue("contact")
	v := contactView{chrome: h.chrome(r, "Contact "+id, "contacts"), Tenant: tenant}
	err := h.view(r.Context(), func(tx donorsync.Tx) error {
		var err error
		if v.C, err = tx.Contact(r.Context(), tenant, id); err != nil {
			return err
		}
		if v.Activities, err = tx.Activities(r.Context(), tenant, id); err != nil {
			return err
		}
		return h.contactMoney(r.Context(), tx, &v)
	})
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "contact", v)
	return nil
}

// contactMoney finds the donations (with their adjustments) and
// commitments of v's contact.
func (h *Handler) contactMoney(ctx context.Context, tx donorsync.Tx, v *contactView) error {
	ds, n, bounded, err := scan(ctx, h.maxScan(), func(p donorsync.Page) ([]donation.Donation, error) {
		return tx.Donations(ctx, v.Tenant, p)
	}, func(d donation.Donation) string { return d.ID }, func(d donation.Donation) bool { return d.ContactID == v.C.ID })
	if err != nil {
		return err
	}
	v.Scanned, v.Bounded = n, bounded
	for _, d := range ds {
		adjs, err := tx.Adjustments(ctx, v.Tenant, d.Provider, d.ExternalID)
		if err != nil {
			return err
		}
		v.Donations = append(v.Donations, donationRecord{ExternalID: d.ExternalID, Donation: &d, Adjustments: adjs})
	}
	v.Commitments, n, bounded, err = scan(ctx, h.maxScan(), func(p donorsync.Page) ([]donation.Commitment, error) {
		return tx.Commitments(ctx, v.Tenant, p)
	}, func(c donation.Commitment) string { return c.ID }, func(c donation.Commitment) bool { return c.ContactID == v.C.ID })
	v.Scanned += n
	v.Bounded = v.Bounded || bounded
	return err
}

// scanChunk is how many records scan reads at a time.
const scanChunk = 500

// scan reads pages of a listing by id until it ends or max records were
// read, and returns those keep keeps, how many it read, and whether it
// stopped at max.
func scan[T any](ctx context.Context, max int, list func(donorsync.Page) ([]T, error), id func(T) string, keep func(T) bool) ([]T, int, bool, error) {
	var out []T
	p := donorsync.Page{Limit: min(scanChunk, max)}
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return out, n, false, err
		}
		items, err := list(p)
		if err != nil {
			return out, n, false, err
		}
		n += len(items)
		for _, it := range items {
			if keep(it) {
				out = append(out, it)
			}
		}
		if len(items) < p.Limit {
			return out, n, false, nil
		}
		if n >= max {
			return out, n, true, nil
		}
		p.After = id(items[len(items)-1])
	}
}
