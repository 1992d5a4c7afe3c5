package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

// The stored form of the records: the arguments that write a record's
// row, in the order of its table's columns (tables.go), and the scan
// that reads it back. What has no column of its own is the JSON of the
// record's data type below, which names each field as the record's own
// JSON does: a record read back equals the record written.

// A rowScanner is a *sql.Row or a *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// contactData is what a contact keeps in its data column.
type contactData struct {
	Emails  []string             `json:"emails,omitempty"`
	Phones  []contact.Phone      `json:"phones,omitempty"`
	Custom  map[string]string    `json:"custom,omitempty"`
	Tags    []string             `json:"tags,omitempty"`
	Sources []contact.Source     `json:"sources,omitempty"`
	Seen    map[string]time.Time `json:"seen,omitempty"`
}

// contactRecord returns the data column of c, or an error matching
// donorsync.ErrInvalid when c cannot be stored.
func contactRecord(c *contact.Contact) (string, error) {
	if err := columnTimes(c.CreatedAt, c.UpdatedAt); err != nil {
		return "", fmt.Errorf("contact %q: %w", c.ID, err)
	}
	return marshal(contactData{c.Emails, c.Phones, c.Custom, c.Tags, c.Sources, c.Seen})
}

// contactArgs appends the arguments that write c, whose data column is
// data.
func (d *Dialect) contactArgs(c *contact.Contact, data string, dst []any) []any {
	a := &c.Address
	return append(dst, c.Tenant, c.ID, c.FirstName, c.MiddleName, c.LastName, c.Suffix, c.Email, c.Phone,
		a.Line1, a.Line2, a.City, a.State, a.PostalCode, a.Country, c.Employer, c.Occupation,
		d.timeArg(c.CreatedAt), d.timeArg(c.UpdatedAt), data)
}

// scanContact scans a row of the contacts table into c.
func scanContact(rs rowScanner, c *contact.Contact) error {
	var data []byte
	a := &c.Address
	if err := rs.Scan(&c.Tenant, &c.ID, &c.FirstName, &c.MiddleName, &c.LastName, &c.Suffix, &c.Email, &c.Phone,
		&a.Line1, &a.Line2, &a.City, &a.State, &a.PostalCode, &a.Country, &c.Employer, &c.Occupation,
		(*timeCol)(&c.CreatedAt), (*timeCol)(&c.UpdatedAt), &data); err != nil {
		return err
	}
	var x contactData
	if err := unmarshalData(data, &x); err != nil {
		return fmt.Errorf("contact %q: %w", c.ID, err)
	}
	c.Emails, c.Phones, c.Custom, c.Tags, c.Sources, c.Seen = x.Emails, x.Phones, x.Custom, x.Tags, x.Sources, x.Seen
	return nil
}

// activityRecord reports an error matching donorsync.ErrInvalid when a
// cannot be stored.
func activityRecord(a *contact.Activity) error {
	if err := columnTimes(a.At); err != nil {
		return fmt.Errorf("activity %q: %w", a.Provider+"/"+a.Key, err)
	}
	return nil
}

// activityArgs appends the arguments that write a.
func (d *Dialect) activityArgs(a *contact.Activity, dst []any) []any {
	return append(dst, a.Tenant, a.Provider, a.Key, a.ContactID, a.Type, a.Action, d.timeArg(a.At), a.DeliveryID)
}

// scanActivity scans a row of the activities table into a.
func scanActivity(rs rowScanner, a *contact.Activity) error {
	return rs.Scan(&a.Tenant, &a.Provider, &a.Key, &a.ContactID, &a.Type, &a.Action, (*timeCol)(&a.At), &a.DeliveryID)
}

// donationData is what a donation keeps in its data column.
type donationData struct {
	PlatformStatus donation.Status      `json:"platform_status,omitempty"`
	RecipientName  string               `json:"recipient_name,omitempty"`
	FECID          string               `json:"fec_id,omitempty"`
	Origin         string               `json:"origin,omitempty"`
	Refcodes       map[string]string    `json:"refcodes,omitempty"`
	Custom         map[string]string    `json:"custom,omitempty"`
	Recurrence     donation.Recurrence  `json:"recurrence,omitzero"`
	Payment        donation.Payment     `json:"payment,omitzero"`
	DeliveryID     string               `json:"delivery_id,omitempty"`
	SourceTime     time.Time            `json:"source_time,omitzero"`
	Seen           map[string]time.Time `json:"seen,omitempty"`
}

// donationRecord returns the data column of v, or an error matching
// donorsync.ErrInvalid when v cannot be stored.
func donationRecord(v *donation.Donation) (string, error) {
	if err := columnTimes(v.PaidAt, v.CreatedAt, v.SettledAt, v.UpdatedAt); err != nil {
		return "", fmt.Errorf("donation %q: %w", v.Provider+"/"+v.ExternalID, err)
	}
	return marshal(donationData{v.PlatformStatus, v.RecipientName, v.FECID, v.Origin, v.Refcodes, v.Custom,
		v.Recurrence, v.Payment, v.DeliveryID, v.SourceTime, v.Seen})
}

// donationArgs appends the arguments that write v, whose data column is
// data.
func (d *Dialect) donationArgs(v *donation.Donation, data string, dst []any) []any {
	return append(dst, v.Tenant, v.Provider, v.ExternalID, v.ID, v.ContactID, v.OrderNumber,
		decimalArg(v.Amount), v.Currency, nullDecimalArg(v.Net), nullDecimalArg(v.Fees), string(v.Status), decimalArg(v.Refunded),
		d.timeArg(v.PaidAt), d.timeArg(v.CreatedAt), d.timeArg(v.SettledAt),
		v.RecipientID, v.Form, v.Fund, v.CommitmentID, d.timeArg(v.UpdatedAt), data)
}

