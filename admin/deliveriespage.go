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
	Links      pageLinks
	Replayed   string // how many the last replay-all replayed, from ?replayed=
}

// pageLinks are the query strings of the pages around a page of
// deliveries; "" for those there are none of.
type pageLinks struct {
	First, Prev, Next template.URL
}

// deliveriesPage serves the deliveries of a tenant, filtered, newest first
// unless ?order=oldest; ?before= asks for the page before an id.
func (h *Handler) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	v := deliveriesView{
		chrome: h.chrome(r, "Deliveries", "deliveries"), Statuses: statuses, Replayable: replayable,
		Replayed: r.URL.Query().Get("replayed"),
	}
	q, err := parseDeliveryQuery(r, v.Now, defaultSince, true)
	if err != nil {
		return err
	}
	before := r.URL.Query().Get("before")
	if before != "" && q.After != "" {
		return badRequest("before: give after or before, not both")
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
	if v.Page, err = h.deliveries(r.Context(), v.Tenant, q, before); err != nil {
		return err
	}
	v.Links = links(v.Tenant, q, v.Page, q.After != "" || before != "")
	h.render(w, r, http.StatusOK, "deliveries", v)
	return nil
}

// links returns the links from page p of q's listing, which is not the
// first page when inside.
func links(tenant string, q deliveryQuery, p deliveryPage, inside bool) pageLinks {
	at := func(cursor ...string) template.URL {
		return query(append([]string{"tenant", tenant, "status", string(q.Status), "provider", q.Provider, "kind", q.Kind,
			"since", cmpOrAll(q.SinceArg), "order", q.order(), "limit", strconv.Itoa(q.Limit)}, cursor...)...)
	}
	var l pageLinks
	if inside {
		l.First = at()
	}
	if p.Prev != "" {
		l.Prev = at("before", p.Prev)
	}
	if p.Next != "" {
		l.Next = at("after", p.Next)
	}
	return l
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
