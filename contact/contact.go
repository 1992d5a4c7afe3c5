// Package contact holds the donor record that donation platforms describe:
// a Contact, its normalisation, and the rules for merging what several
// deliveries say about one person.
//
// Merging is order independent: Merge is commutative, associative and
// idempotent, so every arrival order of the same observations gives the
// same contact. Per field, the value with the newest source time wins;
// an empty or missing value never erases a known one.
//
// In JSON (the change feed, the SQL stores' data columns) the fields of
// the types here are named in snake case, and a field without a value is
// left out.
package contact

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// Field names used as keys of Contact.Seen. Custom fields use
// CustomPrefix followed by the field's name.
const (
	FieldFirstName  = "first_name"
	FieldMiddleName = "middle_name"
	FieldLastName   = "last_name"
	FieldSuffix     = "suffix"
	FieldEmail      = "email"
	FieldPhone      = "phone"
	FieldAddress    = "address"
	FieldEmployer   = "employer"
	FieldOccupation = "occupation"
	CustomPrefix    = "custom."
)

// A Contact is a person known to a tenant.
//
// The zero value is an empty contact. A Contact is a plain value: copy it
// with Clone before sharing it between goroutines that modify it.
// Contacts redact themselves when logged with log/slog.
type Contact struct {
	ID     string `json:"id"` // assigned by the engine when the contact is created
	Tenant string `json:"tenant"`

	FirstName  string `json:"first_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	Suffix     string `json:"suffix,omitempty"`

	Email  string   `json:"email,omitempty"`  // the primary email: the one seen most recently
	Emails []string `json:"emails,omitempty"` // every normalised email seen, sorted
	Phone  string   `json:"phone,omitempty"`  // the primary phone in E.164 where possible: the one seen most recently
	Phones []Phone  `json:"phones,omitempty"` // every phone seen, sorted by Number (those without one first)

	Address    Address `json:"address,omitzero"`
	Employer   string  `json:"employer,omitempty"`
	Occupation string  `json:"occupation,omitempty"`

	Custom  map[string]string `json:"custom,omitempty"`  // custom fields by name
	Tags    []string          `json:"tags,omitempty"`    // sorted, without duplicates
	Sources []Source          `json:"sources,omitempty"` // providers and provider donor ids, sorted

	// Seen holds the source time of each field's current value, keyed by
	// the Field constants (and CustomPrefix+name for custom fields).
	Seen map[string]time.Time `json:"seen,omitempty"`

	CreatedAt time.Time `json:"created_at,omitzero"` // when the engine created the contact (its clock)
	UpdatedAt time.Time `json:"updated_at,omitzero"` // when the engine last changed it (its clock)
}

// An Address is a postal address. It is merged as a whole, never field by
// field, so that a street from one address is never combined with a city
// from another.
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`       // USPS code for US states, otherwise as received
	PostalCode string `json:"postal_code,omitempty"` // ZIP or ZIP+4 for the US, otherwise as received
	Country    string `json:"country,omitempty"`     // ISO 3166 alpha-2 where recognised, otherwise as received
}

// IsZero reports whether a has no component.
func (a Address) IsZero() bool { return a == Address{} }

// Complete reports whether a has a street line and a city or postal code.
func (a Address) Complete() bool {
	return a.Line1 != "" && (a.City != "" || a.PostalCode != "")
}

// An Activity is something a contact did that a platform reported: signed a
// petition, submitted a form, attended an event, wrote to a target. Its
// natural key is (Tenant, Provider, Key).
type Activity struct {
	Tenant     string    `json:"tenant"`
	Provider   string    `json:"provider"`
	Key        string    `json:"key"` // unique per provider, such as the action resource's identifier
	ContactID  string    `json:"contact_id,omitempty"`
	Type       string    `json:"type,omitempty"`   // the platform's type, such as "osdi:signature"
	Action     string    `json:"action,omitempty"` // a link to the action (petition, form, event), never fetched
	At         time.Time `json:"at,omitzero"`      // when the contact took the action, UTC
	DeliveryID string    `json:"delivery_id,omitempty"`
}

