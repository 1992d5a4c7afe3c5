package anedot

import (
	"errors"
	"io"
	"net/http"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/donation"
)

// Options adapts a Source to an account's customised templates.
type Options struct {
	// Rename maps an attribute name of the account's template to the
	// standard attribute it stands for, such as {"donor_email": "email"}.
	// It applies to the top level of the payload.
	Rename map[string]string

	// Adjust, when set, is called with each decoded payload and the events
	// made from it, and returns the events to apply. It may read p.Raw for
	// attributes the standard templates lack. An error quarantines the
	// delivery.
	Adjust func(p *Payload, events []donation.Event) ([]donation.Event, error)
}

// A Source is the Anedot side of a donorsync.Handler. Make one with
// NewSource.
type Source struct {
	auth      *Authenticator
	adjust    func(*Payload, []donation.Event) ([]donation.Event, error)
	templates *templates
}

var _ donorsync.Source = (*Source)(nil)

// NewSource returns a Source that authenticates deliveries with auth and
// decodes them with opts. It reports an error when auth is nil or holds no
// secret, so that a receiver cannot be mounted open, and when a rename
// names an attribute that no template has.
func NewSource(auth *Authenticator, opts Options) (*Source, error) {
	if auth == nil || auth.secrets.Len() == 0 {
		return nil, errors.New("anedot: NewSource needs an Authenticator with at least one secret")
	}
	t, err := renamed(opts.Rename)
	if err != nil {
		return nil, err
	}
	return &Source{auth: auth, adjust: opts.Adjust, templates: t}, nil
}

// Provider implements donorsync.Source.
func (s *Source) Provider() string { return Provider }

// Authenticate implements donorsync.Source: it returns a reader over
// r.Body that verifies the signature of the raw body as it is read, and
// fails at its end when the signature does not match (see
// Authenticator.Authenticate).
func (s *Source) Authenticate(r *http.Request) (string, io.Reader, error) {
	tenant, body := s.auth.Authenticate(r)
	return tenant, body, nil
}

// Decode implements donorsync.Source: it parses the body with the Source's
// templates, maps it to events and applies Options.Adjust.
func (s *Source) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	p, err := parse(d.Body, s.templates)
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	key := p.Key() // before Adjust, which may change p
	events, err := p.Events()
	if err == nil && s.adjust != nil {
		events, err = s.adjust(p, events)
	}
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	return donorsync.Decoded{Key: key, Events: events}, nil
}