// scanDonation scans a row of the donations table into v.
func scanDonation(rs rowScanner, v *donation.Donation) error {
	var data []byte
	if err := rs.Scan(&v.Tenant, &v.Provider, &v.ExternalID, &v.ID, &v.ContactID, &v.OrderNumber,
		(*decimalCol)(&v.Amount), &v.Currency, (*nullDecimalCol)(&v.Net), (*nullDecimalCol)(&v.Fees), &v.Status, (*decimalCol)(&v.Refunded),
		(*timeCol)(&v.PaidAt), (*timeCol)(&v.CreatedAt), (*timeCol)(&v.SettledAt),
		&v.RecipientID, &v.Form, &v.Fund, &v.CommitmentID, (*timeCol)(&v.UpdatedAt), &data); err != nil {
		return err
	}
	var x donationData
	if err := unmarshalData(data, &x); err != nil {
		return fmt.Errorf("donation %q: %w", v.Provider+"/"+v.ExternalID, err)
	}
	v.PlatformStatus, v.RecipientName, v.FECID, v.Origin, v.Refcodes, v.Custom = x.PlatformStatus, x.RecipientName, x.FECID, x.Origin, x.Refcodes, x.Custom
	v.Recurrence, v.Payment, v.DeliveryID, v.SourceTime, v.Seen = x.Recurrence, x.Payment, x.DeliveryID, x.SourceTime, x.Seen
	return nil
}

// adjustmentRecord reports an error matching donorsync.ErrInvalid when
// a cannot be stored.
func adjustmentRecord(a *donation.Adjustment) error {
	if err := columnTimes(a.At); err != nil {
		return fmt.Errorf("adjustment %q: %w", a.Provider+"/"+a.Key, err)
	}
	return nil
}

// adjustmentArgs appends the arguments that write a.
func (d *Dialect) adjustmentArgs(a *donation.Adjustment, dst []any) []any {
	return append(dst, a.Tenant, a.Provider, a.Key, a.DonationID, string(a.Kind), decimalArg(a.Amount), d.timeArg(a.At), a.DeliveryID)
}

// scanAdjustment scans a row of the adjustments table into a.
func scanAdjustment(rs rowScanner, a *donation.Adjustment) error {
	return rs.Scan(&a.Tenant, &a.Provider, &a.Key, &a.DonationID, &a.Kind, (*decimalCol)(&a.Amount), (*timeCol)(&a.At), &a.DeliveryID)
}

// commitmentData is what a commitment keeps in its data column.
type commitmentData struct {
	CancelReason string               `json:"cancel_reason,omitempty"`
	CancelledBy  string               `json:"cancelled_by,omitempty"`
	FailReason   string               `json:"fail_reason,omitempty"`
	SourceTime   time.Time            `json:"source_time,omitzero"`
	Seen         map[string]time.Time `json:"seen,omitempty"`
}

// commitmentRecord returns the data column of c, or an error matching
// donorsync.ErrInvalid when c cannot be stored.
func commitmentRecord(c *donation.Commitment) (string, error) {
	if err := columnTimes(c.StartedAt, c.CancelledAt, c.FailedAt, c.LastChargedAt, c.UpdatedAt); err != nil {
		return "", fmt.Errorf("commitment %q: %w", c.Provider+"/"+c.ExternalID, err)
	}
	return marshal(commitmentData{c.CancelReason, c.CancelledBy, c.FailReason, c.SourceTime, c.Seen})
}

// commitmentArgs appends the arguments that write c, whose data column
// is data.
func (d *Dialect) commitmentArgs(c *donation.Commitment, data string, dst []any) []any {
	return append(dst, c.Tenant, c.Provider, c.ExternalID, c.ID, c.ContactID, c.Period, decimalArg(c.Amount), c.Currency,
		string(c.Status), d.timeArg(c.StartedAt), d.timeArg(c.CancelledAt), d.timeArg(c.FailedAt), d.timeArg(c.LastChargedAt),
		c.Completed, c.Pledged, d.timeArg(c.UpdatedAt), data)
}

// scanCommitment scans a row of the commitments table into c.
func scanCommitment(rs rowScanner, c *donation.Commitment) error {
	var data []byte
	if err := rs.Scan(&c.Tenant, &c.Provider, &c.ExternalID, &c.ID, &c.ContactID, &c.Period, (*decimalCol)(&c.Amount), &c.Currency,
		&c.Status, (*timeCol)(&c.StartedAt), (*timeCol)(&c.CancelledAt), (*timeCol)(&c.FailedAt), (*timeCol)(&c.LastChargedAt),
		&c.Completed, &c.Pledged, (*timeCol)(&c.UpdatedAt), &data); err != nil {
		return err
	}
	var x commitmentData
	if err := unmarshalData(data, &x); err != nil {
		return fmt.Errorf("commitment %q: %w", c.Provider+"/"+c.ExternalID, err)
	}
	c.CancelReason, c.CancelledBy, c.FailReason, c.SourceTime, c.Seen = x.CancelReason, x.CancelledBy, x.FailReason, x.SourceTime, x.Seen
	return nil
}

// unmarshalData decodes a data column into v.
func unmarshalData(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("stored data: %w", err)
	}
	return nil
}
