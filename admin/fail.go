package admin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/donorsync/donorsync"
)

// An apiFunc serves a request of the JSON API; its error is answered by
// failJSON.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// A pageFunc serves a page; its error is answered by failPage.
type pageFunc func(w http.ResponseWriter, r *http.Request) error

func (h *Handler) api(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.serves(r.PathValue("tenant")) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		if err := f(w, r); err != nil {
			h.failJSON(w, r, err)
		}
	})
}

// failJSON answers a request that the API could not serve. Not found and
// bad requests say so; anything else is an internal error whose detail
// (a store's or a connection's message) is logged under a request id and
// never sent to the client.
func (h *Handler) failJSON(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, donorsync.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	case errors.Is(err, errBadRequest):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	default:
		body := map[string]string{"error": "internal error", "request_id": h.logInternal(r, err)}
		if d := r.PathValue("id"); d != "" { // {id} names deliveries only
			body["delivery_id"] = d
		}
		writeJSON(w, http.StatusInternalServerError, body)
	}
}

// logInternal logs an internal error under a new request id, and returns
// the id.
func (h *Handler) logInternal(r *http.Request, err error) string {
	id := requestID()
	h.logger().ErrorContext(r.Context(), "admin", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	return id
}

// requestID returns a random id that ties an answer to its log line.
func requestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