// A Phone is a phone number as received and in normalised form. Only a
// Matchable phone identifies a person.
type Phone struct {
	Number string `json:"number,omitempty"` // E.164 (+15105016227) when recognised, otherwise digits as received; "" for fewer than 7 digits
	Raw    string `json:"raw,omitempty"`    // as received, extension included
}

// A Source records that a contact was seen through a provider, with the
// donor id that provider gives the person, if any.
type Source struct {
	Provider string `json:"provider"`
	DonorID  string `json:"donor_id,omitempty"`
}

// Clone returns a deep copy of c.
func (c Contact) Clone() Contact {
	c.Emails = slices.Clone(c.Emails)
	c.Phones = slices.Clone(c.Phones)
	c.Tags = slices.Clone(c.Tags)
	c.Sources = slices.Clone(c.Sources)
	c.Custom = maps.Clone(c.Custom)
	c.Seen = maps.Clone(c.Seen)
	return c
}

// IsEmpty reports whether c carries no information about a person.
func (c Contact) IsEmpty() bool {
	return c.FirstName == "" && c.MiddleName == "" && c.LastName == "" && c.Suffix == "" &&
		c.Email == "" && len(c.Emails) == 0 && c.Phone == "" && len(c.Phones) == 0 &&
		c.Address.IsZero() && c.Employer == "" && c.Occupation == "" &&
		len(c.Custom) == 0 && len(c.Tags) == 0 && len(c.Sources) == 0
}

// LogValue implements slog.LogValuer. It reports the id, tenant and how
// many emails and phones the contact has, never personal data.
func (c Contact) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", c.ID),
		slog.String("tenant", c.Tenant),
		slog.Int("emails", len(c.Emails)),
		slog.Int("phones", len(c.Phones)),
	)
}

// Format implements fmt.Formatter so that printing a contact with any verb
// shows only what LogValue shows.
func (c Contact) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "contact{id=%s tenant=%s emails=%d phones=%d}", c.ID, c.Tenant, len(c.Emails), len(c.Phones))
}

// Stamp records at as the source time of every non-empty field of c that
// has no source time yet. Providers stamp what a delivery says with the
// time the platform says it was true.
func (c *Contact) Stamp(at time.Time) {
	if at.IsZero() {
		return
	}
	set := func(field string, nonEmpty bool) {
		if !nonEmpty {
			return
		}
		if _, ok := c.Seen[field]; ok {
			return
		}
		if c.Seen == nil {
			c.Seen = make(map[string]time.Time)
		}
		c.Seen[field] = at.UTC()
	}
	set(FieldFirstName, c.FirstName != "")
	set(FieldMiddleName, c.MiddleName != "")
	set(FieldLastName, c.LastName != "")
	set(FieldSuffix, c.Suffix != "")
	set(FieldEmail, c.Email != "")
	set(FieldPhone, c.Phone != "")
	set(FieldAddress, !c.Address.IsZero())
	set(FieldEmployer, c.Employer != "")
	set(FieldOccupation, c.Occupation != "")
	for k, v := range c.Custom {
		set(CustomPrefix+k, v != "")
	}
}

