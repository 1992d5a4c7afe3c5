package actionnetwork

import (
	"errors"
	"io"
	"net/http"

	"github.com/donorsync/donorsync"
)

// Options configures a Source. Action Network deliveries need no
// configuration yet: the zero value is the only one.
type Options struct{}

// A Source is the Action Network side of a donorsync.Handler. Make one
// with NewSource.
type Source struct {
	auth *Authenticator
}

var _ donorsync.Source = (*Source)(nil)

// NewSource returns a Source that authenticates deliveries with auth. It
// reports an error when auth is nil or holds no token, so that a receiver
// cannot be mounted open.
func NewSource(auth *Authenticator, opts Options) (*Source, error) {
	if auth == nil || auth.tokens.Len() == 0 {
		return nil, errors.New("actionnetwork: NewSource needs an Authenticator with at least one token")
	}
	return &Source{auth: auth}, nil
}

// Provider implements donorsync.Source.
func (s *Source) Provider() string { return Provider }

// Authenticate implements donorsync.Source: it checks the URL token (and
// Basic Auth, when the credential has one) before the body is read, and
// returns r.Body.
func (s *Source) Authenticate(r *http.Request) (string, io.Reader, error) {
	tenant, err := s.auth.Authenticate(r)
	if err != nil {
		return "", nil, err
	}
	return tenant, r.Body, nil
}

// Decode implements donorsync.Source: it parses the body and maps each
// element to an event.
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
