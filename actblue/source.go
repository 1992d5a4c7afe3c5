package actblue

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reports"
)

// Options configures a Source.
type Options struct {
	// Kind is the webhook type sent to the Source's URL, used for
	// deliveries whose payload does not say (see Payload.Kind). Empty:
	// contributions, refunds and cancellations arrive on one URL and are
	// told apart by their payload.
	Kind Kind
}

// A Source is the ActBlue side of a donorsync.Handler. Make one with
// NewSource.
type Source struct {
	auth *Authenticator // nil in a zero Source, which rejects every request
	kind Kind
}

var (
	_ donorsync.Source = (*Source)(nil)
	_ donorsync.Hinter = (*Source)(nil)
)

// NewSource returns a Source that authenticates deliveries with auth and
// decodes them with opts. It reports an error when auth is nil or holds no
// credential, so that a receiver cannot be mounted open.
func NewSource(auth *Authenticator, opts Options) (*Source, error) {
	if auth == nil || auth.creds.Len() == 0 {
		return nil, errors.New("actblue: NewSource needs an Authenticator with at least one credential")
	}
	switch opts.Kind {
	case "", KindContribution, KindRefund, KindCancellation:
	default:
		return nil, fmt.Errorf("actblue: unknown webhook kind %q", opts.Kind)
	}
	return &Source{auth: auth, kind: opts.Kind}, nil
}

// Provider implements donorsync.Source.
func (s *Source) Provider() string { return Provider }

// Authenticate implements donorsync.Source: it checks the Basic-Auth
// credentials of r before the body is read, and returns r.Body. ActBlue
// signs nothing. A failure carries the Basic challenge of Realm.
func (s *Source) Authenticate(r *http.Request) (string, io.Reader, error) {
	if s.auth == nil {
		return "", nil, errUnauthorized
	}
	tenant, err := s.auth.Authenticate(r)
	if err != nil {
		return "", nil, err
	}
	return tenant, r.Body, nil
}

// Hint implements donorsync.Hinter: the Kind of Options, recorded with
// each delivery so that a replay decodes it as it was received.
func (s *Source) Hint(*http.Request) string { return string(s.kind) }

// Decode implements donorsync.Source: it parses the body and maps it to
// one event per line item. The delivery's Kind (the Hint it was received
// with) tells the kind of a payload that does not say. A delivery made by
// ReportDelivery is read as the row of a report it holds.
func (s *Source) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	if t, ok := strings.CutPrefix(d.Kind, reportKind); ok {
		dec, err := decodeReport(reports.Type(t), d.Body)
		if err != nil {
			return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
		}
		return dec, nil
	}
	p, err := Parse(d.Body)
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	p.Hint = Kind(d.Kind)
	events, err := p.Events()
	if err != nil {
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: Provider, Err: err}
	}
	return donorsync.Decoded{Key: p.Key(), Events: events}, nil
}
