package donorsync_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/memstore"
	"github.com/shopspring/decimal"
)

// BenchmarkReceive receives and applies, inline on memstore, deliveries
// of one event with every part: a donor, a gift, a refund, a commitment
// and an activity. It measures what the engine adds to a Store per
// delivery, validation included.
func BenchmarkReceive(b *testing.B) {
	src := &decodingSource{events: []donation.Event{fullEvent()}}
	g := &donorsync.Ingester{Store: memstore.New(), Logger: quiet}
	i := 0
	for b.Loop() {
		i++
		d := &donorsync.Delivery{Tenant: "t1", Body: []byte(strconv.Itoa(i))}
		if err := g.Receive(b.Context(), src, d); err != nil || d.Status != donorsync.Processed {
			b.Fatalf("Receive = %v, status %s, error %q", err, d.Status, d.Error)
		}
	}
}

// BenchmarkApply applies such an event again and again in a transaction
// of its own on memstore: the engine's work per event, validation
// included, without the group commit's hand-offs.
func BenchmarkApply(b *testing.B) {
	events := []donation.Event{fullEvent()}
	store := memstore.New()
	g := &donorsync.Ingester{Store: store, Logger: quiet}
	d := &donorsync.Delivery{ID: "dl_1", Tenant: "t1", Provider: "test"}
	for b.Loop() {
		if err := store.Update(b.Context(), func(tx donorsync.Tx) error { return g.Apply(b.Context(), tx, d, events) }); err != nil {
			b.Fatal(err)
		}
	}
}

// fullEvent returns an event with every part: a donor, a gift, a refund,
// a commitment and an activity.
func fullEvent() donation.Event {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &contact.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.org", Phone: "(202) 555-0100",
		Sources: []contact.Source{{Provider: "test", DonorID: "d1"}}}
	c.Normalize()
	c.Stamp(at)
	return donation.Event{
		At: at, Contact: c,
		Donation: &donation.Donation{ExternalID: "g1", Amount: decimal.RequireFromString("10"), Currency: "USD",
			PaidAt: at, CreatedAt: at, SourceTime: at},
		Adjustments: []donation.Adjustment{{Key: "g1:refund", Kind: donation.PartialRefund, Amount: decimal.RequireFromString("2"), At: at}},
		Commitment:  &donation.Commitment{ExternalID: "c1", Amount: decimal.RequireFromString("10"), Currency: "USD", StartedAt: at},
		Activities:  []contact.Activity{{Key: "a1", Type: "osdi:signature", At: at}},
	}
}

// BenchmarkApplyNew applies, in a transaction of its own on memstore, an
// event of a new gift from one of 1,000 donors who give again, with the
// change feed off and on: what recording changes adds to the engine's
// work.
func BenchmarkApplyNew(b *testing.B) {
	for _, feed := range []bool{false, true} {
		name := "feed=off"
		if feed {
			name = "feed=on"
		}
		b.Run(name, func(b *testing.B) {
			store := memstore.New()
			g := &donorsync.Ingester{Store: store, Logger: quiet, RecordChanges: feed}
			i := 0
			for b.Loop() {
				i++
				ev := fullEvent()
				c := &contact.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "donor" + strconv.Itoa(i%1000) + "@example.org"}
				c.Normalize()
				c.Stamp(ev.At)
				ev.Contact = c
				ev.Donation.ExternalID = "g" + strconv.Itoa(i)
				ev.Adjustments, ev.Commitment, ev.Activities = nil, nil, nil
				d := &donorsync.Delivery{ID: "dl_" + strconv.Itoa(i), Tenant: "t1", Provider: "test"}
				if err := store.Update(b.Context(), func(tx donorsync.Tx) error { return g.Apply(b.Context(), tx, d, []donation.Event{ev}) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
