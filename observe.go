package donorsync

import (
	"context"
	"time"
)

// An Observer is told what Handlers, the Ingester and Workers do, for
// metrics: see the donorsync/metrics modules for Prometheus and
// OpenTelemetry. Set it as Ingester.Observer; the Handlers and Workers of
// that Ingester report to it too. Its methods are called on the path of
// the work they describe, after it: they must return quickly, must not
// block, and must be safe for concurrent use. Nil means no observation,
// at no cost.
type Observer interface {
	// Request is called once for each request a Handler answers.
	Request(ctx context.Context, r RequestEvent)

	// Applied is called once for each delivery the Ingester applied, or
	// tried to, once its outcome is committed: inline (by Receive), by a
	// Worker, or by a replay.
	Applied(ctx context.Context, a ApplyEvent)
}

// Outcome is how a Handler answered a request: the status of its delivery
// when it was journaled, or why it was refused.
type Outcome string

// The outcomes of a request that was not journaled (those of a journaled
// delivery are its DeliveryStatus: processed, pending, duplicate,
// quarantined or failed).
const (
	OutcomeUnauthorized Outcome = "unauthorized" // 401: see RequestEvent.AuthFailure
	OutcomeTooLarge     Outcome = "too_large"    // 413
	OutcomeMethod       Outcome = "method"       // 405: not a POST
	OutcomeUnreadable   Outcome = "unreadable"   // 400: the body could not be read
	OutcomeBusy         Outcome = "busy"         // 503: MaxBytesInFlight was full
	OutcomeUnavailable  Outcome = "unavailable"  // 503: the store did not journal in time
)

// AuthFailure is why a request was answered 401, as the Source's error
// says (see ErrUnknownTenant, ErrWrongCredential, ErrMalformedCredential).
type AuthFailure string

// The causes of a 401. The answer does not tell them: every 401 is the
// same.
const (
	AuthUnknownTenant      AuthFailure = "unknown_tenant"   // no credentials for the tenant the request names
	AuthWrongCredential    AuthFailure = "wrong_credential" // credentials of the right form that match no live one
	AuthMalformed          AuthFailure = "malformed"        // no credentials, or not in the form the platform sends
	AuthUnspecifiedFailure AuthFailure = "unspecified"      // the Source did not say
)

// A RequestEvent is a request a Handler answered.
type RequestEvent struct {
	Provider string
	Tenant   string // "" when it was refused before its tenant was vouched for
	Kind     string // the delivery's Kind (see Hinter)

	Status      int         // the HTTP status sent
	Outcome     Outcome     // the delivery's status, or why the request was refused
	AuthFailure AuthFailure // for a 401, its cause

	Bytes    int           // the body's length, when it was read
	Duration time.Duration // from the start of the request to the answer
	// Journal is the time the Ingester took to journal the delivery (and,
	// inline, apply it), from the end of the upload; 0 when it did not
	// get that far.
	Journal time.Duration
}

// An ApplyEvent is the committed outcome of applying a delivery.
type ApplyEvent struct {
	Provider string
	Tenant   string
	Kind     string

	// Status is Processed, Quarantined (it cannot be applied as it is),
	// Failed (to be tried again) or Dead (no more attempts).
	Status   DeliveryStatus
	Attempts int  // the attempts so far, this one included: over 1 for a retry
	Queued   bool // applied after the answer, by a Worker or a replay

	// Batch is the number of deliveries committed in the same
	// transaction, and Duration the time that transaction took, from the
	// start of the work to the commit.
	Batch    int
	Duration time.Duration
}

// observeApplied reports the outcome of each delivery of ds, committed
// together after start.
func (g *Ingester) observeApplied(ctx context.Context, start time.Time, queued bool, ds ...*Delivery) {
	if g.Observer == nil {
		return
	}
	took := time.Since(start)
	for _, d := range ds {
		g.Observer.Applied(ctx, ApplyEvent{
			Provider: d.Provider, Tenant: d.Tenant, Kind: d.Kind,
			Status: d.Status, Attempts: d.Attempts, Queued: queued,
			Batch: len(ds), Duration: took,
		})
	}
}
