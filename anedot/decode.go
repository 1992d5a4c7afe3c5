package anedot

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/donorsync/donorsync/flex"
)

// The decoders below read a delivery in one pass with flex.Decoder. With
// the standard templates they give the same result as flex.Unmarshal with
// the struct tags of the payload types, but for keys in another case,
// which they skip (a fuzz test holds them to it); a
// Source's Options.Rename adds the account's names for attributes.

// templates are the attribute names of the three templates, the standard
// ones or an account's.
type templates struct {
	submission, donation, commitment *flex.Names
}

var (
	messageNames = flex.NewNames("event", "payload")
	standard     = templates{
		submission: flex.NewNames(slices.Concat(personNames, pageNames, submissionFields)...),
		donation:   flex.NewNames(slices.Concat(personNames, pageNames, donationFields)...),
		commitment: flex.NewNames(slices.Concat(personNames, pageNames, commitmentFields)...),
	}
)

// renamed returns the templates with an account's renames, or an error
// when a rename names an attribute that no template has.
func renamed(rename map[string]string) (*templates, error) {
	for from, to := range rename {
		if !slices.Contains(personNames, to) && !slices.Contains(pageNames, to) && !slices.Contains(submissionFields, to) &&
			!slices.Contains(donationFields, to) && !slices.Contains(commitmentFields, to) {
			return nil, fmt.Errorf("anedot: rename of %q to %q: no template has the attribute %q", from, to, to)
		}
	}
	t := &templates{}
	for _, tt := range []struct {
		dst      **flex.Names
		standard *flex.Names
		fields   []string
	}{
		{&t.submission, standard.submission, slices.Concat(personNames, pageNames, submissionFields)},
		{&t.donation, standard.donation, slices.Concat(personNames, pageNames, donationFields)},
		{&t.commitment, standard.commitment, slices.Concat(personNames, pageNames, commitmentFields)},
	} {
		renames := map[string]string{}
		for from, to := range rename {
			if slices.Contains(tt.fields, to) {
				renames[from] = to
			}
		}
		names, err := tt.standard.With(renames)
		if err != nil {
			return nil, fmt.Errorf("anedot: %w", err)
		}
		*tt.dst = names
	}
	return t, nil
}

func parse(body []byte, t *templates) (*Payload, error) {
	m := &Payload{}
	d := flex.NewDecoder(body)
	err := d.Object(messageNames, func(d *flex.Decoder, name string) error {
		if name == "event" {
			var ev flex.String
			err := d.String(&ev)
			m.Event = ev.Value
			return err
		}
		raw, err := d.Raw()
		m.Raw = raw
		return err
	})
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, err
	}
	if m.Event == "" {
		return nil, &flex.Error{Field: "event", Value: "absent", Want: "the event name"}
	}
	if m.Raw == nil {
		return nil, &flex.Error{Field: "payload", Value: "absent", Want: "the payload object"}
	}
	pd := flex.NewDecoder(m.Raw)
	switch {
	case m.Event == SubmissionCreated:
		m.Submission = &Submission{}
		err = m.Submission.decode(pd, t.submission)
	case strings.HasPrefix(m.Event, "commitment_"):
		m.Commitment = &Commitment{}
		err = m.Commitment.decode(pd, t.commitment)
	case strings.HasPrefix(m.Event, "donation_") || m.Event == DonationSettled:
		m.Donation = &Donation{}
		err = m.Donation.decode(pd, t.donation)
	default:
		// An event this package does not know: acknowledged and kept, with
		// nothing applied.
		return m, nil
	}
	if err == nil {
		err = pd.End() // read whole already; End lends its scratch to the next decoder
	}
	if err != nil {
		return nil, prefix("payload", err)
	}
	return m, nil
}

// prefix puts the payload's field path under name in a *flex.Error or a
// *flex.LimitError.
func prefix(name string, err error) error {
	under := func(field string) string {
		if field == "" {
			return name
		}
		return name + "." + field
	}
	switch e := err.(type) {
	case *flex.Error:
		cp := *e
		cp.Field = under(cp.Field)
		return &cp
	case *flex.LimitError:
		cp := *e
		cp.Field = under(cp.Field)
		return &cp
	}
	return err
}

