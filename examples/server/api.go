package main

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/donorsync/donorsync"
)

// api guards the read API with the admin token, and serves what the
// admin package does not: the status of the reconciliations.
type api struct {
	token  [sha256.Size]byte
	logger *slog.Logger

	reconciliation *reconciliation // nil when off
}

// bearer reports whether r carries the admin token as a bearer token.
func (a *api) bearer(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	got := sha256.Sum256([]byte(strings.TrimPrefix(h, "Bearer ")))
	return strings.HasPrefix(h, "Bearer ") && subtle.ConstantTimeCompare(got[:], a.token[:]) == 1
}

// requireBearer answers 401 to a request without the admin token.
func (a *api) requireBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.bearer(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="donorsync"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// auth serves next behind the admin token, answering its error with fail.
func (a *api) auth(next func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return a.requireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := next(w, r); err != nil {
			a.fail(w, r, err)
		}
	}))
}

// fail answers a request that next could not serve. Not found says so;
// anything else is an internal error whose detail is logged under a
// request id and never sent to the client.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, donorsync.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	a.logger.ErrorContext(r.Context(), "read API", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error", "request_id": id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
