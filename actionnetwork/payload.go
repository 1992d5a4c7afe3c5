package actionnetwork

import (
	"fmt"
	"strings"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
)

// Provider is the provider name Action Network records carry.
const Provider = "actionnetwork"

// TypeDonation is the type key of donations.
const TypeDonation = "osdi:donation"

// Payload is the body of an Action Network webhook delivery: an array of
// elements, usually one, several for batched events (letters to several
// targets).
type Payload struct {
	Elements []Element
}

// An Element is one typed hash of the array: the resource under its type
// key (such as "osdi:signature"), the sponsoring group and, on newer
// deliveries, an idempotency key.
type Element struct {
	Type           string   // the type key, such as "osdi:donation"; future types too
	Resource       Resource // the hash under the type key
	Sponsor        Sponsor  // action_network:sponsor
	IdempotencyKey flex.ID  // absent on older deliveries
}

// Sponsor is the group where the action took place.
type Sponsor struct {
	Title flex.String `json:"title"`
	URL   flex.String `json:"url"`
}

// Resource is an OSDI resource as webhooks send it. One type serves every
// resource type: fields a type does not have stay absent.
type Resource struct {
	Identifiers  []flex.ID     `json:"identifiers"`
	CreatedDate  flex.Time     `json:"created_date"`
	ModifiedDate flex.Time     `json:"modified_date"`
	Person       *Person       `json:"person"`
	PersonID     flex.ID       `json:"action_network:person_id"` // when no person is inlined
	AddTags      []flex.String `json:"add_tags"`
	// Links holds the href of each _links entry (the first, for a list).
	// They are kept for reference and never fetched.
	Links Links `json:"_links"`

	Comments flex.String `json:"comments"` // signatures
	Status   flex.String `json:"status"`   // attendances

	// Donations.
	Amount            flex.Money   `json:"amount"`
	Currency          flex.String  `json:"currency"`
	Recipients        []Recipient  `json:"recipients"`
	Payment           Payment      `json:"payment"`
	Recurrence        Recurrence   `json:"action_network:recurrence"`
	ReferrerData      ReferrerData `json:"action_network:referrer_data"`
	FundraisingPageID flex.String  `json:"action_network:fundraising_page_id"`
}

// Links are the href of each _links entry of a resource, by name. Each
// entry is an object with href, or a list of them (the first is kept).
type Links map[string]string

// Recipient is who receives (part of) a donation.
type Recipient struct {
	DisplayName flex.String `json:"display_name"`
	Amount      flex.Money  `json:"amount"`
}

// Payment is how a donation was paid.
type Payment struct {
	Method              flex.String `json:"method"`
	ReferenceNumber     flex.String `json:"reference_number"`
	AuthorizationStored flex.Bool   `json:"authorization_stored"`
}

// Recurrence tells whether a donation repeats.
type Recurrence struct {
	Recurring flex.Bool   `json:"recurring"`
	Period    flex.String `json:"period"`
}

// ReferrerData is where an action came from.
type ReferrerData struct {
	Source                flex.String `json:"source"`
	Referrer              flex.String `json:"referrer"`
	Website               flex.String `json:"website"`
	EmailReferrer         flex.String `json:"email_referrer"`
	MobileMessageReferrer flex.String `json:"mobile_message_referrer"`
}

// Person is the activist, with only the fields entered during the action.
type Person struct {
	Identifiers     []flex.ID       `json:"identifiers"`
	CreatedDate     flex.Time       `json:"created_date"`
	ModifiedDate    flex.Time       `json:"modified_date"`
	GivenName       flex.String     `json:"given_name"`
	FamilyName      flex.String     `json:"family_name"`
	EmailAddresses  []EmailAddress  `json:"email_addresses"`
	PhoneNumbers    []PhoneNumber   `json:"phone_numbers"`
	PostalAddresses []PostalAddress `json:"postal_addresses"`
	CustomFields    CustomFields    `json:"custom_fields"`
	LanguagesSpoken []flex.String   `json:"languages_spoken"`
}

// CustomFields are a person's answers to custom fields, by name. Values
// that are not strings are kept as their JSON text.
type CustomFields map[string]string

// EmailAddress is one of a person's emails.
type EmailAddress struct {
	Address flex.String `json:"address"`
	Primary flex.Bool   `json:"primary"`
	Status  flex.String `json:"status"`
}

// PhoneNumber is one of a person's phones.
type PhoneNumber struct {
	Number     flex.String `json:"number"`
	Primary    flex.Bool   `json:"primary"`
	NumberType flex.String `json:"number_type"`
	Status     flex.String `json:"status"`
}