var personNames = []string{"first_name", "middle_name", "last_name", "suffix", "title", "email", "phone",
	"address_line_1", "address_line_2", "address_city", "address_region", "address_postal_code", "address_country",
	"employer_name", "occupation", "currently_employed", "communications_consent_email",
	"communications_consent_phone", "donor_profile_id", "ip_address"}

func (p *Person) field(d *flex.Decoder, name string) (bool, error) {
	var s *flex.String
	switch name {
	case "first_name":
		s = &p.FirstName
	case "middle_name":
		s = &p.MiddleName
	case "last_name":
		s = &p.LastName
	case "suffix":
		s = &p.Suffix
	case "title":
		s = &p.Title
	case "email":
		s = &p.Email
	case "phone":
		s = &p.Phone
	case "address_line_1":
		s = &p.AddressLine1
	case "address_line_2":
		s = &p.AddressLine2
	case "address_city":
		s = &p.AddressCity
	case "address_region":
		s = &p.AddressRegion
	case "address_postal_code":
		s = &p.AddressPostalCode
	case "address_country":
		s = &p.AddressCountry
	case "employer_name":
		s = &p.EmployerName
	case "occupation":
		s = &p.Occupation
	case "donor_profile_id":
		return true, d.ID(&p.DonorProfileID)
	case "ip_address":
		s = &p.IPAddress
	case "currently_employed":
		return true, d.Bool(&p.CurrentlyEmployed)
	case "communications_consent_email":
		return true, d.Bool(&p.CommunicationsConsentEmail)
	case "communications_consent_phone":
		return true, d.Bool(&p.CommunicationsConsentPhone)
	default:
		return false, nil
	}
	return true, d.String(s)
}

var pageNames = []string{"account_name", "account_uid", "action_page_id", "action_page_name", "referrer", "referrer_to_form"}

func (p *Page) field(d *flex.Decoder, name string) (bool, error) {
	var s *flex.String
	switch name {
	case "account_name":
		s = &p.AccountName
	case "account_uid":
		return true, d.ID(&p.AccountUID)
	case "action_page_id":
		s = &p.ActionPageID
	case "action_page_name":
		s = &p.ActionPageName
	case "referrer":
		s = &p.Referrer
	case "referrer_to_form":
		s = &p.ReferrerToForm
	default:
		return false, nil
	}
	return true, d.String(s)
}

var submissionFields = []string{"id", "card_type", "card_last_digits", "card_expiration", "created_at", "updated_at",
	"custom_field_responses", "donation_amount", "donations", "payment_method_type", "product_code", "product_id",
	"product_name", "product_value", "source_code", "utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term"}

func (s *Submission) decode(d *flex.Decoder, names *flex.Names) error {
	return d.Object(names, func(d *flex.Decoder, name string) error {
		if ok, err := s.Person.field(d, name); ok {
			return err
		}
		if ok, err := s.Page.field(d, name); ok {
			return err
		}
		var str *flex.String
		switch name {
		case "created_at":
			return d.Time(&s.CreatedAt)
		case "updated_at":
			return d.Time(&s.UpdatedAt)
		case "custom_field_responses":
			return s.CustomFieldResponses.decode(d)
		case "donation_amount":
			return d.Money(&s.DonationAmount)
		case "donations":
			return flex.Slice(d, &s.Donations, (*SubmissionDonation).decode)
		case "id":
			return d.ID(&s.ID)
		case "card_type":
			str = &s.CardType
		case "card_last_digits":
			str = &s.CardLastDigits
		case "card_expiration":
			str = &s.CardExpiration
		case "payment_method_type":
			str = &s.PaymentMethodType
		case "product_code":
			str = &s.ProductCode
		case "product_id":
			str = &s.ProductID
		case "product_name":
			str = &s.ProductName
		case "product_value":
			str = &s.ProductValue
		case "source_code":
			str = &s.SourceCode
		case "utm_campaign":
			str = &s.UTMCampaign
		case "utm_content":
			str = &s.UTMContent
		case "utm_medium":
			str = &s.UTMMedium
		case "utm_source":
			str = &s.UTMSource
		default: // "utm_term"
			str = &s.UTMTerm
		}
		return d.String(str)
	})
}

