package admin

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/donorsync/donorsync"
)

// maxGlanceTenants bounds the tenants the at-a-glance page reads: each
// costs a read of the journal's counts.
const maxGlanceTenants = 100

// backlogAlert is how long the oldest delivery of a backlog may wait
// before the at-a-glance page highlights it.
const backlogAlert = time.Hour

// glanceView is the at-a-glance page.
type glanceView struct {
	chrome
	Window     time.Duration // of the counts
	Alerts     []alert
	Tenants    []tenantGlance
	MoreTenant bool // more tenants than maxGlanceTenants
	Recent     *recentView
	Replayable []donorsync.DeliveryStatus
}

// An alert is something that needs an operator: its text, and a link to
// see more (relative to the root; "" for none).
type alert struct {
	Text string
	Link template.URL
}

// tenantGlance is what the journal says of a tenant.
type tenantGlance struct {
	Tenant        string
	Received      []statusCount // every status, over the window
	Backlog       int
	Pending       int
	Failed        int
	OldestPending time.Time
	Providers     []providerGlance
}

type statusCount struct {
	Status donorsync.DeliveryStatus
	Count  int
}

// providerGlance is when a tenant last heard from a provider.
type providerGlance struct {
	Provider string
	Last     time.Time
	Watched  bool
	Quiet    bool // watched, and nothing for Quiet
}

// glancePage serves the at-a-glance page.
func (h *Handler) glancePage(w http.ResponseWriter, r *http.Request) error {
	v := glanceView{chrome: h.chrome(r, "At a glance", "glance"), Window: 24 * time.Hour, Replayable: replayable}
	now := v.Now
	since := now.Add(-v.Window)
	all, err := h.Ingester.JournalStats(r.Context(), "", since)
	if err != nil {
		return err
	}
	tenants := h.tenants(all)
	if len(tenants) > maxGlanceTenants {
		tenants, v.MoreTenant = tenants[:maxGlanceTenants], true
	}
	for _, t := range tenants {
		tg, alerts, err := h.tenantGlance(r.Context(), t, all, since, now)
		if err != nil {
			return err
		}
		v.Tenants = append(v.Tenants, tg)
		v.Alerts = append(v.Alerts, alerts...)
	}
	if h.Recent != nil {
		rv := newRecentView(h.Recent.Counts())
		v.Recent = &rv
		v.Alerts = append(v.Alerts, rv.alerts()...)
	}
	h.render(w, r, http.StatusOK, "glance", v)
	return nil
}

// tenants are the tenants served: Tenants, or those the journal's
// freshness lists.
func (h *Handler) tenants(all donorsync.JournalStats) []string {
	if h.Tenants != nil {
		return h.Tenants
	}
	var ts []string
	for _, f := range all.Last {
		if !slices.Contains(ts, f.Tenant) {
			ts = append(ts, f.Tenant)
		}
	}
	return ts
}

// knownTenants are the tenants served, for the pages' selectors.
func (h *Handler) knownTenants(ctx context.Context) ([]string, error) {
	if h.Tenants != nil {
		return h.Tenants, nil
	}
	all, err := h.Ingester.JournalStats(ctx, "", h.now())
	if err != nil {
		return nil, err
	}
	return h.tenants(all), nil
}

// tenantGlance reads the counts of tenant and says what needs attention.
func (h *Handler) tenantGlance(ctx context.Context, tenant string, all donorsync.JournalStats, since, now time.Time) (tenantGlance, []alert, error) {
	s, err := h.Ingester.JournalStats(ctx, tenant, since)
	if err != nil {
		return tenantGlance{}, nil, err
	}
	tg := tenantGlance{
		Tenant: tenant, Pending: s.Backlog[donorsync.Pending], Failed: s.Backlog[donorsync.Failed], OldestPending: s.OldestPending,
	}
	tg.Backlog = tg.Pending + tg.Failed
	for _, st := range statuses {
		tg.Received = append(tg.Received, statusCount{Status: st, Count: s.Received[st]})
	}
	tg.Providers = h.freshness(tenant, all.Last, now)
	alerts := tg.alerts(h, now)
	for _, st := range []donorsync.DeliveryStatus{donorsync.Dead, donorsync.Quarantined} {
		a, err := h.stuck(ctx, tenant, st, s.Received[st])
		if err != nil {
			return tg, nil, err
		}
		alerts = append(alerts, a...)
	}
	return tg, alerts, nil
}

