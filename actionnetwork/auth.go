package actionnetwork

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/credset"
)

// MinTokenLength is the shortest URL token accepted: 22 characters of
// base64url carry 128 bits.
const MinTokenLength = 22

// A Credential is the secret part of a tenant's webhook URL, its token.
// Action Network signs nothing, so the URL itself is the credential (a
// capability URL): https://your.host/webhooks/actionnetwork/{tenant}/{token}.
type Credential struct {
	Tenant string
	Token  string // at least MinTokenLength characters; GenerateToken makes one
	// Username and Password, when set, must also arrive as Basic Auth
	// (Action Network sends credentials written in the URL as
	// https://user:pass@host/...).
	Username string
	Password string
	// Expires is when the token stops working; zero means never.
	Expires time.Time
}

// GenerateToken returns a new random URL token of 256 bits, as 43
// base64url characters.
func GenerateToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("actionnetwork: generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// An Authenticator checks the URL token (and optional Basic Auth) of
// Action Network deliveries and tells which tenant they belong to.
//
// Tokens are compared as SHA-256 digests in constant time against every
// live token of the tenant; every failure returns the same error after the
// same work. Several tokens may be live per tenant, for rotation.
// The token is never logged by this package; keep it out of access logs.
//
// An Authenticator is safe for concurrent use.
type Authenticator struct {
	// TenantParam and TokenParam name the path wildcards that hold the
	// tenant and the token, as in
	// "POST /webhooks/actionnetwork/{tenant}/{token}". Empty means
	// "tenant" and "token". Without a tenant value, the only tenant is
	// used when there is one.
	TenantParam, TokenParam string

	// Now is the clock for expiry; nil means time.Now.
	Now func() time.Time

	tokens credset.Set[tokenEntry]
}

type tokenEntry struct {
	token   [sha256.Size]byte
	basic   [sha256.Size]byte
	hasAuth bool
}

var dummyEntry = tokenEntry{token: digest("\x00no such tenant")}

// NewAuthenticator returns an Authenticator that accepts tokens.
func NewAuthenticator(tokens ...Credential) (*Authenticator, error) {
	a := &Authenticator{}
	for _, t := range tokens {
		if err := a.Add(t); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Add makes t valid at once, beside the tenant's other tokens.
func (a *Authenticator) Add(t Credential) error {
	switch {
	case t.Tenant == "":
		return errors.New("actionnetwork: a token needs a tenant")
	case len(t.Token) < MinTokenLength:
		return fmt.Errorf("actionnetwork: a URL token needs at least %d characters (128 bits); use GenerateToken", MinTokenLength)
	case (t.Username == "") != (t.Password == ""):
		return errors.New("actionnetwork: Basic Auth needs both a username and a password")
	}
	e := tokenEntry{token: digest(t.Token)}
	if t.Username != "" {
		e.basic, e.hasAuth = basicDigest(t.Username, t.Password), true
	}
	a.tokens.Put(t.Tenant, e, t.Expires, func(old tokenEntry) bool { return old.token == e.token })
	return nil
}

// Expire makes a tenant's token stop working at the given time (now, if at
// is zero). It reports whether the token was found.
func (a *Authenticator) Expire(tenant, token string, at time.Time) bool {
	if at.IsZero() {
		at = a.now()
	}
	d := digest(token)
	return a.tokens.Expire(tenant, at, func(e tokenEntry) bool { return e.token == d })
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Authenticate returns the tenant whose URL token r was sent to, or an
// error wrapping donorsync.ErrUnauthorized. Action Network signs nothing:
// the body plays no part, and is not read.
func (a *Authenticator) Authenticate(r *http.Request) (tenant string, err error) {
	tenantParam, tokenParam := a.TenantParam, a.TokenParam
	if tenantParam == "" {
		tenantParam = "tenant"
	}
	if tokenParam == "" {
		tokenParam = "token"
	}
	got := digest(r.PathValue(tokenParam))
	user, pass, hasBasic := r.BasicAuth()
	gotBasic := basicDigest(user, pass)
	tenant, ok := a.tokens.Check(r.PathValue(tenantParam), a.now(), dummyEntry, func(e tokenEntry) int {
		match := subtle.ConstantTimeCompare(got[:], e.token[:])
		basic := subtle.ConstantTimeCompare(gotBasic[:], e.basic[:])
		if !e.hasAuth {
			basic = 1
		} else if !hasBasic {
			basic = 0
		}
		return match & basic
	})
	switch {
	case r.PathValue(tokenParam) == "":
		return "", donorsync.ErrMalformedCredential
	case tenant == "":
		return "", donorsync.ErrUnknownTenant
	case !ok:
		return "", donorsync.ErrWrongCredential
	}
	return tenant, nil
}

// NewRequest returns a POST request carrying body to c's webhook URL, as
// Action Network sends it: url is the URL without the token (such as
// https://your.host/webhooks/actionnetwork/acme), to which c.Token is
// appended as the last path segment; c.Username and c.Password, when set,
// are sent as Basic Auth. Use it in tests and to try an endpoint.
func NewRequest(ctx context.Context, url string, c Credential, body []byte) (*http.Request, error) {
	target := strings.TrimSuffix(url, "/") + "/" + neturl.PathEscape(c.Token)
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("actionnetwork: %w", err)
	}
	r.Header.Set("Content-Type", "application/json")
	if c.Username != "" || c.Password != "" {
		r.SetBasicAuth(c.Username, c.Password)
	}
	return r, nil
}

func digest(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

func basicDigest(user, pass string) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(user)))
	h.Write(n[:])
	h.Write([]byte(user))
	h.Write([]byte(pass))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
