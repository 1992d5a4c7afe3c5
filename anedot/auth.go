package anedot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sync"
	"time"

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

// hash returns an HMAC keyed with the secret, reset.
func (s *secret) hash() hash.Hash {
	h := s.pool.Get().(hash.Hash)
	h.Reset()
	return h
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

// Authenticate returns the tenant r is sent for and the reader to read
// r.Body from: it computes, as the bytes go by, the HMAC of the body with
// every secret of the tenant (or with a dummy secret, for an unknown
// tenant), in one pass, and at the end of the body compares each with the
// signature in constant time. When no live secret of the tenant signed
// the body, the reader returns an error wrapping donorsync.ErrUnauthorized
// in place of io.EOF; the tenant is vouched for only once the reader has
// returned io.EOF. Every failure (no header, malformed hex, wrong length,
// unknown tenant, wrong or expired secret) is found there, after the same
// work.
func (v *Authenticator) Authenticate(r *http.Request) (tenant string, body io.Reader) {
	b := &signedBody{r: r.Body}
	var sig string
	if v := r.Header[SignatureHeader]; len(v) > 0 { // the name is canonical: no need to canonicalise it again
		sig = v[0]
	}
	if len(sig) > 7 && (sig[:7] == "sha256=" || sig[:7] == "SHA256=") {
		sig = sig[7:]
	}
	if len(sig) == hex.EncodedLen(sha256.Size) {
		if _, err := hex.Decode(b.sig[:], []byte(sig)); err == nil {
			b.okSig = 1
		}
	}
	param := v.TenantParam
	if param == "" {
		param = "tenant"
	}
	tenant, b.secrets = v.secrets.Select(r.PathValue(param), v.now(), dummySecret, b.secretBuf[:0])
	b.known = tenant != ""
	b.macs = b.macBuf[:0]
	for _, s := range b.secrets {
		b.macs = append(b.macs, s.Cred.hash())
	}
	return tenant, b
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
