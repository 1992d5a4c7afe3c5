package actionnetwork_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actionnetwork"
)

// A Source checks a delivery's URL token and decodes it. In a server,
// mount it in a donorsync.Handler; here a handler calls it directly.
func ExampleNewSource() {
	cred := actionnetwork.Credential{Tenant: "acme", Token: "Qm9vdHN0cmFwVG9rZW4tMTI4LWJpdHMtb3ItbW9yZQ"}
	auth, err := actionnetwork.NewAuthenticator(cred)
	if err != nil {
		panic(err)
	}
	src, err := actionnetwork.NewSource(auth, actionnetwork.Options{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/actionnetwork/{tenant}/{token}", func(w http.ResponseWriter, r *http.Request) {
		tenant, reader, err := src.Authenticate(r) // before the body is read
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(reader)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		dec, err := src.Decode(&donorsync.Delivery{Tenant: tenant, Body: body})
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		for _, ev := range dec.Events {
			fmt.Println(tenant, dec.Key, ev.Contact.Email, ev.Activities[0].Type)
		}
	})

	body := []byte(`[{"osdi:signature": {"identifiers": ["action_network:d6bdf50e"],
		"person": {"email_addresses": [{"address": "Ann@Example.org", "primary": true}]}},
		"idempotency_key": "1679091c5a880faf"}]`)
	req, err := actionnetwork.NewRequest(context.Background(), "https://example.org/webhooks/actionnetwork/acme", cred, body)
	if err != nil {
		panic(err)
	}
	mux.ServeHTTP(httptest.NewRecorder(), req)

	wrong := cred
	wrong.Token = "not-the-token-not-the-token-not-the-token"
	req, _ = actionnetwork.NewRequest(context.Background(), "https://example.org/webhooks/actionnetwork/acme", wrong, body)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// acme 1679091c5a880faf ann@example.org osdi:signature
	// 401
}

func ExampleGenerateToken() {
	token, err := actionnetwork.GenerateToken()
	if err != nil {
		panic(err)
	}
	fmt.Println(len(token))
	// Output: 43
}
