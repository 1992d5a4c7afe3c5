package actblue_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
)

// A Source checks a delivery's credentials and decodes it. In a server,
// mount it in a donorsync.Handler; here a handler calls it directly.
func ExampleNewSource() {
	cred := actblue.Credential{Tenant: "acme", Username: "acme-000001", Password: "ExamplePasswordExample12"}
	auth, err := actblue.NewAuthenticator(cred)
	if err != nil {
		panic(err)
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/actblue/{tenant}", func(w http.ResponseWriter, r *http.Request) {
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
			fmt.Println(tenant, dec.Key, ev.Contact.Email, ev.Donation.Amount)
		}
	})

	body := []byte(`{"donor": {"firstname": "Ann", "email": "Ann@Example.org"},
		"contribution": {"orderNumber": "AB1", "createdAt": "2019-06-07T15:49:32-04:00"},
		"lineitems": [{"lineitemId": 7, "amount": "25.0"}]}`)
	req, err := actblue.NewRequest(context.Background(), "https://example.org/webhooks/actblue/acme", cred, body)
	if err != nil {
		panic(err)
	}
	mux.ServeHTTP(httptest.NewRecorder(), req)

	wrong := cred
	wrong.Password = "not-the-password"
	req, _ = actblue.NewRequest(context.Background(), "https://example.org/webhooks/actblue/acme", wrong, body)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// acme contribution:7 ann@example.org 25
	// 401
}

func ExampleGenerateCredential() {
	c, err := actblue.GenerateCredential("acme", "Acme for America")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Tenant, c.Username[:len("acme-for-america-")], len(c.Password))
	// Output: acme acme-for-america- 24
}

func ExampleParse() {
	p, err := actblue.Parse([]byte(`{
		"donor": {"firstname": "Ann", "email": "ann@example.org"},
		"contribution": {"orderNumber": "AB1", "createdAt": "2019-06-07T15:49:32-04:00"},
		"lineitems": [{"lineitemId": 7, "amount": "25.0", "refundedAt": "2019-06-20T10:00:00-04:00"}]
	}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Kind(), p.LineItems[0].LineItemID.Value, p.LineItems[0].Amount.Amount)
	// Output: refund 7 25
}
