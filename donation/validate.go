package donation

import (
	"fmt"
	"strconv"
	"time"

	"github.com/donorsync/donorsync/contact"
)

// Bounds on the values of an Event that stores index: a value over its
// bound is refused (see Event.Validate) rather than stored, so that no
// delivery can break an index of the database (PostgreSQL refuses index
// entries over about 2,700 bytes) or fail the same way on every retry.
const (
	// MaxIDBytes bounds external ids and keys: those of donations,
	// commitments, adjustments (and the donation an adjustment names) and
	// activities, and the donor ids of a contact's sources.
	MaxIDBytes = 256
	// MaxEmailBytes bounds an email address: the longest that RFC 5321
	// lets a path carry (256 octets less its angle brackets).
	MaxEmailBytes = 254
	// MaxPhoneBytes bounds a normalised phone number: an E.164 number
	// has at most 15 digits, and one kept as received, extension
	// included, fits many times over.
	MaxPhoneBytes = 64
)

// Times an Event may carry lie within years 1 to 9999, in UTC and in
// their own zone: what every store can encode (RFC 3339 has four-digit
// years).
const (
	minYear = 1
	maxYear = 9999
)

// A FieldError reports a field of an Event that cannot be stored as it is.
// Its message names the field and what is wrong, never the field's value,
// which may be personal data.
type FieldError struct {
	Field   string // the field's path in the Event, such as "Donation.Amount" or "Adjustments[2].Key"
	Problem string // what is wrong with it
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Validate reports the first field of e that cannot be stored as it is,
// as a *FieldError, or nil:
//
//   - a donation, commitment, adjustment or activity without its id or
//     key, or an adjustment that names no donation;
//   - an id, key, email or phone over its bound (MaxIDBytes,
//     MaxEmailBytes, MaxPhoneBytes);
//   - a time outside years 1 to 9999, or with a zone offset of a day or
//     more;
//   - a donation whose amount is zero or negative, or a commitment whose
//     amount is negative (zero: not given); adjustments keep their signs;
//   - a currency that is not an active ISO 4217 code in upper case
//     (ValidCurrency): providers normalise what their platform sends, and
//     give the platform's currency when a delivery names none. A
//     commitment may omit its currency.
func (e *Event) Validate() error {
	if p := timeProblem(e.At); p != "" {
		return &FieldError{"At", p}
	}
	if e.Contact != nil {
		if err := validateContact(e.Contact); err != nil {
			return err
		}
	}
	if e.Donation != nil {
		if err := e.Donation.validate(); err != nil {
			return err
		}
	}
	for i := range e.Adjustments {
		if err := e.Adjustments[i].validate(e.Donation != nil); err != nil {
			err.Field = "Adjustments[" + strconv.Itoa(i) + "]." + err.Field
			return err
		}
	}
	if e.Commitment != nil {
		if err := e.Commitment.validate(); err != nil {
			return err
		}
	}
	for i := range e.Activities {
		if err := validateActivity(&e.Activities[i]); err != nil {
			err.Field = "Activities[" + strconv.Itoa(i) + "]." + err.Field
			return err
		}
	}
	return nil
}

// validate checks a donation of an Event.
func (d *Donation) validate() *FieldError {
	if err := checkID("Donation.ExternalID", d.ExternalID, true); err != nil {
		return err
	}
	switch d.Amount.Sign() {
	case 0:
		return &FieldError{"Donation.Amount", "zero: a donation's amount must be positive"}
	case -1:
		return &FieldError{"Donation.Amount", "negative: a donation's amount must be positive (a refund is an Adjustment)"}
	}
	if err := checkCurrency("Donation.Currency", d.Currency); err != nil {
		return err
	}
	if err := checkSeen("Donation.Seen", d.Seen); err != nil {
		return err
	}
	return checkTimes("Donation.", namedTime{"PaidAt", d.PaidAt}, namedTime{"CreatedAt", d.CreatedAt},
		namedTime{"SettledAt", d.SettledAt}, namedTime{"SourceTime", d.SourceTime}, namedTime{"UpdatedAt", d.UpdatedAt})
}

// validate checks an adjustment of an Event; an adjustment names its
// donation, unless the event carries it (withDonation).
func (a *Adjustment) validate(withDonation bool) *FieldError {
	if err := checkID("Key", a.Key, true); err != nil {
		return err
	}
	if err := checkID("DonationID", a.DonationID, !withDonation); err != nil {
		if a.DonationID == "" {
			err.Problem = "empty: the adjustment names no donation"
		}
		return err
	}
	if p := timeProblem(a.At); p != "" {
		return &FieldError{"At", p}
	}
	return nil
}

// validate checks a commitment of an Event.
func (c *Commitment) validate() *FieldError {
	if err := checkID("Commitment.ExternalID", c.ExternalID, true); err != nil {
		return err
	}
	if c.Amount.IsNegative() {
		return &FieldError{"Commitment.Amount", "negative: a commitment's amount must be positive"}
	}
	if c.Currency != "" {
		if err := checkCurrency("Commitment.Currency", c.Currency); err != nil {
			return err
		}
	}
	if err := checkSeen("Commitment.Seen", c.Seen); err != nil {
		return err
	}
	return checkTimes("Commitment.", namedTime{"StartedAt", c.StartedAt}, namedTime{"CancelledAt", c.CancelledAt},
		namedTime{"FailedAt", c.FailedAt}, namedTime{"LastChargedAt", c.LastChargedAt},
		namedTime{"SourceTime", c.SourceTime}, namedTime{"UpdatedAt", c.UpdatedAt})
}

// validateActivity checks an activity of an Event.
func validateActivity(a *contact.Activity) *FieldError {
	if err := checkID("Key", a.Key, true); err != nil {
		return err
	}
	if p := timeProblem(a.At); p != "" {
		return &FieldError{"At", p}
	}
	return nil
}

// validateContact checks the contact of an Event: the values stores key
// contacts by, and its times.
func validateContact(c *contact.Contact) *FieldError {
	if err := checkLen("Contact.Email", c.Email, MaxEmailBytes); err != nil {
		return err
	}
	for i, e := range c.Emails {
		if len(e) > MaxEmailBytes {
			return checkLen("Contact.Emails["+strconv.Itoa(i)+"]", e, MaxEmailBytes)
		}
	}
	if err := checkLen("Contact.Phone", c.Phone, MaxPhoneBytes); err != nil {
		return err
	}
	for i, p := range c.Phones {
		if len(p.Number) > MaxPhoneBytes {
			return checkLen("Contact.Phones["+strconv.Itoa(i)+"].Number", p.Number, MaxPhoneBytes)
		}
	}
	for i, s := range c.Sources {
		if len(s.DonorID) > MaxIDBytes {
			return checkLen("Contact.Sources["+strconv.Itoa(i)+"].DonorID", s.DonorID, MaxIDBytes)
		}
	}
	if err := checkSeen("Contact.Seen", c.Seen); err != nil {
		return err
	}
	return checkTimes("Contact.", namedTime{"CreatedAt", c.CreatedAt}, namedTime{"UpdatedAt", c.UpdatedAt})
}

// checkSeen checks the times of a record's Seen, named field.
func checkSeen(field string, seen map[string]time.Time) *FieldError {
	for name, at := range seen {
		if p := timeProblem(at); p != "" {
			return &FieldError{field + "[" + strconv.Quote(name) + "]", p}
		}
	}
	return nil
}

// checkID checks an id or key: present when required, within MaxIDBytes.
func checkID(field, v string, required bool) *FieldError {
	if v == "" && required {
		return &FieldError{field, "empty: the engine keys the record by it"}
	}
	return checkLen(field, v, MaxIDBytes)
}

// checkLen checks that v is at most max bytes long.
func checkLen(field, v string, max int) *FieldError {
	if len(v) <= max {
		return nil
	}
	return &FieldError{field, fmt.Sprintf("%d bytes long, over the bound of %d", len(v), max)}
}

// checkCurrency checks a currency code.
func checkCurrency(field, code string) *FieldError {
	switch {
	case ValidCurrency(code):
		return nil
	case code == "":
		return &FieldError{field, "empty: want an ISO 4217 code such as USD"}
	case len(code) > 3:
		return &FieldError{field, fmt.Sprintf("%d bytes long: want an ISO 4217 code such as USD", len(code))}
	}
	return &FieldError{field, fmt.Sprintf("%q is not an active ISO 4217 code in upper case, such as USD", code)}
}

// A namedTime is a time field of a record, by name.
type namedTime struct {
	name string
	t    time.Time
}

// checkTimes checks the time fields of a record, whose path is prefix.
func checkTimes(prefix string, ts ...namedTime) *FieldError {
	for _, nt := range ts {
		if p := timeProblem(nt.t); p != "" {
			return &FieldError{prefix + nt.name, p}
		}
	}
	return nil
}

// The range of Unix times within years minYear to maxYear, the second
// bound excluded.
var (
	minUnix = time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	endUnix = time.Date(maxYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

const day = 24 * 60 * 60

// timeProblem says what is wrong with a time an Event carries, or "".
func timeProblem(t time.Time) string {
	if t.IsZero() {
		return "" // year 1: not given
	}
	u, off := t.Unix(), 0
	if t.Location() != time.UTC {
		_, off = t.Zone()
	}
	local := u + int64(off)
	if u >= minUnix && u < endUnix && local >= minUnix && local < endUnix && off > -day && off < day {
		return ""
	}
	switch {
	case off <= -day || off >= day:
		return "zone offset of a day or more"
	case u < minUnix || u >= endUnix:
		return fmt.Sprintf("year %d in UTC, outside years %d to %d", t.UTC().Year(), minYear, maxYear)
	}
	return fmt.Sprintf("year %d in its zone, outside years %d to %d", t.Year(), minYear, maxYear)
}
