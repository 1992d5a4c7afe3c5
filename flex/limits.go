package flex

import (
	"fmt"
	"log/slog"
)

// Limits are the budgets of a Decoder. Each is enforced as the tokens are
// read, so that any body decodes, or is refused with a *LimitError, in
// time and memory linear in its size. A zero field means its default.
//
// The defaults sit far above what the platforms send: an ActBlue
// contribution has one line item per recipient (a handful; a split form
// rarely more than a few dozen), an Action Network POST batches a few
// events (one per elected official written to), an Anedot event is one
// object. A normal delivery is a few kilobytes: a few hundred values,
// nested at most 6 levels, with amounts and ids under 20 digits.
type Limits struct {
	// Depth bounds the nesting of arrays and objects. Default 64.
	Depth int

	// Elements bounds the elements of one array (the line items of a
	// contribution, the events of a batch, the identifiers of a resource)
	// and the keys of one object (a few dozen attributes, or custom
	// fields). Default 1000.
	Elements int

	// Digits bounds the digits of one number, and of an amount sent as a
	// string. Exact decimal parsing costs time quadratic in the digits, and
	// no amount or id has more than 20. Default 40 (ParseMoney refuses an
	// amount of more than 40 digits whatever the budget).
	Digits int

	// String bounds the bytes of one string as sent (escapes included):
	// a name, an address, a comment or a custom field answer. Default
	// 64 KiB.
	String int

	// Values bounds the values of the whole document (every element and
	// object member, nested ones included), so that a body cannot build
	// a payload of many small parts. Default 100,000.
	Values int
}

// defaultLimits are the budgets of a Decoder made with NewDecoder, and of
// Unmarshal.
var defaultLimits = Limits{Depth: 64, Elements: 1000, Digits: 40, String: 64 << 10, Values: 100_000}

// DefaultLimits returns the budgets a Decoder starts with.
func DefaultLimits() Limits { return defaultLimits }

// A LimitError reports a body over one of the budgets of Limits, such as
// "field lineitems: more than 1000 elements".
type LimitError struct {
	Field string // path of the value, such as "lineitems"; "" at the top level
	Limit int    // the budget
	What  string // what it counts: "elements", "keys", "digits", "bytes in a string", "values" or "levels of nesting"
}

func (e *LimitError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("top level: more than %d %s", e.Limit, e.What)
	}
	return fmt.Sprintf("field %s: more than %d %s", e.Field, e.Limit, e.What)
}

// LogValue implements slog.LogValuer.
func (e *LimitError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("field", e.Field), slog.Int("limit", e.Limit), slog.String("what", e.What))
}

func (d *Decoder) overLimit(limit int, what string) error {
	return &LimitError{Field: d.field(), Limit: limit, What: what}
}

// CheckCopies reports, as a *LimitError for field, a payload that would
// copy each values (what: "the custom fields") into each of n events past
// the default budget of values: a small body must not build a large
// payload when it is mapped to events, any more than when it is read.
func CheckCopies(field string, n, each int, what string) error {
	if budget := defaultLimits.Values; n*each > budget {
		return &LimitError{Field: field, Limit: budget, What: "values once " + what + " are copied to each event"}
	}
	return nil
}
