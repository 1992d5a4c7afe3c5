// Package donorsync receives donation webhooks from ActBlue, Action Network
// and Anedot and turns them into contacts and donations in your own store.
//
// A Handler authenticates a delivery with a Source (a provider package such
// as actblue), journals its raw bytes in a Store, decodes it into
// donation.Event values and applies them with an Ingester: contacts are
// matched and merged, donations, adjustments and commitments upserted by
// their natural keys. The Store is yours to choose: memstore for tests,
// or an adapter over your own database that passes storetest.Run.
//
// The engine keeps these rules:
//
//   - Nothing acknowledged is lost: a 2xx is sent only after the raw
//     delivery is committed to the store's journal. A delivery that
//     cannot be decoded is kept, quarantined with its error.
//   - Effects happen exactly once: every delivery has an idempotency key
//     and every effect is an upsert keyed by a natural key.
//   - Order does not matter: the final state is the same for every arrival
//     order of the same deliveries.
//   - Tenants are isolated: every key includes the tenant, and the tenant
//     comes from the credentials.
//   - What changed is told once, with the change: with
//     Ingester.RecordChanges, every record created or changed appends a
//     change (package change) to its tenant's feed in the same
//     transaction, and none is written for a duplicate or a replay that
//     changes nothing. A Feed hands the changes to the application, at
//     least once each, in order per tenant, with a cursor kept in the
//     store.
package donorsync

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/donorsync/donorsync/donation"
)

// DeliveryStatus is where a journaled delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	// Pending: journaled, not yet applied.
	Pending DeliveryStatus = "pending"
	// Processed: applied; its effects are in the store.
	Processed DeliveryStatus = "processed"
	// Duplicate: a repeat of an earlier delivery with the same idempotency
	// key; kept for the record, never applied.
	Duplicate DeliveryStatus = "duplicate"
	// Failed: applying it failed for a reason that may pass; it can be
	// retried or replayed.
	Failed DeliveryStatus = "failed"
	// Quarantined: it cannot be decoded or is invalid; kept with the error
	// until a fix allows a replay.
	Quarantined DeliveryStatus = "quarantined"
	// Dead: it kept failing and is no longer retried automatically.
	Dead DeliveryStatus = "dead"
)

// A Delivery is one webhook request as received and journaled: the raw
// body exactly as sent, and what the engine knows of it.
//
// Deliveries redact themselves when logged with log/slog: the body never
// appears.
type Delivery struct {
	ID          string // assigned on receipt
	Tenant      string
	Provider    string
	Kind        string // a hint from how the source is mounted, such as "refund"; "" when none
	Key         string // idempotency key
	Body        []byte
	ReceivedAt  time.Time
	Status      DeliveryStatus
	DuplicateOf string // for a Duplicate, the id of the delivery it repeats
	Attempts    int    // how many times applying it was tried
	Error       string // the last error, for Failed, Quarantined and Dead
	UpdatedAt   time.Time

	// NextAttemptAt is when a Pending or Failed delivery may be tried
	// (again); zero means at once.
	NextAttemptAt time.Time
	// ClaimedUntil is when the claim of the Worker processing the delivery
	// lapses; zero when unclaimed.
	ClaimedUntil time.Time

	// History holds the outcomes of the attempts before the last, oldest
	// first, at most MaxHistory of them (the oldest are dropped): the
	// errors of a delivery that failed, then was applied, or was
	// quarantined, then replayed. The last outcome is Status, Error and
	// UpdatedAt. Empty for a delivery applied at its first attempt.
	History []Attempt
}

// MaxHistory bounds Delivery.History.
const MaxHistory = 16

// An Attempt is an earlier outcome of applying a delivery.
type Attempt struct {
	At     time.Time      `json:"at"`
	Status DeliveryStatus `json:"status"` // Processed, Failed, Quarantined or Dead
	Error  string         `json:"error,omitempty"`
}

// history returns what d's History becomes when a new outcome replaces
// its current one: the current one added, if it has one.
func history(d *Delivery) []Attempt {
	switch d.Status {
	case Processed, Failed, Quarantined, Dead:
	default:
		return d.History
	}
	h := append(slices.Clip(d.History), Attempt{At: d.UpdatedAt, Status: d.Status, Error: d.Error})
	if len(h) > MaxHistory {
		h = h[len(h)-MaxHistory:]
	}
	return h
}

// LogValue implements slog.LogValuer.
func (d *Delivery) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", d.ID),
		slog.String("tenant", d.Tenant),
		slog.String("provider", d.Provider),
		slog.String("key", d.Key),
		slog.Int("bytes", len(d.Body)),
		slog.String("status", string(d.Status)),
	)
}

// A Source is one provider's side of the webhook: how its requests are
// authenticated and how its bodies decode. The provider packages (actblue,
// anedot, actionnetwork) provide Sources. Implementations must be safe for
// concurrent use.
type Source interface {
	// Provider returns the provider's name, such as "actblue". It is part
	// of every natural key.
	Provider() string

	// Authenticate checks the request's credentials before its body is
	// read, and returns the tenant they belong to and the reader the body
	// is to be read from (once, to its end). A source that authenticates
	// by headers or by the URL checks them now and returns r.Body. A
	// source that signs the body returns a reader over r.Body that checks
	// the signature as the bytes go by and, at the end of a body whose
	// signature does not match, returns an error wrapping ErrUnauthorized
	// in place of io.EOF; the tenant is vouched for only once the body has
	// been read to io.EOF. Authenticate must do the same work whatever is
	// wrong (no credentials, unknown tenant, wrong or expired ones), and
	// return, or have the body's reader return, an error wrapping
	// ErrUnauthorized on failure. Such an error may have a method
	// WWWAuthenticate() string: the Handler then sends the challenge it
	// returns in the WWW-Authenticate header of its 401 answer.
	Authenticate(r *http.Request) (tenant string, body io.Reader, err error)

	// Decode turns a journaled delivery into events. It reads d.Tenant,
	// d.Kind and d.Body and never changes d. An error means the delivery
	// cannot be applied as it is: it is quarantined with the error.
	Decode(d *Delivery) (Decoded, error)
}

// A Hinter is a Source that records, on each delivery, a hint about its
// kind taken from the request (for example from the URL it was sent to),
// stored as Delivery.Kind so that a replay decodes the delivery as it was
// first decoded.
type Hinter interface {
	Hint(r *http.Request) string
}

// Decoded is what a Source makes of a delivery.
type Decoded struct {
	// Key is the delivery's idempotency key, unique per provider and
	// tenant. When empty, the SHA-256 of the body is used. A key longer
	// than 256 bytes, or holding NUL or invalid UTF-8, is journaled as
	// "sha256:" and the hex SHA-256 of the key, so that it fits every
	// store's index; the same key always gives the same digest.
	Key string
	// Events are the facts the delivery carries, applied in order.
	Events []donation.Event
}
