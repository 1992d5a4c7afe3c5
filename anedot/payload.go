package anedot

import "github.com/donorsync/donorsync/flex"

// Person holds the donor attributes every template carries.
type Person struct {
	FirstName                  flex.String `json:"first_name"`
	MiddleName                 flex.String `json:"middle_name"`
	LastName                   flex.String `json:"last_name"`
	Suffix                     flex.String `json:"suffix"`
	Title                      flex.String `json:"title"`
	Email                      flex.String `json:"email"`
	Phone                      flex.String `json:"phone"`
	AddressLine1               flex.String `json:"address_line_1"`
	AddressLine2               flex.String `json:"address_line_2"`
	AddressCity                flex.String `json:"address_city"`
	AddressRegion              flex.String `json:"address_region"`
	AddressPostalCode          flex.String `json:"address_postal_code"`
	AddressCountry             flex.String `json:"address_country"`
	EmployerName               flex.String `json:"employer_name"`
	Occupation                 flex.String `json:"occupation"`
	CurrentlyEmployed          flex.Bool   `json:"currently_employed"`
	CommunicationsConsentEmail flex.Bool   `json:"communications_consent_email"`
	CommunicationsConsentPhone flex.Bool   `json:"communications_consent_phone"`
	DonorProfileID             flex.String `json:"donor_profile_id"`
	IPAddress                  flex.String `json:"ip_address"`
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
		s = &p.DonorProfileID
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

// Page holds the attributes of the action page a payload came from.
type Page struct {
	AccountName    flex.String `json:"account_name"`
	AccountUID     flex.String `json:"account_uid"`
	ActionPageID   flex.String `json:"action_page_id"`
	ActionPageName flex.String `json:"action_page_name"`
	Referrer       flex.String `json:"referrer"`
	ReferrerToForm flex.String `json:"referrer_to_form"`
}

var pageNames = []string{"account_name", "account_uid", "action_page_id", "action_page_name", "referrer", "referrer_to_form"}

func (p *Page) field(d *flex.Decoder, name string) (bool, error) {
	var s *flex.String
	switch name {
	case "account_name":
		s = &p.AccountName
	case "account_uid":
		s = &p.AccountUID
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

// Submission is the Submission template: a lead, with the donations made
// on the submitted page.
type Submission struct {
	Person
	Page
	ID                   flex.String          `json:"id"`
	CardType             flex.String          `json:"card_type"`
	CardLastDigits       flex.String          `json:"card_last_digits"`
	CardExpiration       flex.String          `json:"card_expiration"`
	CreatedAt            flex.Time            `json:"created_at"`
	UpdatedAt            flex.Time            `json:"updated_at"`
	CustomFieldResponses CustomFields         `json:"custom_field_responses"`
	DonationAmount       flex.Money           `json:"donation_amount"`
	Donations            []SubmissionDonation `json:"donations"`
	PaymentMethodType    flex.String          `json:"payment_method_type"`
	ProductCode          flex.String          `json:"product_code"`
	ProductID            flex.String          `json:"product_id"`
	ProductName          flex.String          `json:"product_name"`
	ProductValue         flex.String          `json:"product_value"`
	SourceCode           flex.String          `json:"source_code"`
	UTMCampaign          flex.String          `json:"utm_campaign"`
	UTMContent           flex.String          `json:"utm_content"`
	UTMMedium            flex.String          `json:"utm_medium"`
	UTMSource            flex.String          `json:"utm_source"`
	UTMTerm              flex.String          `json:"utm_term"`
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
			str = &s.ID
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

// SubmissionDonation is one gift within a submission, to one fund.
type SubmissionDonation struct {
	ID              flex.String `json:"id"`
	Fees            Fees        `json:"fees"`
	FeesPaidByDonor flex.Bool   `json:"fees_paid_by_donor"`
	Fund            Fund        `json:"fund"`
	GrossAmount     flex.Money  `json:"gross_amount"`
	NetAmount       flex.Money  `json:"net_amount"`
	Product         Product     `json:"product"`
}

var submissionDonationNames = flex.NewNames("id", "fees", "fees_paid_by_donor", "fund", "gross_amount", "net_amount", "product")

func (v *SubmissionDonation) decode(d *flex.Decoder) error {
	return d.Object(submissionDonationNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "id":
			return d.String(&v.ID)
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

// Fees are what Anedot and payment vendors kept from a gift.
type Fees struct {
	AnedotFees Fee   `json:"anedot_fees"`
	VendorFees []Fee `json:"vendor_fees"`
}

// Fee is one fee amount.
type Fee struct {
	Amount flex.Money  `json:"amount"`
	Name   flex.String `json:"name"`
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

// Fund is the designation a gift goes to.
type Fund struct {
	ID         flex.String `json:"id"`
	Identifier flex.String `json:"identifier"`
	Name       flex.String `json:"name"`
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

// Product is an item sold with a gift.
type Product struct {
	InternalIdentifier flex.String `json:"internal_identifier"`
	Name               flex.String `json:"name"`
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

// Donation is the Donation template: one gift or payment, sent for
// donation_* events and the settlement event.
type Donation struct {
	Person
	Page
	SubmissionID             flex.String    `json:"submission_id"`
	Donation                 DonationDetail `json:"donation"`
	Origin                   flex.String    `json:"origin"`
	CommitmentUID            flex.String    `json:"commitment_uid"`
	EventAmount              flex.Money     `json:"event_amount"`
	AmountInDollars          flex.Money     `json:"amount_in_dollars"`
	NetAmount                flex.Money     `json:"net_amount"`
	Frequency                flex.String    `json:"frequency"`
	PaymentMethodID          flex.String    `json:"payment_method_id"`
	CreatedAt                flex.Time      `json:"created_at"`
	UpdatedAt                flex.Time      `json:"updated_at"`
	CustomFieldResponses     CustomFields   `json:"custom_field_responses"`
	CheckNumber              flex.String    `json:"check_number"`
	CommitmentRecurringUntil flex.String    `json:"commitment_recurring_until"`
	Date                     flex.Time      `json:"date"`
	Name                     flex.String    `json:"name"`
	PaymentDescription       flex.String    `json:"payment_description"`
	Recurring                flex.Bool      `json:"recurring"`
	IsRecurringCommitment    flex.Bool      `json:"is_recurring_commitment"`
	Source                   flex.String    `json:"source"`
	Status                   flex.String    `json:"status"`
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
			str = &v.SubmissionID
		case "origin":
			str = &v.Origin
		case "commitment_uid":
			str = &v.CommitmentUID
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

// DonationDetail is the donation object inside the Donation template.
type DonationDetail struct {
	ID              flex.String `json:"id"`
	DonationProject flex.String `json:"donation_project"`
	Products        []Product   `json:"products"`
	Fees            Fees        `json:"fees"`
}

var donationDetailNames = flex.NewNames("id", "donation_project", "products", "fees")

func (v *DonationDetail) decode(d *flex.Decoder) error {
	return d.Object(donationDetailNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "id":
			return d.String(&v.ID)
		case "donation_project":
			return d.String(&v.DonationProject)
		case "products":
			return flex.Slice(d, &v.Products, (*Product).decode)
		default: // "fees"
			return v.Fees.decode(d)
		}
	})
}

// Commitment is the Commitment template: a recurring gift, sent for
// commitment_* events.
type Commitment struct {
	Person
	Page
	ID                   flex.String       `json:"id"`
	TotalAmountInDollars flex.Money        `json:"total_amount_in_dollars"`
	FundAllocations      []FundAllocation  `json:"fund_allocations"`
	NextCaptureOn        flex.Time         `json:"next_capture_on"`
	CancelledOn          flex.Time         `json:"cancelled_on"`
	ExpiredOn            flex.Time         `json:"expired_on"`
	FailedOn             flex.Time         `json:"failed_on"`
	PausedOn             flex.Time         `json:"paused_on"`
	Token                flex.String       `json:"token"`
	Frequency            flex.String       `json:"frequency"`
	PaymentMethodID      flex.String       `json:"payment_method_id"`
	SubmissionID         flex.String       `json:"submission_id"`
	CreatedAt            flex.Time         `json:"created_at"`
	UpdatedAt            flex.Time         `json:"updated_at"`
	PaymentStatusMessage flex.String       `json:"payment_status_message"`
	ChangedAttributes    map[string][]byte `json:"-"`
	CancellationReason   flex.String       `json:"cancellation_reason"`
	Whodunnit            flex.String       `json:"whodunnit"`
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
			return v.decodeChanges(d)
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
			str = &v.ID
		case "token":
			str = &v.Token
		case "frequency":
			str = &v.Frequency
		case "payment_method_id":
			str = &v.PaymentMethodID
		case "submission_id":
			str = &v.SubmissionID
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

// decodeChanges keeps changed_attributes as raw JSON by attribute: each is
// [old, new] in the documents, but its values have any type.
func (v *Commitment) decodeChanges(d *flex.Decoder) error {
	v.ChangedAttributes = nil
	return d.Map(func(d *flex.Decoder, key string) error {
		raw, err := d.Raw()
		if err != nil {
			return err
		}
		if v.ChangedAttributes == nil {
			v.ChangedAttributes = make(map[string][]byte)
		}
		v.ChangedAttributes[key] = raw
		return nil
	})
}

// FundAllocation is the share of a commitment that goes to one fund.
type FundAllocation struct {
	AmountInDollars flex.Money `json:"amount_in_dollars"`
	Fund            Fund       `json:"fund"`
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

// CustomFields are the answers to an action page's custom fields, by
// field name. Values that are not strings (lists from check boxes) are
// kept as their JSON text.
type CustomFields map[string]string

func (c *CustomFields) decode(d *flex.Decoder) error {
	if d.Peek() == '[' { // an empty list where there are no fields
		*c = nil
		return d.Array(func(d *flex.Decoder, _ int) error { return d.Reject("an object of custom field answers") })
	}
	return d.TextMap((*map[string]string)(c))
}
