package actblue_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
)

// request returns a request routed through a mux so that PathValue works.
func authenticate(t testing.TB, a *actblue.Authenticator, path, user, pass string) (string, error) {
	t.Helper()
	var tenant string
	var err error
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/actblue/{tenant}", func(w http.ResponseWriter, r *http.Request) { tenant, err = a.Authenticate(r) })
	mux.HandleFunc("POST /single", func(w http.ResponseWriter, r *http.Request) { tenant, err = a.Authenticate(r) })
	r := httptest.NewRequest(http.MethodPost, path, nil)
	if user != "" || pass != "" {
		r.SetBasicAuth(user, pass)
	}
	mux.ServeHTTP(httptest.NewRecorder(), r)
	return tenant, err
}

func TestRotationWithOverlap(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	old := actblue.Credential{Tenant: "acme", Username: "acme-1", Password: "OldPasswordOldPassword12"}
	a, err := actblue.NewAuthenticator(old)
	if err != nil {
		t.Fatal(err)
	}
	a.Now = clock
	fresh := actblue.Credential{Tenant: "acme", Username: "acme-2", Password: "NewPasswordNewPassword34"}
	if err := a.Add(fresh); err != nil {
		t.Fatal(err)
	}
	if !a.Expire("acme", "acme-1", now.Add(time.Hour)) {
		t.Fatal("Expire did not find the old credential")
	}
	path := "/webhooks/actblue/acme"
	for _, c := range []actblue.Credential{old, fresh} {
		if tenant, err := authenticate(t, a, path, c.Username, c.Password); err != nil || tenant != "acme" {
			t.Errorf("during the overlap %s: %q, %v", c.Username, tenant, err)
		}
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if _, err := authenticate(t, a, path, old.Username, old.Password); !errors.Is(err, donorsync.ErrUnauthorized) {
		t.Errorf("expired credential accepted: %v", err)
	}
	if _, err := authenticate(t, a, path, fresh.Username, fresh.Password); err != nil {
		t.Errorf("new credential rejected after the overlap: %v", err)
	}
	// Swapping the password of one username does not accept the other's.
	if _, err := authenticate(t, a, path, fresh.Username, old.Password); err == nil {
		t.Error("a username with another credential's password was accepted")
	}
}

func TestSingleTenantWithoutPath(t *testing.T) {
	t.Parallel()
	a, _ := actblue.NewAuthenticator(cred)
	if tenant, err := authenticate(t, a, "/single", cred.Username, cred.Password); err != nil || tenant != "acme" {
		t.Errorf("single tenant without a path value: %q, %v", tenant, err)
	}
	_ = a.Add(actblue.Credential{Tenant: "second", Username: "s", Password: "SecondPasswordSecondPw12"})
	if _, err := authenticate(t, a, "/single", cred.Username, cred.Password); err == nil {
		t.Error("with two tenants and no path value, a request was accepted")
	}
}

func TestAddRejectsIncompleteCredentials(t *testing.T) {
	t.Parallel()
	for _, c := range []actblue.Credential{
		{Username: "u", Password: "p"}, {Tenant: "t", Password: "p"}, {Tenant: "t", Username: "u"}, {Tenant: "t", Username: "a:b", Password: "p"},
	} {
		if _, err := actblue.NewAuthenticator(c); err == nil {
			t.Errorf("NewAuthenticator(%+v) succeeded", c)
		}
	}
}

func TestGenerateCredential(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		c, err := actblue.GenerateCredential("acme", "Acme for America, Inc.")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Username, "acme-for-america-inc-") || c.Tenant != "acme" {
			t.Errorf("username %q, tenant %q", c.Username, c.Tenant)
		}
		if len(c.Password) != 24 || strings.Trim(c.Password, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Errorf("password %q: want 24 letters and digits", c.Password)
		}
		if seen[c.Password] {
			t.Errorf("password repeated: %q", c.Password)
		}
		seen[c.Password] = true
		a, _ := actblue.NewAuthenticator(c)
		if _, err := authenticate(t, a, "/webhooks/actblue/acme", c.Username, c.Password); err != nil {
			t.Errorf("a generated credential is rejected: %v", err)
		}
	}
	if _, err := actblue.GenerateCredential("", "x"); err == nil {
		t.Error("GenerateCredential without a tenant succeeded")
	}
}
