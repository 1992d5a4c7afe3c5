package actionnetwork

import (
	"encoding/json"

	"github.com/donorsync/donorsync/flex"
)

// The decoders below read a payload in one pass with flex.Decoder. They
// give the same result as flex.Unmarshal with the struct tags of the
// payload types, but for keys in another case, which they skip (a fuzz
// test holds them to it), in a fraction of the time.

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
			return d.ID(&e.IdempotencyKey)
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
			return idList(d, &r.Identifiers)
		case "created_date":
			return d.Time(&r.CreatedDate)
		case "modified_date":
			return d.Time(&r.ModifiedDate)
		case "person":
			return flex.Ptr(d, &r.Person, (*Person).decode)
		case "action_network:person_id":
			return d.ID(&r.PersonID)
		case "add_tags":
			return stringList(d, &r.AddTags)
		case "_links":
			return r.Links.decode(d)
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

func idList(d *flex.Decoder, s *[]flex.ID) error {
	return flex.Slice(d, s, func(v *flex.ID, d *flex.Decoder) error { return d.ID(v) })
}

var hrefNames = flex.NewNames("href")

// decode reads _links: each entry an object with href, or a list of them
// (the first is kept).
func (links *Links) decode(d *flex.Decoder) error {
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
				*links = make(Links)
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
			return idList(d, &p.Identifiers)
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
			return d.TextMap((*map[string]string)(&p.CustomFields))
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

// UnmarshalJSON implements json.Unmarshaler: the element's type key and
// resource, its sponsor and its idempotency key. The resource and the
// sponsor are decoded by flex.Unmarshal with their struct tags; Parse gives
// the same result in one pass (but for keys in another case, which it
// skips).
func (e *Element) UnmarshalJSON(data []byte) error {
	d := flex.NewDecoder(data)
	err := d.Map(func(d *flex.Decoder, key string) error {
		switch key {
		case "action_network:sponsor":
			return unmarshal(d, &e.Sponsor)
		case "idempotency_key":
			return d.ID(&e.IdempotencyKey)
		}
		if d.Peek() != '{' || e.Type != "" {
			return d.Skip()
		}
		e.Type = key
		return unmarshal(d, &e.Resource)
	})
	if err != nil {
		return err
	}
	return d.End()
}

// unmarshal reads the next value of d into v with encoding/json.
func unmarshal(d *flex.Decoder, v any) error {
	raw, err := d.Raw()
	if err != nil {
		return err
	}
	return flex.Unmarshal(raw, v)
}

// UnmarshalJSON implements json.Unmarshaler.
func (links *Links) UnmarshalJSON(data []byte) error {
	d := flex.NewDecoder(data)
	if err := links.decode(d); err != nil {
		return err
	}
	return d.End()
}

// UnmarshalJSON implements json.Unmarshaler: values that are not strings
// are kept as their JSON text.
func (c *CustomFields) UnmarshalJSON(data []byte) error {
	d := flex.NewDecoder(data)
	if err := d.TextMap((*map[string]string)(c)); err != nil {
		return err
	}
	return d.End()
}

var _ json.Unmarshaler = (*Element)(nil)
