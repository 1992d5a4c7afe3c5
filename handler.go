package donorsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// DefaultDeadline is how long a Handler whose Deadline is zero takes at
// most to answer: below Action Network's 500 ms, after which it drops the
// delivery.
const DefaultDeadline = 400 * time.Millisecond

// DefaultMaxBodyBytes is the body limit of a Handler whose MaxBodyBytes is
// zero: far above any real delivery (an ActBlue contribution is about
// 2 KB), low enough that memory stays bounded by in-flight requests.
const DefaultMaxBodyBytes = 1 << 20

// A Handler is the http.Handler that receives one provider's webhooks.
//
// For each POST it reads the body under MaxBodyBytes, authenticates the
// request (and, for signing platforms, the body) with Source, and hands
// the delivery to Ingester, which journals it and, in inline mode, applies
// it before the response is sent; in queued mode (Queued) a Worker applies
// it afterwards. It answers as HTTPStatus says: 200 once the delivery is
// journaled (processed, pending, duplicate, or kept as quarantined or
// failed), 401 for every
// authentication failure with one body, 413 past the body limit, 503 with
// Retry-After when the store cannot journal.
//
// Set Source and Ingester; other fields are optional. A Handler is safe
// for concurrent use; do not change its fields while it serves.
type Handler struct {
	Source   Source
	Ingester *Ingester

	// MaxBodyBytes limits the request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// RetryAfter is sent with 503 responses; 0 means 30 seconds.
	RetryAfter time.Duration

	// Queued selects queued mode: a delivery is answered once it is
	// journaled as Pending, and a Worker applies it. Otherwise (inline
	// mode) it is applied before the answer, in the same transaction.
	// Both end in the same state.
	Queued bool

	// Deadline bounds the time from the start of a request to the answer.
	// A delivery the store has not journaled by then gets 503 with
	// Retry-After, and its transaction is abandoned; the sender retries.
	// 0 means DefaultDeadline; a negative value means no deadline.
	Deadline time.Duration

	// Logger receives one record per request (tenant, provider, delivery
	// id and key, size, outcome, latency; never credentials or donor
	// data). Nil means slog.Default().
	Logger *slog.Logger
}

// response is the JSON body of every answer.
type response struct {
	Status   string `json:"status,omitempty"`
	Delivery string `json:"delivery,omitempty"`
	Error    string `json:"error,omitempty"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	provider := h.Source.Provider()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, response{Error: "method not allowed: send POST"})
		return
	}

	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.ContentLength > limit {
		h.fail(w, r, log, start, provider, "", int(r.ContentLength), ErrBodyTooLarge)
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(w, r, log, start, provider, "", len(body), ErrBodyTooLarge)
			return
		}
		// The client went away or sent a broken body: nothing to keep.
		writeJSON(w, http.StatusBadRequest, response{Error: "cannot read request body"})
		log.LogAttrs(r.Context(), slog.LevelWarn, "donorsync: webhook",
			slog.String("provider", provider), slog.String("outcome", "unreadable"),
			slog.Duration("latency", time.Since(start)))
		return
	}

	tenant, err := h.Source.Authenticate(r, body)
	if err != nil {
		// One body for every cause, so that a caller learns nothing.
		h.fail(w, r, log, start, provider, "", len(body), ErrUnauthorized)
		return
	}

	d := &Delivery{Tenant: tenant, Provider: provider, Body: body}
	if k, ok := h.Source.(Hinter); ok {
		d.Kind = k.Hint(r)
	}
	if err := h.receive(r, start, d); err != nil {
		h.fail(w, r, log, start, provider, tenant, len(body), err)
		return
	}
	writeJSON(w, http.StatusOK, response{Status: string(d.Status), Delivery: d.ID})
	log.LogAttrs(r.Context(), slog.LevelInfo, "donorsync: webhook",
		slog.Any("delivery", d), slog.Duration("latency", time.Since(start)))
}

// receive hands d to the Ingester, which returns by the deadline even if
// the store does not honour cancellation (its group commit waits for the
// transaction or the deadline, whichever comes first). A panic (a Source's
// decoder, met by one body) is answered as a delivery not journaled.
func (h *Handler) receive(r *http.Request, start time.Time, d *Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: panic: %v", ErrUnavailable, p)
		}
	}()
	in := h.Ingester.Receive
	if h.Queued {
		in = h.Ingester.Enqueue
	}
	deadline := h.Deadline
	if deadline == 0 {
		deadline = DefaultDeadline
	}
	if deadline < 0 {
		return in(r.Context(), h.Source, d)
	}
	ctx, cancel := context.WithDeadline(r.Context(), start.Add(deadline))
	defer cancel()
	err = in(ctx, h.Source, d)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: not journaled within %v", ErrUnavailable, deadline)
	}
	return err
}

// fail answers a request that was not journaled.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, start time.Time, provider, tenant string, size int, err error) {
	status := HTTPStatus(err)
	var body response
	level := slog.LevelWarn
	switch status {
	case http.StatusUnauthorized:
		body.Error = "unauthorized"
	case http.StatusRequestEntityTooLarge:
		body.Error = "request body too large"
	default:
		level = slog.LevelError
		body.Error = "temporarily unavailable: retry later"
		retry := h.RetryAfter
		if retry <= 0 {
			retry = 30 * time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, body)
	attrs := []slog.Attr{
		slog.String("provider", provider), slog.String("tenant", tenant), slog.Int("bytes", size),
		slog.Int("status", status), slog.Duration("latency", time.Since(start)),
	}
	if status == http.StatusServiceUnavailable {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	log.LogAttrs(r.Context(), level, "donorsync: webhook rejected", attrs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readBody reads r to its end, as io.ReadAll does, into one buffer of the
// declared length when there is one (size, at most the handler's limit),
// rather than a buffer grown and copied along the way.
func readBody(r io.Reader, size int64) ([]byte, error) {
	// One byte more, for the read that finds the end.
	b := make([]byte, 0, max(size+1, 512))
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
