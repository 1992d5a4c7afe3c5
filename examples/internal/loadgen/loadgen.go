// Package loadgen makes unique, correctly authenticated deliveries of
// the three platforms, for the load and benchmark programs.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/anedot"
)

// A Delivery is one request to send.
type Delivery struct {
	Provider, Kind, ID string // what is sent, for the record of acknowledged deliveries
	URL                string
	Body               []byte
	sign               func(*http.Request)
}

// Request returns the authenticated request.
func (d Delivery) Request(ctx context.Context) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	if d.sign != nil {
		d.sign(r)
	}
	return r, nil
}

// Credentials are the secrets of the tenant deliveries are sent to, as
// examples/server keeps them.
type Credentials struct {
	ActBlueUser        string `json:"actblue_user"`
	ActBluePassword    string `json:"actblue_password"`
	AnedotSecret       string `json:"anedot_secret"`
	ActionNetworkToken string `json:"actionnetwork_token"`
	AdminToken         string `json:"admin_token"`
}

// A Generator makes unique deliveries. It is not safe for concurrent use.
type Generator struct {
	Base, Tenant string
	Creds        Credentials
	Weights      map[string]int // by provider: "actblue", "anedot", "actionnetwork"
	Dup          float64        // share of deliveries sent twice
	RefundFirst  float64        // share of ActBlue gifts whose refund comes first
	Donors       int            // how many distinct donors; 0 means 5000
	ActBlueBody  BodyMaker      // makes ActBlue's bodies; nil makes short ones (about 900 bytes)
	rng          *rand.Rand
	run          int64
	n            int64
}

// NewGenerator returns a Generator whose ids are unique to this run.
func NewGenerator(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), run: time.Now().UnixNano() % 1_000_000_000,
		Weights: map[string]int{"actblue": 1}}
}

// Next returns the deliveries of one step: usually one; two for a
// duplicate or for a refund sent before its gift.
func (g *Generator) Next() []Delivery {
	g.n++
	id := g.run*1_000_000 + g.n
	total := 0
	for _, w := range g.Weights {
		total += w
	}
	pick := g.rng.IntN(max(total, 1))
	provider := "actblue"
	for _, name := range []string{"actblue", "anedot", "actionnetwork"} {
		if pick < g.Weights[name] {
			provider = name
			break
		}
		pick -= g.Weights[name]
	}
	donors := g.Donors
	if donors <= 0 {
		donors = 5000
	}
	donor := g.rng.IntN(donors) // donors recur, so contacts are matched and merged
	var out []Delivery
	switch provider {
	case "actblue":
		cred := actblue.Credential{Username: g.Creds.ActBlueUser, Password: g.Creds.ActBluePassword}
		sign := func(r *http.Request) { r.SetBasicAuth(cred.Username, cred.Password) }
		url := g.Base + "/webhooks/actblue/" + g.Tenant
		body := g.ActBlueBody
		if body == nil {
			body = actblueBody
		}
		gift := Delivery{Provider: provider, Kind: "contribution", ID: fmt.Sprint(id), URL: url, Body: body(id, donor, ""), sign: sign}
		if g.rng.Float64() < g.RefundFirst {
			refund := Delivery{Provider: provider, Kind: "refund", ID: fmt.Sprint(id), URL: url, Body: body(id, donor, `,"refundedAt":"2024-06-10T10:00:00-04:00"`), sign: sign}
			out = append(out, refund)
		}
		out = append(out, gift)
	case "anedot":
		body := anedotBody(id, donor)
		secret := g.Creds.AnedotSecret
		out = append(out, Delivery{Provider: provider, Kind: "donation_completed", ID: fmt.Sprintf("d%d", id), URL: g.Base + "/webhooks/anedot/" + g.Tenant,
			Body: body, sign: func(r *http.Request) { r.Header.Set(anedot.SignatureHeader, anedot.Sign(secret, body)) }})
	default:
		out = append(out, Delivery{Provider: provider, Kind: "osdi:donation", ID: fmt.Sprintf("an-%d", id),
			URL: g.Base + "/webhooks/actionnetwork/" + g.Tenant + "/" + g.Creds.ActionNetworkToken, Body: actionNetworkBody(id, donor)})
	}
	if g.rng.Float64() < g.Dup {
		out = append(out, out[len(out)-1])
	}
	return out
}

func actblueBody(id int64, donor int, refund string) []byte {
	return fmt.Appendf(nil, `{"donor":{"firstname":"Load","lastname":"Donor%d","addr1":"%d Main St","city":"Austin","state":"TX","zip":"78701",
"country":"US","email":"donor%d@load.example","phone":"512730%04d","employerData":{"employer":"Load Co","occupation":"Tester"}},
"contribution":{"createdAt":"2024-06-07T15:49:32-04:00","orderNumber":"AB%d","contributionForm":"load","refcodes":{"refcode":"load"},
"recurringPeriod":"once","recurringDuration":0,"isPaypal":false,"isMobile":true,"isExpress":false,"withExpressLane":false,"status":"approved","customFields":[]},
"lineitems":[{"sequence":0,"entityId":99999,"fecId":"C00999999","committeeName":"Load Committee","amount":"25.00",
"paidAt":"2024-06-07T15:49:33-04:00","lineitemId":%d%s}]}`, donor, donor, donor, donor%10000, id, id, refund)
}

func anedotBody(id int64, donor int) []byte {
	return fmt.Appendf(nil, `{"event":"donation_completed","payload":{"submission_id":"s%d","donation":{"id":"d%d","fees":{"anedot_fees":{"amount":"1.30"},"vendor_fees":[]}},
"origin":"hosted","event_amount":"25.00","amount_in_dollars":"25.0","net_amount":"23.70","frequency":"once",
"created_at":"2024-06-07 22:06:25 UTC","updated_at":"2024-06-07 22:06:26 UTC","email":"donor%d@load.example",
"first_name":"Load","last_name":"Donor%d","address_line_1":"%d Main St","address_city":"Austin","address_region":"TX","address_postal_code":"78701"}}`,
		id, id, donor, donor, donor)
}

func actionNetworkBody(id int64, donor int) []byte {
	return fmt.Appendf(nil, `[{"osdi:donation":{"identifiers":["action_network:an-%d"],"created_date":"2024-06-08T09:00:00Z","modified_date":"2024-06-08T09:00:00Z",
"currency":"usd","amount":"10.00","recipients":[{"display_name":"Load Group","amount":"10.00"}],
"person":{"modified_date":"2024-06-08T09:00:00Z","given_name":"Load","family_name":"Donor%d","email_addresses":[{"address":"donor%d@load.example","primary":true}]}},
"action_network:sponsor":{"title":"Load Group"},"idempotency_key":"an-%d"}]`, id, donor, donor, id)
}
