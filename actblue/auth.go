package actblue

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/credset"
)

// A Credential is a Basic-Auth username and password that ActBlue sends
// with each delivery for one tenant.
type Credential struct {
	Tenant   string
	Username string
	Password string
	// Expires is when the credential stops working; zero means never.
	// Set it on the old credential when rotating, so that ActBlue can be
	// switched to the new one without a gap.
	Expires time.Time
}

// An Authenticator checks the Basic-Auth credentials of ActBlue deliveries
// and tells which tenant they belong to.
//
// Each tenant may have several live credentials (rotation with overlap).
// Credentials are compared as fixed-size SHA-256 digests in constant time,
// and every failure (no header, malformed header, unknown tenant, wrong
// username or password, expired credential) returns the same error after
// the same work.
//
// An Authenticator is safe for concurrent use; credentials can be added
// and expired while it serves.
type Authenticator struct {
	// TenantParam is the name of the request path wildcard that holds the
	// tenant, as in "POST /webhooks/actblue/{tenant}". When the request has
	// no such value and the Authenticator knows exactly one tenant, that
	// tenant is used. Empty means "tenant".
	TenantParam string

	// Now is the clock for expiry; nil means time.Now.
	Now func() time.Time

	creds credset.Set[entry]
}

type entry struct {
	username string
	digest   [sha256.Size]byte
}

// dummy is compared against when the tenant is unknown, so that an unknown
// tenant costs the same as a wrong password.
var dummy = entry{digest: digest("\x00", "\x00")}

// NewAuthenticator returns an Authenticator that accepts creds.
func NewAuthenticator(creds ...Credential) (*Authenticator, error) {
	a := &Authenticator{}
	for _, c := range creds {
		if err := a.Add(c); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Add makes c valid at once, beside the tenant's other credentials. Adding
// a credential with the username of an existing one of the same tenant
// replaces it.
func (a *Authenticator) Add(c Credential) error {
	if c.Tenant == "" || c.Username == "" || c.Password == "" {
		return errors.New("actblue: a credential needs a tenant, a username and a password")
	}
	if strings.Contains(c.Username, ":") {
		return errors.New("actblue: a Basic-Auth username cannot contain a colon")
	}
	a.creds.Put(c.Tenant, entry{username: c.Username, digest: digest(c.Username, c.Password)}, c.Expires,
		func(e entry) bool { return e.username == c.Username })
	return nil
}

// Expire makes a tenant's credential stop working at the given time (now,
// if at is zero). It reports whether the credential was found.
func (a *Authenticator) Expire(tenant, username string, at time.Time) bool {
	if at.IsZero() {
		at = a.now()
	}
	return a.creds.Expire(tenant, at, func(e entry) bool { return e.username == username })
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Realm is the realm of the Basic challenge (the WWW-Authenticate header)
// that every 401 answer to an ActBlue delivery carries.
const Realm = "donorsync actblue webhooks"

// errUnauthorized is a failure of a Source without credentials. Every
// failure carries the same challenge, so that every 401 answer is the
// same; only its cause, for an Observer, differs.
var errUnauthorized error = challengeError{donorsync.ErrUnauthorized}

// challengeError wraps the cause of a failure, which wraps
// donorsync.ErrUnauthorized, with the Basic challenge RFC 9110 requires
// on a 401 answer.
type challengeError struct{ cause error }

func (e challengeError) Error() string { return e.cause.Error() }
func (e challengeError) Unwrap() error { return e.cause }
func (challengeError) WWWAuthenticate() string {
	return `Basic realm="` + Realm + `", charset="UTF-8"`
}

// Authenticate returns the tenant whose Basic-Auth credentials r carries,
// or an error wrapping donorsync.ErrUnauthorized that carries the Basic
// challenge for the WWW-Authenticate header (see donorsync.Source). The
// body plays no part: it is not read.
func (a *Authenticator) Authenticate(r *http.Request) (tenant string, err error) {
	user, pass, hasAuth := r.BasicAuth()
	got := digest(user, pass)
	param := a.TenantParam
	if param == "" {
		param = "tenant"
	}
	tenant, ok := a.creds.Check(r.PathValue(param), a.now(), dummy, func(e entry) int {
		return subtle.ConstantTimeCompare(got[:], e.digest[:])
	})
	switch {
	case !hasAuth:
		return "", challengeError{donorsync.ErrMalformedCredential}
	case tenant == "":
		return "", challengeError{donorsync.ErrUnknownTenant}
	case !ok:
		return "", challengeError{donorsync.ErrWrongCredential}
	}
	return tenant, nil
}

// NewRequest returns a POST request carrying body to url with c's Basic-Auth
// credentials, as ActBlue sends it. Use it in tests and to try an endpoint.
func NewRequest(ctx context.Context, url string, c Credential, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("actblue: %w", err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "donorsync-test")
	r.SetBasicAuth(c.Username, c.Password)
	return r, nil
}

// digest hashes a username and password into a fixed-size value, with the
// username's length first so that no two pairs share an encoding.
func digest(user, pass string) [sha256.Size]byte {
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

// passwordAlphabet has 62 symbols: a 24-character password carries about
// 143 bits.
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// PasswordLength is the length of generated passwords.
const PasswordLength = 24

// GenerateCredential returns a new credential for a tenant: a username made
// from the organisation's name and a random number, and a random
// 24-character password (about 143 bits) from crypto/rand. Give both to
// ActBlue when requesting the webhook, and add the credential to the
// Authenticator.
func GenerateCredential(tenant, organisation string) (Credential, error) {
	if tenant == "" {
		return Credential{}, errors.New("actblue: GenerateCredential needs a tenant")
	}
	slug := slugify(organisation)
	if slug == "" {
		slug = slugify(tenant)
	}
	if slug == "" {
		slug = "donorsync"
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return Credential{}, fmt.Errorf("actblue: generate username: %w", err)
	}
	pass, err := randomString(PasswordLength, passwordAlphabet)
	if err != nil {
		return Credential{}, fmt.Errorf("actblue: generate password: %w", err)
	}
	return Credential{Tenant: tenant, Username: fmt.Sprintf("%s-%06d", slug, n.Int64()), Password: pass}, nil
}

// randomString returns n symbols drawn uniformly from alphabet.
func randomString(n int, alphabet string) (string, error) {
	out := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range out {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		out[i] = alphabet[k.Int64()]
	}
	return string(out), nil
}

// slugify lower-cases s and keeps letters and digits, joining words with
// "-", at most 32 characters.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
		if b.Len() >= 32 {
			return b.String()
		}
	}
	return b.String()
}