// freshness says when tenant last heard from each provider: those of
// the Sources and those in last.
func (h *Handler) freshness(tenant string, last []donorsync.Freshness, now time.Time) []providerGlance {
	var ps []providerGlance
	add := func(p string, at time.Time) {
		i := slices.IndexFunc(ps, func(g providerGlance) bool { return g.Provider == p })
		if i < 0 {
			ps = append(ps, providerGlance{Provider: p, Watched: h.watched(p)})
			i = len(ps) - 1
		}
		if at.After(ps[i].Last) {
			ps[i].Last = at
		}
		ps[i].Quiet = ps[i].Watched && now.Sub(ps[i].Last) > h.quiet()
	}
	for _, p := range h.providers() {
		add(p, time.Time{})
	}
	for _, f := range last {
		if f.Tenant == tenant {
			add(f.Provider, f.ReceivedAt)
		}
	}
	slices.SortFunc(ps, func(a, b providerGlance) int { return cmp.Compare(a.Provider, b.Provider) })
	return ps
}

// alerts says what needs attention in tg: a watched provider gone quiet,
// a backlog that waits.
func (tg tenantGlance) alerts(h *Handler, now time.Time) []alert {
	var as []alert
	for _, p := range tg.Providers {
		switch {
		case p.Quiet && p.Last.IsZero():
			as = append(as, alert{Text: fmt.Sprintf("No %s delivery received yet for tenant %s.", p.Provider, tg.Tenant)})
		case p.Quiet:
			as = append(as, alert{
				Text: fmt.Sprintf("No %s delivery for tenant %s for %s (the last at %s).", p.Provider, tg.Tenant, duration(now.Sub(p.Last)), when(p.Last)),
				Link: "deliveries?" + query("tenant", tg.Tenant, "provider", p.Provider, "since", "all"),
			})
		}
	}
	if tg.Backlog > 0 && now.Sub(tg.OldestPending) > backlogAlert {
		as = append(as, alert{
			Text: fmt.Sprintf("%d deliveries of tenant %s wait to be applied; the oldest for %s.", tg.Backlog, tg.Tenant, duration(now.Sub(tg.OldestPending))),
			Link: "deliveries?" + query("tenant", tg.Tenant, "status", string(donorsync.Pending), "since", "all"),
		})
	}
	return as
}

// stuck says how many deliveries of tenant have status st: n over the
// window, or when none, whether there are older ones.
func (h *Handler) stuck(ctx context.Context, tenant string, st donorsync.DeliveryStatus, n int) ([]alert, error) {
	if n > 0 {
		return []alert{{
			Text: fmt.Sprintf("%s %s %s in the last 24 hours for tenant %s.", strconv.Itoa(n), st, plural(n, "delivery", "deliveries"), tenant),
			Link: "deliveries?" + query("tenant", tenant, "status", string(st), "since", "24h"),
		}}, nil
	}
	var ds []*donorsync.Delivery
	err := h.view(ctx, func(tx donorsync.Tx) error {
		var err error
		ds, err = tx.Deliveries(ctx, tenant, donorsync.DeliveryFilter{Status: st, Page: donorsync.Page{Limit: 1}})
		return err
	})
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return []alert{{
		Text: fmt.Sprintf("Tenant %s has %s deliveries older than 24 hours.", tenant, st),
		Link: "deliveries?" + query("tenant", tenant, "status", string(st), "since", "all"),
	}}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
