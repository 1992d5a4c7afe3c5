package donorsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
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

// DefaultMaxBytesInFlight is the cap on request bodies being read or held
// at once of a Handler whose MaxBytesInFlight is zero: 64 MiB, room for
// 64 bodies of unknown length at DefaultMaxBodyBytes, or some 30,000
// deliveries of 2 KB that declare their length, as the platforms do.
const DefaultMaxBytesInFlight = 64 << 20

// A Handler is the http.Handler that receives one provider's webhooks.
//
// For each POST it authenticates the request with Source before reading
// the body (a source that signs the body checks the signature as the body
// is read), reserves room for the body under MaxBytesInFlight, reads it
// under MaxBodyBytes, and hands the delivery to Ingester, which journals
// it and, in inline mode, applies it before the response is sent; in
// queued mode (Queued) a Worker applies it afterwards. It answers as
// HTTPStatus says: 200 once the delivery is journaled (processed,
// pending, duplicate, or kept as quarantined or failed), 401 for every
// authentication failure with one body (and the Source's challenge, if
// any, in WWW-Authenticate), 413 past the body limit, 405 for a method
// other than POST, 400 for a body that cannot be read.
//
// It answers 503 with Retry-After in two cases, and the sender should
// retry in both. When the bodies in flight would pass MaxBytesInFlight,
// at once, before reading the body: nothing was journaled. When the store
// did not journal the delivery by the Deadline or failed to: either
// nothing was committed, or the transaction holding the delivery still
// commits after the answer, and the retry is then answered 200 as a
// duplicate and changes nothing. Either way the delivery is applied once.
//
// Rejected requests (401, 405, 413, 400, 503 for a full cap) are logged
// at Debug, one line each with the remote address and the cause, and
// summarised at Warn at most once a second with their count by cause: a
// timer armed by the first rejection after a summary writes the next
// one, so no count is lost. A store that cannot journal is logged at
// Error when the first request fails, and at Warn with the number of
// requests refused and the duration when a delivery is journaled a
// second or more after the last refusal (refusals mixed with successes,
// from a store that answers some requests in time, are one outage); the
// requests between are logged at Debug.
//
// Set Source and Ingester; other fields are optional. A Handler is safe
// for concurrent use; do not copy it or change its fields while it
// serves.
type Handler struct {
	Source   Source
	Ingester *Ingester

	// MaxBodyBytes limits the request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// MaxBytesInFlight caps the bodies being read or held at once: each
	// request reserves its Content-Length (MaxBodyBytes when it declares
	// none, at most MaxBodyBytes) before its body is read, until it is
	// answered, and a request that does not fit is answered 503 at once.
	// 0 means DefaultMaxBytesInFlight, or MaxBodyBytes when that is
	// larger; a negative value means no cap. (A delivery answered 503
	// while the store stalls may still be held by a transaction in
	// progress, at most 8 MiB of bodies per transaction.) Requests to a
	// source that signs bodies are read before they can be refused: set
	// the server's ReadTimeout, so that slow uploads cannot hold the cap.
	MaxBytesInFlight int64

	// RetryAfter is sent with 503 responses; 0 means 30 seconds.
	RetryAfter time.Duration

	// Queued selects queued mode: a delivery is answered once it is
	// journaled as Pending, and a Worker applies it. Otherwise (inline
	// mode) it is applied before the answer, in the same transaction.
	// Both end in the same state.
	Queued bool

	// Deadline bounds the server's own work on a request: the time from
	// the end of the body's upload (a slow sender does not count) to the
	// answer. A delivery the store has not journaled by then gets 503
	// with Retry-After (see above). 0 means DefaultDeadline; a negative
	// value means no deadline.
	Deadline time.Duration

	// Logger receives one record per delivery journaled (tenant,
	// provider, delivery id and key, size, outcome, latency; never
	// credentials or donor data), and the refusals and summaries above.
	// Nil means slog.Default().
	Logger *slog.Logger

	inFlight atomic.Int64 // bytes reserved by bodies in flight
	logs     handlerLogs
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
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, start, causeMethod, "", nil)
		return
	}
	limit := h.maxBodyBytes()
	if r.ContentLength > limit {
		h.reject(w, r, start, causeTooLarge, "", nil)
		return
	}
	size := limit
	if r.ContentLength >= 0 {
		size = r.ContentLength
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	// Bounded before anyone reads it: a body longer than it declared is
	// refused as too large.
	r.Body = http.MaxBytesReader(w, r.Body, size)
	tenant, src, err := h.Source.Authenticate(r)
	if err != nil {
		h.reject(w, r, start, causeUnauthorized, "", err)
		return
	}
	if !h.reserve(size) {
		h.reject(w, r, start, causeBusy, tenant, nil)
		return
	}
	defer h.release(size)
	body, err := readBody(src, r.ContentLength)
	if err != nil {
		why := readCause(err)
		if why == causeUnauthorized {
			tenant = "" // not vouched for
		}
		h.reject(w, r, start, why, tenant, err)
		return
	}
	h.deliver(w, r, start, &Delivery{Tenant: tenant, Provider: h.Source.Provider(), Body: body})
}

// deliver hands d, read in full, to the Ingester and answers.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, start time.Time, d *Delivery) {
	if k, ok := h.Source.(Hinter); ok {
		d.Kind = k.Hint(r)
	}
	ready := time.Now()
	if err := h.receive(r, ready, d); err != nil {
		h.unavailable(w, r, start, d, err)
		return
	}
	writeJSON(w, http.StatusOK, response{Status: string(d.Status), Delivery: d.ID})
	h.journaled(r, start, ready, d)
}

func (h *Handler) maxBodyBytes() int64 {
	if h.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return h.MaxBodyBytes
}

// reserve takes n bytes of the cap on bodies in flight, and reports
// whether they fit; it never waits.
func (h *Handler) reserve(n int64) bool {
	limit := h.MaxBytesInFlight
	switch {
	case limit < 0:
		return true
	case limit == 0:
		limit = max(DefaultMaxBytesInFlight, h.maxBodyBytes())
	}
	if h.inFlight.Add(n) > limit {
		h.inFlight.Add(-n)
		return false
	}
	return true
}

// release gives back what reserve took.
func (h *Handler) release(n int64) {
	if h.MaxBytesInFlight >= 0 {
		h.inFlight.Add(-n)
	}
}

// receive hands d to the Ingester, which returns by the deadline (counted
// from ready, the end of the body's upload) even if the store does not
// honour cancellation (its group commit waits for the transaction or the
// deadline, whichever comes first). A panic in the store is answered as a
// delivery not journaled; one in a Source's decoder never comes here (the
// Ingester quarantines the delivery).
func (h *Handler) receive(r *http.Request, ready time.Time, d *Delivery) (err error) {
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
	ctx, cancel := context.WithDeadline(r.Context(), ready.Add(deadline))
	defer cancel()
	err = in(ctx, h.Source, d)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: not journaled within %v", ErrUnavailable, deadline)
	}
	return err
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
