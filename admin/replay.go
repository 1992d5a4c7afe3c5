package admin

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/donorsync/donorsync"
)

// delivery reads a delivery of tenant by id.
func (h *Handler) delivery(ctx context.Context, tenant, id string) (*donorsync.Delivery, error) {
	var d *donorsync.Delivery
	err := h.view(ctx, func(tx donorsync.Tx) error {
		var err error
		d, err = tx.Delivery(ctx, tenant, id)
		return err
	})
	return d, err
}

// replay replays a delivery with the Source of its provider, and returns
// it as it then stands.
func (h *Handler) replay(ctx context.Context, tenant, id string) (*donorsync.Delivery, error) {
	d, err := h.delivery(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	src, ok := h.sources[d.Provider]
	if !ok {
		return nil, badRequest("no source for provider %s: its deliveries cannot be replayed", d.Provider)
	}
	was := d.Status
	if d, err = h.Ingester.Replay(ctx, src, tenant, id); err != nil {
		return nil, fmt.Errorf("replaying %s: %w", id, err)
	}
	h.logger().InfoContext(ctx, "admin: delivery replayed", "tenant", tenant, "delivery_id", id, "was", was, "status", d.Status)
	return d, nil
}

// replayable are the statuses whose deliveries can be replayed together.
var replayable = []donorsync.DeliveryStatus{donorsync.Dead, donorsync.Quarantined, donorsync.Failed}

// replayAll replays the deliveries the request's form or query names:
// those of a status among replayable (status=), received since a time
// (since=, a time or a duration; empty for all), of a provider
// (provider=) or of every provider that has a Source. It returns how
// many it replayed.
func (h *Handler) replayAll(r *http.Request) (int, error) {
	tenant := r.PathValue("tenant")
	if tenant == "" {
		tenant = r.FormValue("tenant")
	}
	if !h.serves(tenant) {
		return 0, badRequest("tenant: want a tenant served")
	}
	status, err := parseStatus(r.FormValue("status"))
	if err != nil || !slices.Contains(replayable, status) {
		return 0, badRequest("status: want dead, quarantined or failed")
	}
	since, err := parseSince(r.FormValue("since"), h.now())
	if err != nil {
		return 0, err
	}
	var srcs []donorsync.Source
	if p := r.FormValue("provider"); p != "" {
		src, ok := h.sources[p]
		if !ok {
			return 0, badRequest("provider: no source for %q", p)
		}
		srcs = append(srcs, src)
	} else {
		for _, p := range h.providers() {
			srcs = append(srcs, h.sources[p])
		}
	}
	total := 0
	for _, src := range srcs {
		n, err := h.Ingester.ReplayAll(r.Context(), src, tenant, status, since)
		total += n
		if err != nil {
			return total, fmt.Errorf("replaying the %s deliveries of %s: %w", status, src.Provider(), err)
		}
	}
	h.logger().InfoContext(r.Context(), "admin: deliveries replayed", "tenant", tenant, "status", status, "since", since, "replayed", total)
	return total, nil
}

// showBody returns the body of d as it may be shown (see showBody), and
// logs each unmasked body shown, with who asked as far as the request
// tells.
func (h *Handler) showBody(r *http.Request, d *donorsync.Delivery, unmask bool) maskedBody {
	if unmask {
		h.logger().InfoContext(r.Context(), "admin: unmasked body shown", "tenant", d.Tenant, "delivery_id", d.ID, "remote", r.RemoteAddr)
	}
	return showBody(d.Kind, d.Body, unmask)
}