// PostalAddress is one of a person's addresses.
type PostalAddress struct {
	Primary      flex.Bool     `json:"primary"`
	AddressLines []flex.String `json:"address_lines"`
	Locality     flex.String   `json:"locality"`
	Region       flex.String   `json:"region"`
	PostalCode   flex.String   `json:"postal_code"`
	Country      flex.String   `json:"country"`
}

// Parse decodes an Action Network delivery body. A body that is not a
// JSON array, or whose known fields have the wrong form, gives an error
// naming the field ("[0].osdi:donation.amount") or the byte offset.
// Unknown fields are skipped; unknown types are kept with their resource.
func Parse(body []byte) (*Payload, error) {
	p := &Payload{}
	d := flex.NewDecoder(body)
	if d.Peek() != '[' {
		return nil, d.Reject("an array of typed hashes")
	}
	err := flex.Slice(d, &p.Elements, (*Element).decode)
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Key returns the delivery's idempotency key: the idempotency keys of its
// elements; for an older element without one, its resource identifier and
// modified_date. It is "" when an element has neither (the engine then
// uses the SHA-256 of the body).
func (p *Payload) Key() string {
	keys := make([]string, 0, len(p.Elements))
	for _, e := range p.Elements {
		switch id := e.Resource.id(); {
		case e.IdempotencyKey.Valid:
			keys = append(keys, e.IdempotencyKey.Value)
		case id != "":
			keys = append(keys, id+"@"+e.Resource.ModifiedDate.Wall(nil).Format(time.RFC3339Nano))
		default:
			return ""
		}
	}
	return strings.Join(keys, ",")
}

// id returns the resource's Action Network identifier (the uuid of
// "action_network:uuid"), else the last segment of its self link, else "".
func (r *Resource) id() string {
	if id := actionNetworkID(r.Identifiers); id != "" {
		return id
	}
	return lastSegment(r.Links["self"])
}

// lastSegment returns what follows the last slash of a link: one
// spelling, "" for a link that ends with a slash (path.Base would read
// ".../donations/" as "donations", and ".../7/" as "7").
func lastSegment(link string) string {
	return link[strings.LastIndexByte(link, '/')+1:]
}

// activistID returns the Action Network id of the resource's person, from
// action_network:person_id, the osdi:person link or the person's
// identifiers.
func (r *Resource) activistID() string {
	switch {
	case r.PersonID.Valid:
		return r.PersonID.Value
	case r.Links["osdi:person"] != "":
		return lastSegment(r.Links["osdi:person"])
	case r.Person != nil:
		return actionNetworkID(r.Person.Identifiers)
	}
	return ""
}

func actionNetworkID(ids []flex.ID) string {
	for _, id := range ids {
		if v, ok := strings.CutPrefix(id.Value, "action_network:"); ok && v != "" {
			return v
		}
	}
	return ""
}

// actionLink returns the link to the action a resource belongs to: of the
// links that are not to the resource itself or to the person, the one
// whose name sorts first (osdi:petition, osdi:form, osdi:event, ...).
func (r *Resource) actionLink() string {
	best := ""
	for name := range r.Links {
		switch name {
		case "self", "osdi:person", "curies":
			continue
		}
		if best == "" || name < best {
			best = name
		}
	}
	return r.Links[best]
}

// Events maps the payload to events: for each element, the person and, for
// a donation, the donation; for any other type, an activity.
func (p *Payload) Events() ([]donation.Event, error) {
	events := make([]donation.Event, 0, len(p.Elements))
	for i := range p.Elements {
		e := &p.Elements[i]
		r := &e.Resource
		at := r.ModifiedDate.Wall(nil)
		if at.IsZero() {
			at = r.CreatedDate.Wall(nil)
		}
		ev := donation.Event{At: at, Contact: r.contact()}
		id := r.id()
		switch e.Type {
		case TypeDonation:
			if id == "" {
				return nil, &flex.Error{Field: fmt.Sprintf("[%d].%s.identifiers", i, e.Type), Value: "absent", Want: "the donation's action_network identifier"}
			}
			if !r.Amount.Valid {
				return nil, &flex.Error{Field: fmt.Sprintf("[%d].%s.amount", i, e.Type), Value: "absent", Want: `the amount, such as "100.00"`}
			}
			ev.Donation = r.donation(id, e)
		default:
			if ev.Contact == nil {
				break // no person to record the action on
			}
			key := e.Type + ":" + id
			if id == "" {
				key = e.Type + ":" + e.IdempotencyKey.Value
			}
			if id == "" && !e.IdempotencyKey.Valid {
				break // nothing to make the activity idempotent with
			}
			ev.Activities = []contact.Activity{{Key: key, Type: e.Type, Action: r.actionLink(), At: r.CreatedDate.Wall(nil)}}
		}
		events = append(events, ev)
	}
	return events, nil
}

// contact returns the person of a resource, or a contact known only by its
// Action Network id, or nil.
func (r *Resource) contact() *contact.Contact {
	pid := r.activistID()
	c := &contact.Contact{}
	if pid != "" {
		c.Sources = []contact.Source{{Provider: Provider, DonorID: pid}}
	}
	for _, t := range r.AddTags {
		if t.Valid {
			c.Tags = append(c.Tags, t.Value)
		}
	}
	var at time.Time
	if p := r.Person; p != nil {
		c.FirstName, c.LastName = p.GivenName.Value, p.FamilyName.Value
		for _, e := range p.EmailAddresses {
			if e.Address.Valid {
				c.Emails = append(c.Emails, e.Address.Value)
				if e.Primary.Value || c.Email == "" {
					c.Email = e.Address.Value
				}
			}
		}
		for _, ph := range p.PhoneNumbers {
			if ph.Number.Valid {
				c.Phones = append(c.Phones, contact.Phone{Raw: ph.Number.Value})
				if ph.Primary.Value || c.Phone == "" {
					c.Phone = ph.Number.Value
				}
			}
		}
		for _, a := range p.PostalAddresses {
			if a.Primary.Value || c.Address.IsZero() {
				c.Address = address(a)
			}
		}
		for k, v := range p.CustomFields {
			if c.Custom == nil {
				c.Custom = make(map[string]string, len(p.CustomFields))
			}
			c.Custom[k] = v
		}
		var langs []string
		for _, l := range p.LanguagesSpoken {
			if l.Valid {
				langs = append(langs, l.Value)
			}
		}
		if len(langs) > 0 {
			if c.Custom == nil {
				c.Custom = map[string]string{}
			}
			c.Custom["languages_spoken"] = strings.Join(langs, ",")
		}
		at = p.ModifiedDate.Wall(nil)
	}
	c.Normalize()
	if c.IsEmpty() {
		return nil
	}
	// The person's own modified_date dates its fields when given.
	c.Stamp(at)
	return c
}

func address(a PostalAddress) contact.Address {
	out := contact.Address{City: a.Locality.Value, State: a.Region.Value, PostalCode: a.PostalCode.Value, Country: a.Country.Value}
	var lines []string
	for _, l := range a.AddressLines {
		if l.Valid {
			lines = append(lines, l.Value)
		}
	}
	if len(lines) > 0 {
		out.Line1 = lines[0]
		out.Line2 = strings.Join(lines[1:], ", ")
	}
	return out
}

func (r *Resource) donation(id string, e *Element) *donation.Donation {
	d := &donation.Donation{
		ExternalID: id,
		Amount:     r.Amount.Amount,
		Currency:   strings.ToUpper(r.Currency.Value),
		PaidAt:     r.CreatedDate.Wall(nil),
		CreatedAt:  r.CreatedDate.Wall(nil),
		Form:       r.Links["osdi:fundraising_page"],
		Payment:    donation.Payment{Method: r.Payment.Method.Value, Reference: r.Payment.ReferenceNumber.Value},
		RecipientName: func() string {
			for _, rc := range r.Recipients {
				if rc.DisplayName.Valid {
					return rc.DisplayName.Value
				}
			}
			return e.Sponsor.Title.Value
		}(),
		RecipientID:    e.Sponsor.URL.Value,
		PlatformStatus: donation.Completed,
	}
	if d.Currency == "" {
		d.Currency = "USD"
	}
	if d.Form == "" && r.FundraisingPageID.Valid {
		d.Form = r.FundraisingPageID.Value
	}
	if r.Recurrence.Recurring.Value {
		d.Recurrence.Period = strings.ToLower(r.Recurrence.Period.Value)
	} else if r.Recurrence.Recurring.Valid {
		d.Recurrence.Period = "once"
	}
	ref := r.ReferrerData
	for k, v := range map[string]flex.String{
		"source": ref.Source, "referrer": ref.Referrer, "website": ref.Website,
		"email_referrer": ref.EmailReferrer, "mobile_message_referrer": ref.MobileMessageReferrer,
	} {
		if v.Valid {
			if d.Refcodes == nil {
				d.Refcodes = map[string]string{}
			}
			d.Refcodes[k] = v.Value
		}
	}
	return d
}
