package admin

import (
	"context"
	"net/http"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

// apiRoutes routes the JSON read API (see the package documentation).
func (h *Handler) apiRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/{tenant}/contacts", h.api(h.apiContacts))
	mux.Handle("GET /api/{tenant}/contacts/{contact}", h.api(h.apiContact))
	mux.Handle("GET /api/{tenant}/donations", h.api(h.apiDonations))
	mux.Handle("GET /api/{tenant}/commitments", h.api(h.apiCommitments))
	mux.Handle("GET /api/{tenant}/deliveries", h.api(h.apiDeliveries))
	mux.Handle("GET /api/{tenant}/deliveries/{id}", h.api(h.apiDelivery))
	mux.Handle("POST /api/{tenant}/deliveries/{id}/replay", h.api(h.apiReplay))
	mux.Handle("POST /api/{tenant}/replay", h.api(h.apiReplayAll))
}

// view runs fn in a read-only transaction of the store.
func (h *Handler) view(ctx context.Context, fn func(tx donorsync.Tx) error) error {
	return h.Ingester.Store.View(ctx, fn)
}

// listing is the answer of a listing: its items, and the cursor of the
// next page (?after=), set while items are returned.
type listing[J any] struct {
	Items []J    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// list answers a listing of items.
func list[T, J any](w http.ResponseWriter, items []T, id func(T) string, out func(T) J) {
	res := listing[J]{Items: make([]J, 0, len(items))}
	for _, it := range items {
		res.Items = append(res.Items, out(it))
	}
	if len(items) > 0 {
		res.Next = id(items[len(items)-1])
	}
	writeJSON(w, http.StatusOK, res)
}

// listPage answers GET /api/{tenant}/KIND?after=&limit= with the page
// read by get.
func listPage[T, J any](h *Handler, w http.ResponseWriter, r *http.Request,
	get func(tx donorsync.Tx, ctx context.Context, tenant string, p donorsync.Page) ([]T, error),
	id func(T) string, out func(T) J) error {
	p, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	var items []T
	if err := h.view(r.Context(), func(tx donorsync.Tx) error {
		items, err = get(tx, r.Context(), r.PathValue("tenant"), p)
		return err
	}); err != nil {
		return err
	}
	list(w, items, id, out)
	return nil
}

func (h *Handler) apiContacts(w http.ResponseWriter, r *http.Request) error {
	return listPage(h, w, r, donorsync.Tx.Contacts, func(c contact.Contact) string { return c.ID }, contactOut)
}

func (h *Handler) apiDonations(w http.ResponseWriter, r *http.Request) error {
	return listPage(h, w, r, donorsync.Tx.Donations, func(d donation.Donation) string { return d.ID }, donationOut)
}

func (h *Handler) apiCommitments(w http.ResponseWriter, r *http.Request) error {
	return listPage(h, w, r, donorsync.Tx.Commitments, func(c donation.Commitment) string { return c.ID }, commitmentOut)
}

// apiContact answers a contact by id, with its activities.
func (h *Handler) apiContact(w http.ResponseWriter, r *http.Request) error {
	tenant, id := r.PathValue("tenant"), r.PathValue("contact")
	var c contact.Contact
	var acts []contact.Activity
	if err := h.view(r.Context(), func(tx donorsync.Tx) error {
		var err error
		if c, err = tx.Contact(r.Context(), tenant, id); err != nil {
			return err
		}
		acts, err = tx.Activities(r.Context(), tenant, id)
		return err
	}); err != nil {
		return err
	}
	out := contactOut(c)
	for _, a := range acts {
		out.Activities = append(out.Activities, activityOut(a))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiDeliveries answers a listing of deliveries, filtered by ?status=,
// ?provider=, ?kind= and ?since=, oldest first unless ?order=newest.
func (h *Handler) apiDeliveries(w http.ResponseWriter, r *http.Request) error {
	q, err := parseDeliveryQuery(r, h.now(), "", false)
	if err != nil {
		return err
	}
	p, err := h.deliveries(r.Context(), r.PathValue("tenant"), q, "")
	if err != nil {
		return err
	}
	list(w, p.Items, func(d *donorsync.Delivery) string { return d.ID }, deliveryOut)
	return nil
}

// apiDelivery answers a delivery by id; with ?body=1 its body, masked
// unless ?unmask=1.
func (h *Handler) apiDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := h.delivery(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := deliveryOut(d)
	if q := r.URL.Query(); q.Get("body") == "1" {
		b := h.showBody(r, d, q.Get("unmask") == "1")
		out.BodyMasked, out.BodyWithheld = b.Masked, b.Withheld
		if b.Withheld == "" {
			out.Body = &b.Text
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiReplay replays a delivery and answers it as it then stands.
func (h *Handler) apiReplay(w http.ResponseWriter, r *http.Request) error {
	d, err := h.replay(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryOut(d))
	return nil
}

// apiReplayAll replays the deliveries of ?status= (dead, quarantined or
// failed) received since ?since=, of ?provider= or of every provider,
// and answers how many it replayed.
func (h *Handler) apiReplayAll(w http.ResponseWriter, r *http.Request) error {
	n, err := h.replayAll(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"replayed": n})
	return nil
}
