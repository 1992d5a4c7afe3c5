package admin

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"

	"github.com/donorsync/donorsync"
)

// defaultSince is the ?since= of the deliveries page when absent.
const defaultSince = "24h"

// deliveriesView is the deliveries page.
type deliveriesView struct {
	chrome
	Tenant     string
	Tenants    []string
	Query      deliveryQuery
	Statuses   []donorsync.DeliveryStatus
	Providers  []string
	Replayable []donorsync.DeliveryStatus
	Page       deliveryPage
	NextQuery  template.URL // the query string of the next page; "" when none
	Replayed   string       // how many the last replay-all replayed, from ?replayed=
}

// deliveriesPage serves the deliveries of a tenant, filtered.
func (h *Handler) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	v := deliveriesView{
		chrome: h.chrome(r, "Deliveries", "deliveries"), Statuses: statuses, Replayable: replayable,
		Replayed: r.URL.Query().Get("replayed"),
	}
	q, err := parseDeliveryQuery(r, v.Now, defaultSince)
	if err != nil {
		return err
	}
	v.Query = q
	if v.Tenants, err = h.knownTenants(r.Context()); err != nil {
		return err
	}
	v.Tenant = r.URL.Query().Get("tenant")
	if v.Tenant == "" && len(v.Tenants) > 0 {
		v.Tenant = v.Tenants[0]
	}
	v.Providers = h.providers()
	if q.Provider != "" && !slices.Contains(v.Providers, q.Provider) {
		v.Providers = append(v.Providers, q.Provider)
	}
	if v.Tenant == "" {
		h.render(w, r, http.StatusOK, "deliveries", v)
		return nil
	}
	if !h.serves(v.Tenant) {
		return donorsync.ErrNotFound
	}
	if v.Page, err = h.deliveries(r.Context(), v.Tenant, q); err != nil {
		return err
	}
	if v.Page.Next != "" {
		v.NextQuery = query("tenant", v.Tenant, "status", string(q.Status), "provider", q.Provider, "kind", q.Kind,
			"since", cmpOrAll(q.SinceArg), "limit", strconv.Itoa(q.Limit), "after", v.Page.Next)
	}
	h.render(w, r, http.StatusOK, "deliveries", v)
	return nil
}

// cmpOrAll writes an empty ?since= as "all", so that a link keeps it.
func cmpOrAll(since string) string {
	if since == "" {
		return "all"
	}
	return since
}

// replayAllPage replays the deliveries the form names, and shows what is
// left of them.
func (h *Handler) replayAllPage(w http.ResponseWriter, r *http.Request) error {
	n, err := h.replayAll(r)
	if err != nil {
		return err
	}
	seeOther(w, "deliveries?"+string(query("tenant", r.FormValue("tenant"), "status", r.FormValue("status"),
		"provider", r.FormValue("provider"), "since", cmpOrAll(r.FormValue("since")), "replayed", strconv.Itoa(n))))
	return nil
}
