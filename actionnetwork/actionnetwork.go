// Package actionnetwork receives Action Network webhooks: donations and
// every action type (signatures, form submissions, attendances, outreaches,
// uploads, actions, and types yet to come).
//
// Action Network signs nothing, so the webhook URL is the credential: it
// carries a random token of at least 128 bits per tenant.
//
//	token, _ := actionnetwork.GenerateToken()
//	auth, _ := actionnetwork.NewAuthenticator(actionnetwork.Token{Tenant: "acme", Token: token})
//	mux.Handle("POST /webhooks/actionnetwork/{tenant}/{token}", &donorsync.Handler{
//		Source:   &actionnetwork.Source{Auth: auth},
//		Ingester: &donorsync.Ingester{Store: store},
//	})
//
// A delivery is an array of typed hashes in OSDI format. An osdi:donation
// becomes a donation; every type upserts the person, with the tags and
// custom fields entered during the action, and records an activity on
// the contact. Action Network sends only the fields entered during the
// action and does not deliver in order: modified_date decides which
// values are newer. A donation may name its donor only by
// action_network:person_id; it is attached to a contact keyed by that id,
// merged with the full contact once a delivery brings the person's email.
// Links in payloads are kept and never fetched.
package actionnetwork

import (
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
)

// Provider is the provider name Action Network records carry.
const Provider = "actionnetwork"

// TypeDonation is the type key of donations.
const TypeDonation = "osdi:donation"

// A Source is the Action Network side of a donorsync.Handler. Set Auth.
type Source struct {
	Auth *Authenticator
}

var _ donorsync.Source = (*Source)(nil)

// Provider implements donorsync.Source.
func (s *Source) Provider() string { return Provider }

// Authenticate implements donorsync.Source: it checks the URL token.
func (s *Source) Authenticate(r *http.Request, _ []byte) (string, error) {
	return s.Auth.Authenticate(r)
}

// Decode implements donorsync.Source.
func (s *Source) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	p, err := Parse(d.Body)
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	events, err := p.Events()
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	return donorsync.Decoded{Key: p.Key(), Events: events}, nil
}

// Key returns the delivery's idempotency key: the idempotency keys of its
// elements; for an older element without one, its resource identifier and
// modified_date. It is "" when an element has neither (the engine then
// uses the SHA-256 of the body).
func (p Payload) Key() string {
	keys := make([]string, 0, len(p))
	for _, e := range p {
		switch id := e.Resource.ID(); {
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

// ID returns the resource's Action Network identifier (the uuid of
// "action_network:uuid"), else the last segment of its self link, else "".
func (r *Resource) ID() string {
	if id := actionNetworkID(r.Identifiers); id != "" {
		return id
	}
	if self := r.Links["self"]; self != "" {
		return path.Base(self)
	}
	return ""
}

// ActivistID returns the Action Network id of the resource's person, from
// action_network:person_id, the osdi:person link or the person's
// identifiers.
func (r *Resource) ActivistID() string {
	switch {
	case r.PersonID.Valid:
		return r.PersonID.Value
	case r.Links["osdi:person"] != "":
		return path.Base(r.Links["osdi:person"])
	case r.Person != nil:
		return actionNetworkID(r.Person.Identifiers)
	}
	return ""
}

func actionNetworkID(ids []flex.String) string {
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
func (p Payload) Events() ([]donation.Event, error) {
	events := make([]donation.Event, 0, len(p))
	for i := range p {
		e := &p[i]
		r := &e.Resource
		at := r.ModifiedDate.Wall(nil)
		if at.IsZero() {
			at = r.CreatedDate.Wall(nil)
		}
		ev := donation.Event{At: at, Contact: r.contact()}
		id := r.ID()
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
	pid := r.ActivistID()
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