// Merge folds what in says about the same person into c.
//
// For each single-valued field, in's value replaces c's when it is not
// empty and either c has none or in's source time (in.Seen) is newer; on
// equal times the greater value wins, so that the result never depends on
// the order of merges. An address is replaced only by a newer one that is
// at least as complete (see Address.Complete). Emails, phones, tags and
// sources are unions. ID, Tenant, CreatedAt and UpdatedAt are kept.
func (c *Contact) Merge(in Contact) {
	c.mergeText(FieldFirstName, &c.FirstName, in.FirstName, in.Seen)
	c.mergeText(FieldMiddleName, &c.MiddleName, in.MiddleName, in.Seen)
	c.mergeText(FieldLastName, &c.LastName, in.LastName, in.Seen)
	c.mergeText(FieldSuffix, &c.Suffix, in.Suffix, in.Seen)
	c.mergeText(FieldEmail, &c.Email, in.Email, in.Seen)
	c.mergeText(FieldPhone, &c.Phone, in.Phone, in.Seen)
	c.mergeText(FieldEmployer, &c.Employer, in.Employer, in.Seen)
	c.mergeText(FieldOccupation, &c.Occupation, in.Occupation, in.Seen)
	c.mergeAddress(in.Address, in.Seen[FieldAddress])
	for k, v := range in.Custom {
		if c.Custom == nil {
			c.Custom = make(map[string]string)
		}
		cur := c.Custom[k]
		c.mergeText(CustomPrefix+k, &cur, v, in.Seen)
		if cur != "" {
			c.Custom[k] = cur
		}
	}
	c.Emails = union(c.Emails, in.Emails, c.Email, in.Email)
	c.Phones = unionPhones(c.Phones, in.Phones)
	c.Tags = union(c.Tags, in.Tags)
	c.Sources = unionSources(c.Sources, in.Sources)
}

// wins reports whether a value seen at at beats the current value cur
// seen at curAt, with the total order (time, value).
func wins(v string, at time.Time, cur string, curAt time.Time) bool {
	if v == "" {
		return false
	}
	if cur == "" {
		return true
	}
	if !at.Equal(curAt) {
		return at.After(curAt)
	}
	return v > cur
}

func (c *Contact) mergeText(field string, dst *string, v string, seen map[string]time.Time) {
	at := seen[field]
	if !wins(v, at, *dst, c.Seen[field]) {
		return
	}
	*dst = v
	c.setSeen(field, at)
}

func (c *Contact) setSeen(field string, at time.Time) {
	if at.IsZero() {
		delete(c.Seen, field)
		return
	}
	if c.Seen == nil {
		c.Seen = make(map[string]time.Time)
	}
	c.Seen[field] = at
}

// mergeAddress replaces c's address by a when a is more complete, or as
// complete and newer (the address text breaking ties).
func (c *Contact) mergeAddress(a Address, at time.Time) {
	if a.IsZero() {
		return
	}
	cur, curAt := c.Address, c.Seen[FieldAddress]
	if !cur.IsZero() {
		if a.Complete() != cur.Complete() {
			if !a.Complete() {
				return
			}
		} else if !at.Equal(curAt) {
			if !at.After(curAt) {
				return
			}
		} else if a.key() <= cur.key() {
			return
		}
	}
	c.Address = a
	c.setSeen(FieldAddress, at)
}

func (a Address) key() string {
	return a.Line1 + "\x00" + a.Line2 + "\x00" + a.City + "\x00" + a.State + "\x00" + a.PostalCode + "\x00" + a.Country
}

// union returns the sorted set of the non-empty strings in the lists and
// the extra values.
func union(a, b []string, extra ...string) []string {
	out := make([]string, 0, len(a)+len(b)+len(extra))
	for _, list := range [][]string{a, b, extra} {
		for _, s := range list {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func unionPhones(a, b []Phone) []Phone {
	// One entry per number; the smallest raw form represents it. Values
	// without a Number are kept, one entry per raw form.
	return sortedUnion(a, b, func(x, y Phone) int {
		if c := strings.Compare(x.Number, y.Number); c != 0 {
			return c
		}
		return strings.Compare(x.Raw, y.Raw)
	}, func(x, y Phone) bool { return x.Number == y.Number && (x.Number != "" || x.Raw == y.Raw) })
}

func unionSources(a, b []Source) []Source {
	return sortedUnion(a, b, func(x, y Source) int {
		if c := strings.Compare(x.Provider, y.Provider); c != 0 {
			return c
		}
		return strings.Compare(x.DonorID, y.DonorID)
	}, func(x, y Source) bool { return x == y })
}

// sortedUnion returns a and b together, sorted by cmp, keeping the first of
// each run of elements that same reports equal; nil when empty.
func sortedUnion[T any](a, b []T, cmp func(x, y T) int, same func(x, y T) bool) []T {
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, cmp)
	out = slices.CompactFunc(out, same)
	if len(out) == 0 {
		return nil
	}
	return out
}
