package admin

import (
	"context"
	"net/http"
	"net/url"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/donation"
)

// deliveryView is a delivery's page.
type deliveryView struct {
	chrome
	D           *donorsync.Delivery
	Due         bool   // it waits for an attempt at D.NextAttemptAt
	NoSource    bool   // no Source decodes its provider
	DecodeError string // why it could not be decoded
	Key         string // the key decoding gives, when it differs from D.Key
	Events      []eventView
	ShowBody    bool
	Unmasked    bool
	Body        maskedBody
	Replayed    bool // the page follows a replay
}

// An eventView is a decoded event and the records it made.
type eventView struct {
	donation.Event
	Records records
}

// deliveryPage serves a delivery: what it decodes to, the records that
// made, and its body on request.
func (h *Handler) deliveryPage(w http.ResponseWriter, r *http.Request) error {
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	d, err := h.delivery(r.Context(), tenant, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := deliveryView{
		chrome: h.chrome(r, "Delivery "+d.ID, "deliveries"), D: d, Due: due(d),
		ShowBody: q.Get("body") == "1", Unmasked: q.Get("unmask") == "1", Replayed: q.Get("replayed") == "1",
	}
	if v.ShowBody {
		v.Body = h.showBody(r, d, v.Unmasked)
	}
	if err := h.decodeView(r.Context(), &v); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "delivery", v)
	return nil
}

// decodeView decodes v's delivery with the Source of its provider, and
// looks up the records of each event.
func (h *Handler) decodeView(ctx context.Context, v *deliveryView) error {
	d := v.D
	src, ok := h.sources[d.Provider]
	if !ok {
		v.NoSource = true
		return nil
	}
	dec, err := src.Decode(d)
	if err != nil {
		v.DecodeError = err.Error()
		return nil
	}
	if dec.Key != "" && dec.Key != d.Key {
		v.Key = dec.Key
	}
	return h.view(ctx, func(tx donorsync.Tx) error {
		v.Events = v.Events[:0]
		for _, ev := range dec.Events {
			rec, err := lookup(ctx, tx, d.Tenant, d.Provider, ev)
			if err != nil {
				return err
			}
			v.Events = append(v.Events, eventView{Event: ev, Records: rec})
		}
		return nil
	})
}

// replayPage replays a delivery and shows its page again.
func (h *Handler) replayPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.replay(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	// From .../deliveries/T/ID/replay back to .../deliveries/T/ID.
	seeOther(w, "../"+url.PathEscape(d.ID)+"?replayed=1")
	return nil
}
