package anedot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"sync"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/credset"
)

// SignatureHeader is the header in which Anedot sends the signature: the
// hex HMAC-SHA256 of the raw body, keyed with the webhook's secret token.
const SignatureHeader = "X-Request-Signature"

// A Credential is a webhook's secret token for one tenant.
type Credential struct {
	Tenant string
	Token  string
	// Expires is when the secret stops being accepted; zero means never.
	// Set it on the old secret when rotating.
	Expires time.Time
}

// An Authenticator checks the signatures of Anedot deliveries and tells
// which tenant they belong to.
//
// Each tenant may have several live secrets (rotation with overlap, or one
// webhook per template type, each with its own token). The signature is
// computed for every live secret of the tenant and compared in constant
// time; every failure (no header, malformed hex, wrong length, unknown
// tenant, wrong or expired secret) returns the same error after the same
// work. A "sha256=" prefix on the header is accepted.
//
// An Authenticator is safe for concurrent use; secrets can be added and
// expired while it serves.
type Authenticator struct {
	// TenantParam is the name of the request path wildcard that holds the
	// tenant, as in "POST /webhooks/anedot/{tenant}". When the request has
	// no such value and the Authenticator knows exactly one tenant, that
	// tenant is used. Empty means "tenant".
	TenantParam string

	// Now is the clock for expiry; nil means time.Now.
	Now func() time.Time

	secrets credset.Set[*secret]
}

type secret struct {
	token string
	pool  sync.Pool // of hash.Hash keyed with token
}

func newSecret(token string) *secret {
	s := &secret{token: token}
	s.pool.New = func() any { return hmac.New(sha256.New, []byte(token)) }
	return s
}

// mac writes the HMAC of body into out.
func (s *secret) mac(body []byte, out *[sha256.Size]byte) {
	h := s.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(body)
	h.Sum(out[:0])
	s.pool.Put(h)
}

// dummySecret is used for unknown tenants, so that they cost the same work
// as a known one.
var dummySecret = newSecret("donorsync: no such tenant")

// NewAuthenticator returns an Authenticator that accepts secrets.
func NewAuthenticator(secrets ...Credential) (*Authenticator, error) {
	v := &Authenticator{}
	for _, s := range secrets {
		if err := v.Add(s); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Add makes s valid at once, beside the tenant's other secrets. Adding a
// token that the tenant already has replaces its expiry.
func (v *Authenticator) Add(s Credential) error {
	if s.Tenant == "" || s.Token == "" {
		return errors.New("anedot: a secret needs a tenant and a token")
	}
	v.secrets.Put(s.Tenant, newSecret(s.Token), s.Expires, func(e *secret) bool { return e.token == s.Token })
	return nil
}

// Expire makes a tenant's secret stop working at the given time (now, if
// at is zero). It reports whether the secret was found.
func (v *Authenticator) Expire(tenant, token string, at time.Time) bool {
	if at.IsZero() {
		at = v.now()
	}
	return v.secrets.Expire(tenant, at, func(e *secret) bool { return e.token == token })
}

func (v *Authenticator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Authenticate checks the signature of body, as received in r, and
// returns the tenant whose secret signed it, or an error wrapping
// donorsync.ErrUnauthorized.
func (v *Authenticator) Authenticate(r *http.Request, body []byte) (tenant string, err error) {
	var got [sha256.Size]byte
	sig := r.Header.Get(SignatureHeader)
	if len(sig) > 7 && (sig[:7] == "sha256=" || sig[:7] == "SHA256=") {
		sig = sig[7:]
	}
	okHeader := 0
	if len(sig) == hex.EncodedLen(sha256.Size) {
		if _, err := hex.Decode(got[:], []byte(sig)); err == nil {
			okHeader = 1
		}
	}

	param := v.TenantParam
	if param == "" {
		param = "tenant"
	}
	var want [sha256.Size]byte
	tenant, ok := v.secrets.Check(r.PathValue(param), v.now(), dummySecret, func(s *secret) int {
		s.mac(body, &want)
		return subtle.ConstantTimeCompare(got[:], want[:])
	})
	if !ok || okHeader != 1 {
		return "", donorsync.ErrUnauthorized
	}
	return tenant, nil
}

// Sign returns the signature Anedot sends for body with the given secret
// token: the hex HMAC-SHA256 of the bytes. Use it in tests.
func Sign(token string, body []byte) string {
	h := hmac.New(sha256.New, []byte(token))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// NewRequest returns a POST request carrying body to url, signed with c's
// secret token as Anedot signs it. Use it in tests and to try an endpoint.
func NewRequest(ctx context.Context, url string, c Credential, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("anedot: %w", err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, Sign(c.Token, body))
	return r, nil
}
