package donorsync

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/donorsync/donorsync/internal/lograte"
	"github.com/donorsync/donorsync/observe"
)

// A rejection is why a request was refused before its delivery reached
// the store, and how it is answered.
type rejection struct {
	cause   observe.Outcome // logged, observed, and counted in the summaries
	status  int
	message string
}

var (
	causeMethod       = &rejection{observe.WrongMethod, http.StatusMethodNotAllowed, "method not allowed: send POST"}
	causeTooLarge     = &rejection{observe.TooLarge, http.StatusRequestEntityTooLarge, "request body too large"}
	causeUnauthorized = &rejection{observe.Unauthorized, http.StatusUnauthorized, "unauthorized"}
	causeUnreadable   = &rejection{observe.Unreadable, http.StatusBadRequest, "cannot read request body"}
	causeBusy         = &rejection{observe.Busy, http.StatusServiceUnavailable, "temporarily unavailable: retry later"}
)

// challenger is an authentication error that carries the challenge of
// the WWW-Authenticate header of a 401 answer (see Source).
type challenger interface{ WWWAuthenticate() string }

// readCause tells why reading a body failed.
func readCause(err error) *rejection {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return causeTooLarge
	case errors.Is(err, ErrUnauthorized):
		return causeUnauthorized
	}
	// The client went away or sent a broken body: nothing to keep.
	return causeUnreadable
}

// handlerLogs keeps what a Handler writes about rejected requests and
// store outages to a few lines.
type handlerLogs struct {
	once     sync.Once
	rejected lograte.Tally
	outage   lograte.Streak
}

// reject answers a request refused before its delivery reached the
// store, with one line at Debug, and counts it for the next summary.
// tenant is the one the request's credentials name, "" before they are
// read or when they are refused.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, start time.Time, why *rejection, tenant string, err error) {
	var c challenger
	if why == causeUnauthorized && errors.As(err, &c) {
		w.Header().Set("WWW-Authenticate", c.WWWAuthenticate())
	}
	if why.status == http.StatusServiceUnavailable {
		h.retryAfter(w)
	}
	writeJSON(w, why.status, response{Error: why.message})
	if o := h.observer(); o != nil {
		ev := observe.Request{Provider: h.Source.Provider(), Tenant: tenant, Status: why.status, Outcome: why.cause, Duration: time.Since(start)}
		if why == causeUnauthorized {
			ev.AuthFailure = authFailure(err)
		}
		o.Request(r.Context(), ev)
	}
	log := h.logger()
	if log.Enabled(r.Context(), slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("provider", h.Source.Provider()), slog.String("tenant", tenant), slog.String("remote", r.RemoteAddr),
			slog.String("cause", string(why.cause)), slog.Int("status", why.status),
			slog.Int64("content_length", r.ContentLength),
		}
		if why == causeUnreadable {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		log.LogAttrs(r.Context(), slog.LevelDebug, "donorsync: webhook rejected", attrs...)
	}
	h.logs.once.Do(func() {
		h.logs.rejected.Period = time.Second
		h.logs.rejected.Emit = h.summarise
	})
	h.logs.rejected.Add(string(why.cause))
}

// summarise writes the summary of the requests rejected since the last.
func (h *Handler) summarise(counts []lograte.Count, over time.Duration) {
	attrs := make([]slog.Attr, 0, len(counts)+2)
	attrs = append(attrs, slog.String("provider", h.Source.Provider()))
	for _, c := range counts {
		attrs = append(attrs, slog.Int(c.Cause, c.N))
	}
	attrs = append(attrs, slog.Duration("over", over))
	h.logger().LogAttrs(context.Background(), slog.LevelWarn, "donorsync: webhook requests rejected", attrs...)
}

// unavailable answers a delivery the store did not journal: one line at
// Error when the store starts failing, one at Debug per request.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, start time.Time, d *Delivery, err error) {
	h.retryAfter(w)
	writeJSON(w, http.StatusServiceUnavailable, response{Error: "temporarily unavailable: retry later"})
	h.observe(r, start, d, http.StatusServiceUnavailable, observe.Unavailable, 0)
	log := h.logger()
	if h.logs.outage.Fail(time.Now()) {
		log.LogAttrs(r.Context(), slog.LevelError, "donorsync: store cannot journal deliveries; answering 503",
			slog.String("provider", d.Provider), slog.String("error", err.Error()))
	}
	log.LogAttrs(r.Context(), slog.LevelDebug, "donorsync: webhook not journaled", slog.Int("status", http.StatusServiceUnavailable),
		slog.String("provider", d.Provider), slog.String("remote", r.RemoteAddr), slog.String("tenant", d.Tenant),
		slog.Int("bytes", len(d.Body)), slog.Duration("latency", time.Since(start)), slog.String("error", err.Error()))
}

// journaled observes and logs a delivery answered 200, and the end of an
// outage; ready is when its upload ended.
func (h *Handler) journaled(r *http.Request, start, ready time.Time, d *Delivery) {
	h.observe(r, start, d, http.StatusOK, observe.Outcome(d.Status), time.Since(ready))
	log := h.logger()
	if ended, refused, lasted := h.logs.outage.Succeed(time.Now()); ended {
		log.LogAttrs(r.Context(), slog.LevelWarn, "donorsync: store journals deliveries again",
			slog.String("provider", d.Provider), slog.Int("refused", refused), slog.Duration("lasted", lasted))
	}
	log.LogAttrs(r.Context(), slog.LevelInfo, "donorsync: webhook", slog.Int("status", http.StatusOK),
		slog.Any("delivery", d), slog.Duration("latency", time.Since(start)))
}

// observe tells the Observer, if any, of a request whose body was read.
func (h *Handler) observe(r *http.Request, start time.Time, d *Delivery, status int, outcome observe.Outcome, journal time.Duration) {
	if o := h.observer(); o != nil {
		o.Request(r.Context(), observe.Request{Provider: d.Provider, Tenant: d.Tenant, Kind: d.Kind,
			Status: status, Outcome: outcome, Bytes: len(d.Body), Duration: time.Since(start), Journal: journal})
	}
}

func (h *Handler) observer() observe.Observer {
	if h.Ingester == nil {
		return nil
	}
	return h.Ingester.Observer
}

func (h *Handler) retryAfter(w http.ResponseWriter) {
	retry := h.RetryAfter
	if retry <= 0 {
		retry = 30 * time.Second
	}
	w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