var submissionDonationNames = flex.NewNames("id", "fees", "fees_paid_by_donor", "fund", "gross_amount", "net_amount", "product")

func (v *SubmissionDonation) decode(d *flex.Decoder) error {
	return d.Object(submissionDonationNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "id":
			return d.ID(&v.ID)
		case "fees":
			return v.Fees.decode(d)
		case "fees_paid_by_donor":
			return d.Bool(&v.FeesPaidByDonor)
		case "fund":
			return v.Fund.decode(d)
		case "gross_amount":
			return d.Money(&v.GrossAmount)
		case "net_amount":
			return d.Money(&v.NetAmount)
		default: // "product"
			return v.Product.decode(d)
		}
	})
}

var (
	feesNames = flex.NewNames("anedot_fees", "vendor_fees")
	feeNames  = flex.NewNames("amount", "name")
)

func (v *Fees) decode(d *flex.Decoder) error {
	return d.Object(feesNames, func(d *flex.Decoder, name string) error {
		if name == "anedot_fees" {
			return v.AnedotFees.decode(d)
		}
		return flex.Slice(d, &v.VendorFees, (*Fee).decode)
	})
}

func (v *Fee) decode(d *flex.Decoder) error {
	return d.Object(feeNames, func(d *flex.Decoder, name string) error {
		if name == "amount" {
			return d.Money(&v.Amount)
		}
		return d.String(&v.Name)
	})
}

var fundNames = flex.NewNames("id", "identifier", "name")

func (v *Fund) decode(d *flex.Decoder) error {
	return d.Object(fundNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "id":
			return d.String(&v.ID)
		case "identifier":
			return d.String(&v.Identifier)
		default:
			return d.String(&v.Name)
		}
	})
}

var productNames = flex.NewNames("internal_identifier", "name")

func (v *Product) decode(d *flex.Decoder) error {
	return d.Object(productNames, func(d *flex.Decoder, name string) error {
		if name == "name" {
			return d.String(&v.Name)
		}
		return d.String(&v.InternalIdentifier)
	})
}

var donationFields = []string{"submission_id", "donation", "origin", "commitment_uid", "event_amount",
	"amount_in_dollars", "net_amount", "frequency", "payment_method_id", "created_at", "updated_at",
	"custom_field_responses", "check_number", "commitment_recurring_until", "date", "name",
	"payment_description", "recurring", "is_recurring_commitment", "source", "status"}

func (v *Donation) decode(d *flex.Decoder, names *flex.Names) error {
	return d.Object(names, func(d *flex.Decoder, name string) error {
		if ok, err := v.Person.field(d, name); ok {
			return err
		}
		if ok, err := v.Page.field(d, name); ok {
			return err
		}
		var str *flex.String
		switch name {
		case "donation":
			return v.Donation.decode(d)
		case "event_amount":
			return d.Money(&v.EventAmount)
		case "amount_in_dollars":
			return d.Money(&v.AmountInDollars)
		case "net_amount":
			return d.Money(&v.NetAmount)
		case "created_at":
			return d.Time(&v.CreatedAt)
		case "updated_at":
			return d.Time(&v.UpdatedAt)
		case "date":
			return d.Time(&v.Date)
		case "custom_field_responses":
			return v.CustomFieldResponses.decode(d)
		case "recurring":
			return d.Bool(&v.Recurring)
		case "is_recurring_commitment":
			return d.Bool(&v.IsRecurringCommitment)
		case "submission_id":
			return d.ID(&v.SubmissionID)
		case "origin":
			str = &v.Origin
		case "commitment_uid":
			return d.ID(&v.CommitmentUID)
		case "frequency":
			str = &v.Frequency
		case "payment_method_id":
			str = &v.PaymentMethodID
		case "check_number":
			str = &v.CheckNumber
		case "commitment_recurring_until":
			str = &v.CommitmentRecurringUntil
		case "name":
			str = &v.Name
		case "payment_description":
			str = &v.PaymentDescription
		case "source":
			str = &v.Source
		default: // "status"
			str = &v.Status
		}
		return d.String(str)
	})
}

