// Package dedup holds what makes deliveries and donors unique: contact
// match keys, the policy that decides whether a stored contact is the
// person a delivery describes, and idempotency keys for deliveries.
package dedup

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/donorsync/donorsync/contact"
)

// Kind is the kind of a match key.
type Kind string

// Match key kinds.
const (
	Email   Kind = "email" // a normalised email address
	Phone   Kind = "phone" // a normalised phone number
	DonorID Kind = "donor" // a provider's own id for the person: "provider:id"
	Gift    Kind = "gift"  // last resort for a donor with no other key: "provider:donation id"
)

// A Key identifies a contact within a tenant. A stored key belongs to
// exactly one contact.
type Key struct {
	Kind  Kind
	Value string
}

// String returns "kind:value".
func (k Key) String() string { return string(k.Kind) + ":" + k.Value }

// Match is how a stored contact relates to an incoming one.
type Match int

// Match results, from weakest to strongest.
const (
	// NoMatch: the stored contact is someone else.
	NoMatch Match = iota
	// Weak: the same person if no key matches strongly. A weak match never
	// merges two stored contacts.
	Weak
	// Strong: the same person. When strong keys of one delivery lead to
	// several stored contacts, the engine merges them into one.
	Strong
)

// A Policy decides which stored contact, if any, an incoming contact is.
// Implementations must be safe for concurrent use.
type Policy interface {
	// Keys returns the keys that identify c, strongest first. The engine
	// looks up each one and claims those still free for the contact.
	Keys(c contact.Contact) []Key
	// Match tells how found, a stored contact that owns key k, relates to in.
	Match(in contact.Contact, k Key, found contact.Contact) Match
}

// DefaultPolicy matches by normalised email, then by normalised phone,
// then by a provider's donor id.
//
// Email and donor id are strong: they identify a person. A phone is weak,
// because households share phones: it matches only when the incoming
// contact has no email or the stored one has none, so a phone never
// attaches one person's gift to another person who has a different email.
type DefaultPolicy struct{}

// Keys implements Policy.
func (DefaultPolicy) Keys(c contact.Contact) []Key { return Keys(c) }

// Match implements Policy.
func (DefaultPolicy) Match(in contact.Contact, k Key, found contact.Contact) Match {
	switch k.Kind {
	case Email, DonorID, Gift:
		return Strong
	case Phone:
		if len(in.Emails) == 0 || len(found.Emails) == 0 {
			return Weak
		}
	}
	return NoMatch
}

// Keys returns the default match keys of c: its emails, its matchable
// phones (see contact.Phone.Matchable), then its provider donor ids, each
// in sorted order.
func Keys(c contact.Contact) []Key {
	keys := make([]Key, 0, len(c.Emails)+len(c.Phones)+len(c.Sources))
	for _, e := range c.Emails {
		keys = append(keys, Key{Kind: Email, Value: e})
	}
	for _, p := range c.Phones {
		if p.Matchable() {
			keys = append(keys, Key{Kind: Phone, Value: p.Number})
		}
	}
	for _, s := range c.Sources {
		if s.DonorID != "" {
			keys = append(keys, Key{Kind: DonorID, Value: s.Provider + ":" + s.DonorID})
		}
	}
	return keys
}

// BodyKey returns the idempotency key of last resort for a delivery: the
// SHA-256 of its body.
func BodyKey(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}
