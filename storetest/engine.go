package storetest

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

// source is a provider whose bodies are JSON-encoded events, so that the
// suite can drive the engine without a real platform's format.
type source struct{}

type body struct {
	Key    string           `json:"key"`
	Events []donation.Event `json:"events"`
}

func (source) Provider() string { return "storetest" }

func (source) Authenticate(*http.Request) (string, io.Reader, error) {
	return "", nil, donorsync.ErrUnauthorized
}

func (source) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	var b body
	if err := json.Unmarshal(d.Body, &b); err != nil {
		// Quote the start of the body, as a decoder's message may: the
		// store must keep such messages, whatever bytes they hold.
		start := d.Body[:min(len(d.Body), 12)]
		return donorsync.Decoded{}, &donorsync.DecodeError{Provider: "storetest", Err: fmt.Errorf("cannot decode %s: %w", start, err)}
	}
	return donorsync.Decoded{Key: b.Key, Events: b.Events}, nil
}

func encode(key string, events ...donation.Event) []byte {
	data, err := json.Marshal(body{Key: key, Events: events})
	if err != nil {
		panic(err)
	}
	return data
}

func newIngester(s donorsync.Store) *donorsync.Ingester {
	return &donorsync.Ingester{Store: s, RecordChanges: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func receive(t *testing.T, g *donorsync.Ingester, tenant string, data []byte) *donorsync.Delivery {
	t.Helper()
	d := &donorsync.Delivery{Tenant: tenant, Body: data}
	if err := g.Receive(ctx(t), source{}, d); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return d
}

func donor(at string, c contact.Contact) *contact.Contact {
	c.Normalize()
	c.Stamp(ts(at))
	return &c
}

func gift(id, amount, paid string) *donation.Donation {
	return &donation.Donation{ExternalID: id, Amount: dec(amount), Currency: "USD", PaidAt: ts(paid), PlatformStatus: donation.Completed}
}

// state is a tenant's records with store-assigned ids and engine clocks
// removed, and references to contacts replaced by a stable label, so that
// the states of two runs compare.
type state struct {
	Contacts    []contact.Contact
	Activities  map[string][]contact.Activity // by contact label
	Donations   []donation.Donation
	Commitments []donation.Commitment
	Adjustments map[string][]donation.Adjustment
	Deliveries  map[donorsync.DeliveryStatus]int
}

func label(c contact.Contact) string {
	switch {
	case len(c.Emails) > 0:
		return c.Emails[0]
	case len(c.Phones) > 0:
		return c.Phones[0].Number
	}
	return c.FirstName + " " + c.LastName
}

func snapshot(t *testing.T, s donorsync.Store, tenant string) *state {
	t.Helper()
	st := &state{Adjustments: map[string][]donation.Adjustment{}, Deliveries: map[donorsync.DeliveryStatus]int{},
		Activities: map[string][]contact.Activity{}}
	view(t, s, func(tx donorsync.Tx) error {
		labels := map[string]string{}
		cs, err := tx.Contacts(ctx(t), tenant, donorsync.Page{Limit: 1000})
		if err != nil {
			return err
		}
		for _, c := range cs {
			labels[c.ID] = label(c)
			acts, err := tx.Activities(ctx(t), tenant, c.ID)
			if err != nil {
				return err
			}
			for i := range acts {
				acts[i].Tenant, acts[i].ContactID, acts[i].DeliveryID = "", "", ""
			}
			if len(acts) > 0 {
				st.Activities[label(c)] = acts
			}
			c.ID, c.Tenant, c.CreatedAt, c.UpdatedAt = "", "", time.Time{}, time.Time{}
			st.Contacts = append(st.Contacts, c)
		}
		ds, err := tx.Donations(ctx(t), tenant, donorsync.Page{Limit: 1000})
		if err != nil {
			return err
		}
		for _, d := range ds {
			adjs, err := tx.Adjustments(ctx(t), tenant, d.Provider, d.ExternalID)
			if err != nil {
				return err
			}
			for i := range adjs {
				adjs[i].DeliveryID, adjs[i].Tenant = "", ""
			}
			if len(adjs) > 0 {
				st.Adjustments[d.ExternalID] = adjs
			}
			d.ID, d.Tenant, d.ContactID, d.DeliveryID, d.UpdatedAt = "", "", labels[d.ContactID], "", time.Time{}
			st.Donations = append(st.Donations, d)
		}
		cms, err := tx.Commitments(ctx(t), tenant, donorsync.Page{Limit: 1000})
		if err != nil {
			return err
		}
		for _, c := range cms {
			c.ID, c.Tenant, c.ContactID, c.UpdatedAt = "", "", labels[c.ContactID], time.Time{}
			st.Commitments = append(st.Commitments, c)
		}
		dl, err := tx.Deliveries(ctx(t), tenant, donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1000}})
		for _, d := range dl {
			st.Deliveries[d.Status]++
		}
		return err
	})
	sort.Slice(st.Contacts, func(i, j int) bool { return label(st.Contacts[i]) < label(st.Contacts[j]) })
	sort.Slice(st.Donations, func(i, j int) bool { return st.Donations[i].ExternalID < st.Donations[j].ExternalID })
	sort.Slice(st.Commitments, func(i, j int) bool { return st.Commitments[i].ExternalID < st.Commitments[j].ExternalID })
	return st
}
