package anedot_test

import (
	"fmt"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/flex"
)

// An account whose Donation template names the donor's email "donor_email"
// and the amount "gift_total", and adds a "campaign_code" attribute that
// should become a refcode.
func ExampleMapping() {
	verifier, _ := anedot.NewVerifier(anedot.Secret{Tenant: "acme", Token: "secret-token"})
	src, err := anedot.NewSource(verifier, anedot.Mapping{
		Rename: map[string]string{"donor_email": "email", "gift_total": "amount_in_dollars"},
		Adjust: func(m *anedot.Message, events []donation.Event) ([]donation.Event, error) {
			var code flex.String
			d := flex.NewDecoder(m.Payload)
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
