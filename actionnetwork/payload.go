package actionnetwork

import "github.com/donorsync/donorsync/flex"

// Payload is the body of an Action Network webhook delivery: an array of
// elements, usually one, several for batched events (letters to several
// targets).
type Payload []Element

// An Element is one typed hash of the array: the resource under its type
// key (such as "osdi:signature"), the sponsoring group and, on newer
// deliveries, an idempotency key.
type Element struct {
	Type           string      // the type key, such as "osdi:donation"; future types too
	Resource       Resource    // the hash under the type key
	Sponsor        Sponsor     // action_network:sponsor
	IdempotencyKey flex.String // absent on older deliveries
}

// Sponsor is the group where the action took place.
type Sponsor struct {
	Title flex.String `json:"title"`
	URL   flex.String `json:"url"`
}

// Resource is an OSDI resource as webhooks send it. One type serves every
// resource type: fields a type does not have stay absent.
type Resource struct {
	Identifiers  []flex.String
	CreatedDate  flex.Time
	ModifiedDate flex.Time
	Person       *Person
	PersonID     flex.String // action_network:person_id, when no person is inlined
	AddTags      []flex.String
	// Links holds the href of each _links entry (the first, for a list).
	// They are kept for reference and never fetched.
	Links map[string]string

	Comments flex.String // signatures
	Status   flex.String // attendances

	// Donations.
	Amount            flex.Money
	Currency          flex.String
	Recipients        []Recipient
	Payment           Payment
	Recurrence        Recurrence   // action_network:recurrence
	ReferrerData      ReferrerData // action_network:referrer_data
	FundraisingPageID flex.String  // action_network:fundraising_page_id
}

// Recipient is who receives (part of) a donation.
type Recipient struct {
	DisplayName flex.String
	Amount      flex.Money
}

// Payment is how a donation was paid.
type Payment struct {
	Method              flex.String
	ReferenceNumber     flex.String
	AuthorizationStored flex.Bool
}

// Recurrence tells whether a donation repeats.
type Recurrence struct {
	Recurring flex.Bool
	Period    flex.String
}

// ReferrerData is where an action came from.
type ReferrerData struct {
	Source                flex.String
	Referrer              flex.String
	Website               flex.String
	EmailReferrer         flex.String
	MobileMessageReferrer flex.String
}

// Person is the activist, with only the fields entered during the action.
type Person struct {
	Identifiers     []flex.String
	CreatedDate     flex.Time
	ModifiedDate    flex.Time
	GivenName       flex.String
	FamilyName      flex.String
	EmailAddresses  []EmailAddress
	PhoneNumbers    []PhoneNumber
	PostalAddresses []PostalAddress
	CustomFields    map[string]string // values that are not strings are kept as JSON text
	LanguagesSpoken []flex.String
}

// EmailAddress is one of a person's emails.
type EmailAddress struct {
	Address flex.String
	Primary flex.Bool
	Status  flex.String
}

// PhoneNumber is one of a person's phones.
type PhoneNumber struct {
	Number     flex.String
	Primary    flex.Bool
	NumberType flex.String
	Status     flex.String
}

// PostalAddress is one of a person's addresses.
type PostalAddress struct {
	Primary      flex.Bool
	AddressLines []flex.String
	Locality     flex.String
	Region       flex.String
	PostalCode   flex.String
	Country      flex.String
}

// Parse decodes an Action Network delivery body. A body that is not a
// JSON array, or whose known fields have the wrong form, gives an error
// naming the field ("[0].osdi:donation.amount") or the byte offset.
// Unknown fields are skipped; unknown types are kept with their resource.
func Parse(body []byte) (Payload, error) {
	var p Payload
	d := flex.NewDecoder(body)
	if d.Peek() != '[' {
		return nil, d.Reject("an array of typed hashes")
	}
	err := flex.Slice(d, (*[]Element)(&p), (*Element).decode)
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (e *Element) decode(d *flex.Decoder) error {
	return d.Map(func(d *flex.Decoder, key string) error {
		switch key {
		case "action_network:sponsor":
			return d.Object(sponsorNames, func(d *flex.Decoder, name string) error {
				if name == "title" {
					return d.String(&e.Sponsor.Title)
				}
				return d.String(&e.Sponsor.URL)
			})
		case "idempotency_key":
			return d.String(&e.IdempotencyKey)
		}
		if d.Peek() != '{' || e.Type != "" {
			// Not a resource, or a second type key: kept in the raw
			// delivery only.
			return d.Skip()
		}
		e.Type = key
		return e.Resource.decode(d)
	})
}

var (
	sponsorNames  = flex.NewNames("title", "url")
	resourceNames = flex.NewNames("identifiers", "created_date", "modified_date", "person", "action_network:person_id",
		"add_tags", "_links", "comments", "status", "amount", "currency", "recipients", "payment",
		"action_network:recurrence", "action_network:referrer_data", "action_network:fundraising_page_id")
)

func (r *Resource) decode(d *flex.Decoder) error {
	return d.Object(resourceNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "identifiers":
			return stringList(d, &r.Identifiers)
		case "created_date":
			return d.Time(&r.CreatedDate)
		case "modified_date":
			return d.Time(&r.ModifiedDate)
		case "person":
			return flex.Ptr(d, &r.Person, (*Person).decode)
		case "action_network:person_id":
			return d.String(&r.PersonID)
		case "add_tags":
			return stringList(d, &r.AddTags)
		case "_links":
			return decodeLinks(d, &r.Links)
		case "comments":
			return d.String(&r.Comments)
		case "status":
			return d.String(&r.Status)
		case "amount":
			return d.Money(&r.Amount)
		case "currency":
			return d.String(&r.Currency)
		case "recipients":
			return flex.Slice(d, &r.Recipients, (*Recipient).decode)
		case "payment":
			return r.Payment.decode(d)
		case "action_network:recurrence":
			return r.Recurrence.decode(d)
		case "action_network:referrer_data":
			return r.ReferrerData.decode(d)
		default: // "action_network:fundraising_page_id"
			return d.String(&r.FundraisingPageID)
		}
	})
}

