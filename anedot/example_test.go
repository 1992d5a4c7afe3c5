package anedot_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
)

// A Source checks a delivery's signature and decodes it. In a server,
// mount it in a donorsync.Handler; here a handler calls it directly.
func ExampleNewSource() {
	cred := anedot.Credential{Tenant: "acme", Token: "secret-token"}
	auth, err := anedot.NewAuthenticator(cred)
	if err != nil {
		panic(err)
	}
	src, err := anedot.NewSource(auth, anedot.Options{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/anedot/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		tenant, reader, _ := src.Authenticate(r)
		body, err := io.ReadAll(reader) // checks the signature as it reads
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

	body := []byte(`{"event": "donation_completed", "payload": {"donation": {"id": "d9"},
		"amount_in_dollars": "$40.00", "email": "Pat@Example.com"}}`)
	req, err := anedot.NewRequest(context.Background(), "https://example.org/webhooks/anedot/acme", cred, body)
	if err != nil {
		panic(err)
	}
	mux.ServeHTTP(httptest.NewRecorder(), req)

	req, _ = anedot.NewRequest(context.Background(), "https://example.org/webhooks/anedot/acme", anedot.Credential{Token: "wrong"}, body)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// acme donation_completed:d9 pat@example.com 40
	// 401
}

// An account whose Donation template names the donor's email "donor_email"
// and the amount "gift_total", and adds a "campaign_code" attribute that
// should become a refcode.
func ExampleOptions() {
	auth, _ := anedot.NewAuthenticator(anedot.Credential{Tenant: "acme", Token: "secret-token"})
	src, err := anedot.NewSource(auth, anedot.Options{
		Rename: map[string]string{"donor_email": "email", "gift_total": "amount_in_dollars"},
		Adjust: func(m *anedot.Payload, events []donation.Event) ([]donation.Event, error) {
			var code flex.String
			d := flex.NewDecoder(m.Raw)
			err := d.Object(flex.NewNames("campaign_code"), func(d *flex.Decoder, _ string) error { return d.String(&code) })
			for _, ev := range events {
				if ev.Donation != nil && code.Valid {
					ev.Donation.Refcodes = map[string]string{"campaign": code.Value}
				}
			}
			return events, err
		},
	})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"event": "donation_completed", "payload": {"donation": {"id": "d9"},
		"gift_total": "$40.00", "donor_email": "Pat@Example.com", "campaign_code": "spring"}}`)
	dec, err := src.Decode(&donorsync.Delivery{Tenant: "acme", Body: body})
	if err != nil {
		panic(err)
	}
	ev := dec.Events[0]
	fmt.Println(ev.Contact.Email, ev.Donation.Amount, ev.Donation.Refcodes["campaign"])
	// Output: pat@example.com 40 spring
}

func ExampleSign() {
	body := []byte(`{"event":"donation_completed","payload":{}}`)
	fmt.Println(len(anedot.Sign("secret-token", body)))
	// Output: 64
}
