// Package observe defines what donorsync tells an Observer about the work
// it does, for metrics: each request a Handler answers and each delivery
// the Ingester applies. Set an Observer as donorsync.Ingester.Observer;
// the modules under donorsync/metrics implement it for Prometheus and
// OpenTelemetry.
//
// The state of the journal (its backlog, the age of its oldest pending
// delivery, the last delivery of each platform) is not an event: read it
// on demand with donorsync.Ingester.JournalStats.
package observe

import (
	"context"
	"time"
)

// An Observer is told what Handlers, the Ingester and Workers do. Its
// methods are called on the path of the work they describe, after it:
// they must return quickly, must not block, and must be safe for
// concurrent use.
type Observer interface {
	// Request is called once for each request a Handler answers.
	Request(ctx context.Context, r Request)

	// Applied is called once for each delivery the Ingester applied, or
	// tried to, once its outcome is committed: inline (by Receive), by a
	// Worker, or by a replay.
	Applied(ctx context.Context, a Apply)
}

// A Request is a request a Handler answered.
type Request struct {
	Provider string
	// Tenant is the tenant the request's credentials name: "" when they
	// name none. For a source that signs the body (Anedot) it is vouched
	// for only once the body is read in full: it is then a tenant with
	// credentials, and "" when the signature does not match.
	Tenant string
	Kind   string // the delivery's Kind, once its body is read

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

// An Apply is the committed outcome of applying a delivery.
type Apply struct {
	Provider string
	Tenant   string
	Kind     string

	// Outcome is Processed, Quarantined (it cannot be applied as it is),
	// Failed (to be tried again) or Dead (no more attempts).
	Outcome  Outcome
	Attempts int  // the attempts so far, this one included: over 1 for a retry
	Queued   bool // applied after the answer, by a Worker or a replay

	// Batch is the number of deliveries committed in the same
	// transaction, and Duration the time that transaction took, from the
	// start of the work to the commit.
	Batch    int
	Duration time.Duration
}

// An Outcome is what became of a request or of a delivery.
type Outcome string

// The outcomes of a journaled delivery: its status (donorsync.DeliveryStatus
// has the same values).
const (
	Processed   Outcome = "processed"   // applied
	Pending     Outcome = "pending"     // journaled, for a Worker to apply
	Duplicate   Outcome = "duplicate"   // journaled before: changes nothing
	Quarantined Outcome = "quarantined" // kept, cannot be applied as it is
	Failed      Outcome = "failed"      // not applied, to be tried again
	Dead        Outcome = "dead"        // failed, with no more attempts
)

// The outcomes of a request that was not journaled.
const (
	Unauthorized Outcome = "unauthorized" // 401: see Request.AuthFailure
	TooLarge     Outcome = "too_large"    // 413
	WrongMethod  Outcome = "method"       // 405: not a POST
	Unreadable   Outcome = "unreadable"   // 400: the body could not be read
	Busy         Outcome = "busy"         // 503: the Handler's MaxBytesInFlight was full
	Unavailable  Outcome = "unavailable"  // 503: the store did not journal in time
)

// AuthFailure is why a request was answered 401, as the Source's error
// says (see donorsync.ErrUnknownTenant, ErrWrongCredential and
// ErrMalformedCredential).
type AuthFailure string

// The causes of a 401. The answer does not tell them: every 401 is the
// same.
const (
	UnknownTenant   AuthFailure = "unknown_tenant"   // no credentials for the tenant the request names
	WrongCredential AuthFailure = "wrong_credential" // credentials of the right form that match no live one
	Malformed       AuthFailure = "malformed"        // no credentials, or not in the form the platform sends
	Unspecified     AuthFailure = "unspecified"      // the Source did not say
)