var donationDetailNames = flex.NewNames("id", "donation_project", "products", "fees")

func (v *DonationDetail) decode(d *flex.Decoder) error {
	return d.Object(donationDetailNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "id":
			return d.ID(&v.ID)
		case "donation_project":
			return d.String(&v.DonationProject)
		case "products":
			return flex.Slice(d, &v.Products, (*Product).decode)
		default: // "fees"
			return v.Fees.decode(d)
		}
	})
}

var commitmentFields = []string{"id", "total_amount_in_dollars", "fund_allocations", "next_capture_on", "cancelled_on",
	"expired_on", "failed_on", "paused_on", "token", "frequency", "payment_method_id", "submission_id", "created_at",
	"updated_at", "payment_status_message", "changed_attributes", "cancellation_reason", "whodunnit"}

func (v *Commitment) decode(d *flex.Decoder, names *flex.Names) error {
	return d.Object(names, func(d *flex.Decoder, name string) error {
		if ok, err := v.Person.field(d, name); ok {
			return err
		}
		if ok, err := v.Page.field(d, name); ok {
			return err
		}
		var str *flex.String
		var t *flex.Time
		switch name {
		case "total_amount_in_dollars":
			return d.Money(&v.TotalAmountInDollars)
		case "fund_allocations":
			return flex.Slice(d, &v.FundAllocations, (*FundAllocation).decode)
		case "changed_attributes":
			return v.ChangedAttributes.decode(d)
		case "next_capture_on":
			t = &v.NextCaptureOn
		case "cancelled_on":
			t = &v.CancelledOn
		case "expired_on":
			t = &v.ExpiredOn
		case "failed_on":
			t = &v.FailedOn
		case "paused_on":
			t = &v.PausedOn
		case "created_at":
			t = &v.CreatedAt
		case "updated_at":
			t = &v.UpdatedAt
		case "id":
			return d.ID(&v.ID)
		case "token":
			str = &v.Token
		case "frequency":
			str = &v.Frequency
		case "payment_method_id":
			str = &v.PaymentMethodID
		case "submission_id":
			return d.ID(&v.SubmissionID)
		case "payment_status_message":
			str = &v.PaymentStatusMessage
		case "cancellation_reason":
			str = &v.CancellationReason
		default: // "whodunnit"
			str = &v.Whodunnit
		}
		if t != nil {
			return d.Time(t)
		}
		return d.String(str)
	})
}

// decode keeps changed_attributes as raw JSON by attribute.
func (c *Changes) decode(d *flex.Decoder) error {
	*c = nil
	return d.Map(func(d *flex.Decoder, key string) error {
		raw, err := d.Raw()
		if err != nil {
			return err
		}
		if *c == nil {
			*c = make(Changes)
		}
		(*c)[key] = raw
		return nil
	})
}

var fundAllocationNames = flex.NewNames("amount_in_dollars", "fund")

func (v *FundAllocation) decode(d *flex.Decoder) error {
	return d.Object(fundAllocationNames, func(d *flex.Decoder, name string) error {
		if name == "fund" {
			return v.Fund.decode(d)
		}
		return d.Money(&v.AmountInDollars)
	})
}

func (c *CustomFields) decode(d *flex.Decoder) error {
	if d.Peek() == '[' { // an empty list where there are no fields
		*c = nil
		return d.Array(func(d *flex.Decoder, _ int) error { return d.Reject("an object of custom field answers") })
	}
	return d.TextMap((*map[string]string)(c))
}

// UnmarshalJSON implements json.Unmarshaler: an object of answers, null,
// or an empty list where the page has no fields.
func (c *CustomFields) UnmarshalJSON(data []byte) error {
	d := flex.NewDecoder(data)
	if err := c.decode(d); err != nil {
		return err
	}
	return d.End()
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Changes) UnmarshalJSON(data []byte) error {
	d := flex.NewDecoder(bytes.Clone(data))
	if err := c.decode(d); err != nil {
		return err
	}
	return d.End()
}