func stringList(d *flex.Decoder, s *[]flex.String) error {
	return flex.Slice(d, s, func(v *flex.String, d *flex.Decoder) error { return d.String(v) })
}

var hrefNames = flex.NewNames("href")

// decodeLinks reads _links: each entry an object with href, or a list of
// them (the first is kept).
func decodeLinks(d *flex.Decoder, links *map[string]string) error {
	*links = nil
	return d.Map(func(d *flex.Decoder, name string) error {
		var href flex.String
		read := func(d *flex.Decoder) error {
			return d.Object(hrefNames, func(d *flex.Decoder, _ string) error {
				var h flex.String
				err := d.String(&h)
				if !href.Valid {
					href = h
				}
				return err
			})
		}
		var err error
		switch d.Peek() {
		case '{':
			err = read(d)
		case '[':
			err = d.Array(func(d *flex.Decoder, _ int) error {
				if d.Peek() != '{' {
					return d.Skip()
				}
				return read(d)
			})
		default:
			err = d.Skip()
		}
		if err == nil && href.Valid {
			if *links == nil {
				*links = make(map[string]string)
			}
			(*links)[name] = href.Value
		}
		return err
	})
}

var recipientNames = flex.NewNames("display_name", "amount")

func (v *Recipient) decode(d *flex.Decoder) error {
	return d.Object(recipientNames, func(d *flex.Decoder, name string) error {
		if name == "amount" {
			return d.Money(&v.Amount)
		}
		return d.String(&v.DisplayName)
	})
}

var paymentNames = flex.NewNames("method", "reference_number", "authorization_stored")

func (v *Payment) decode(d *flex.Decoder) error {
	return d.Object(paymentNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "method":
			return d.String(&v.Method)
		case "reference_number":
			return d.String(&v.ReferenceNumber)
		default:
			return d.Bool(&v.AuthorizationStored)
		}
	})
}

var recurrenceNames = flex.NewNames("recurring", "period")

func (v *Recurrence) decode(d *flex.Decoder) error {
	return d.Object(recurrenceNames, func(d *flex.Decoder, name string) error {
		if name == "recurring" {
			return d.Bool(&v.Recurring)
		}
		return d.String(&v.Period)
	})
}

var referrerNames = flex.NewNames("source", "referrer", "website", "email_referrer", "mobile_message_referrer")

func (v *ReferrerData) decode(d *flex.Decoder) error {
	return d.Object(referrerNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "source":
			return d.String(&v.Source)
		case "referrer":
			return d.String(&v.Referrer)
		case "website":
			return d.String(&v.Website)
		case "email_referrer":
			return d.String(&v.EmailReferrer)
		default:
			return d.String(&v.MobileMessageReferrer)
		}
	})
}

var personNames = flex.NewNames("identifiers", "created_date", "modified_date", "given_name", "family_name",
	"email_addresses", "phone_numbers", "postal_addresses", "custom_fields", "languages_spoken")

func (p *Person) decode(d *flex.Decoder) error {
	return d.Object(personNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "identifiers":
			return stringList(d, &p.Identifiers)
		case "created_date":
			return d.Time(&p.CreatedDate)
		case "modified_date":
			return d.Time(&p.ModifiedDate)
		case "given_name":
			return d.String(&p.GivenName)
		case "family_name":
			return d.String(&p.FamilyName)
		case "email_addresses":
			return flex.Slice(d, &p.EmailAddresses, (*EmailAddress).decode)
		case "phone_numbers":
			return flex.Slice(d, &p.PhoneNumbers, (*PhoneNumber).decode)
		case "postal_addresses":
			return flex.Slice(d, &p.PostalAddresses, (*PostalAddress).decode)
		case "custom_fields":
			return d.TextMap(&p.CustomFields)
		default: // "languages_spoken"
			return stringList(d, &p.LanguagesSpoken)
		}
	})
}

var emailNames = flex.NewNames("address", "primary", "status")

func (v *EmailAddress) decode(d *flex.Decoder) error {
	return d.Object(emailNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "address":
			return d.String(&v.Address)
		case "primary":
			return d.Bool(&v.Primary)
		default:
			return d.String(&v.Status)
		}
	})
}

var phoneNames = flex.NewNames("number", "primary", "number_type", "status")

func (v *PhoneNumber) decode(d *flex.Decoder) error {
	return d.Object(phoneNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "number":
			return d.String(&v.Number)
		case "primary":
			return d.Bool(&v.Primary)
		case "number_type":
			return d.String(&v.NumberType)
		default:
			return d.String(&v.Status)
		}
	})
}

var postalNames = flex.NewNames("primary", "address_lines", "locality", "region", "postal_code", "country")

func (v *PostalAddress) decode(d *flex.Decoder) error {
	return d.Object(postalNames, func(d *flex.Decoder, name string) error {
		switch name {
		case "primary":
			return d.Bool(&v.Primary)
		case "address_lines":
			return stringList(d, &v.AddressLines)
		case "locality":
			return d.String(&v.Locality)
		case "region":
			return d.String(&v.Region)
		case "postal_code":
			return d.String(&v.PostalCode)
		default:
			return d.String(&v.Country)
		}
	})
}
