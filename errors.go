package donorsync

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/observe"
)

// Errors the engine, the handler and stores report. Match them with
// errors.Is; the errors returned wrap them with detail.
var (
	// ErrUnauthorized: the request's credentials are missing or wrong.
	ErrUnauthorized = errors.New("donorsync: unauthorized")
	// ErrBodyTooLarge: the request body is over the handler's limit.
	ErrBodyTooLarge = errors.New("donorsync: request body too large")
	// ErrInvalid: a delivery cannot be applied as it is (it is malformed,
	// or misses a field the engine needs). It is quarantined.
	ErrInvalid = errors.New("donorsync: invalid delivery")
	// ErrUnavailable: the store cannot journal a delivery now; the sender
	// should retry.
	ErrUnavailable = errors.New("donorsync: store unavailable")
	// ErrNotFound: a store lookup found no record.
	ErrNotFound = errors.New("donorsync: not found")
	// ErrConflict: a store write lost a race with another transaction
	// (a key already taken); the engine retries the whole transaction.
	ErrConflict = errors.New("donorsync: conflict")
)

// The causes of an authentication failure, which a Source's error may
// wrap so that an Observer can tell them apart (observe.AuthFailure). They wrap
// ErrUnauthorized; the answer never tells them.
var (
	// ErrUnknownTenant: the request names a tenant without credentials.
	ErrUnknownTenant = fmt.Errorf("%w: unknown tenant", ErrUnauthorized)
	// ErrWrongCredential: credentials of the right form that match none
	// of the tenant's live ones (wrong, or expired).
	ErrWrongCredential = fmt.Errorf("%w: wrong credential", ErrUnauthorized)
	// ErrMalformedCredential: no credentials, or not in the form the
	// platform sends them.
	ErrMalformedCredential = fmt.Errorf("%w: malformed credentials", ErrUnauthorized)
)

// authFailure tells the cause of a 401 from the Source's error.
func authFailure(err error) observe.AuthFailure {
	switch {
	case errors.Is(err, ErrUnknownTenant):
		return observe.UnknownTenant
	case errors.Is(err, ErrWrongCredential):
		return observe.WrongCredential
	case errors.Is(err, ErrMalformedCredential):
		return observe.Malformed
	}
	return observe.Unspecified
}

// A KeyConflictError reports a contact key that belongs to another
// contact. It matches ErrConflict.
type KeyConflictError struct {
	Key   dedup.Key
	Owner string // id of the contact that owns the key
}

func (e *KeyConflictError) Error() string {
	return fmt.Sprintf("donorsync: contact key of kind %s belongs to contact %s", e.Key.Kind, e.Owner)
}

// Is reports whether target is ErrConflict.
func (e *KeyConflictError) Is(target error) bool { return target == ErrConflict }

// A DecodeError reports a delivery its Source could not decode. It
// matches ErrInvalid; Err says what was wrong (often a *flex.Error naming
// the field).
type DecodeError struct {
	Provider string
	Err      error
}

func (e *DecodeError) Error() string { return e.Provider + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// LogValue implements slog.LogValuer. It logs the provider and, when the
// cause can log itself without personal data (as *flex.Error does), the
// cause; otherwise only the cause's type, since a decoder's message may
// quote the payload.
func (e *DecodeError) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("provider", e.Provider)}
	var lv slog.LogValuer
	if errors.As(e.Err, &lv) {
		attrs = append(attrs, slog.Any("cause", lv))
	} else {
		attrs = append(attrs, slog.String("cause", fmt.Sprintf("%T", e.Err)))
	}
	return slog.GroupValue(attrs...)
}

// Is reports whether target is ErrInvalid.
func (e *DecodeError) Is(target error) bool { return target == ErrInvalid }

// HTTPStatus returns the status code a webhook sender gets for the outcome
// err of handling its delivery. It is the one place where errors become
// statuses:
//
//	nil                        200 (processed, duplicate, quarantined or failed but kept)
//	ErrUnauthorized            401
//	ErrBodyTooLarge            413
//	ErrUnavailable, others     503 (not known to be journaled: the sender should retry;
//	                           a retry of a delivery committed after all is a duplicate)
//
// A delivery that was journaled always gets 200, whatever happened when
// applying it, because platforms pause webhooks that answer errors.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusServiceUnavailable
}
