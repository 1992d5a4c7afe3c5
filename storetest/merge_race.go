package storetest

import (
	"sync"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

// testMergeBesideAdjustment checks that a donation adjusted while its
// contact is merged into another, at the same moment, ends with the
// contact merged into, never with the contact merged away: the merge
// moves the contact's donations, and the adjustment writes the donation
// again. Each of 90 rounds runs a merging delivery beside a refund of a
// donation of the contact it merges away, at once: received (inline
// group commits), applied in transactions of their own (Apply), or
// received through a Store that hides what the store declares to the
// engine, as a store outside this module declares nothing.
func testMergeBesideAdjustment(t *testing.T, s donorsync.Store) {
	g := newIngester(s)
	plain := newIngester(undeclared{s})
	modes := []string{"received", "applied", "received undeclared"}
	for round := range 90 {
		mode := modes[round%len(modes)]
		tenant := newTenant("mergerace")
		receive(t, g, tenant, encode("a", donation.Event{At: ts("2024-01-01T00:00:00Z"),
			Contact: donor("2024-01-01T00:00:00Z", contact.Contact{Email: "ana@example.org"}), Donation: gift("a1", "5", "2024-01-01T00:00:00Z")}))
		receive(t, g, tenant, encode("b", donation.Event{At: ts("2024-01-02T00:00:00Z"),
			Contact:  donor("2024-01-02T00:00:00Z", contact.Contact{Sources: []contact.Source{{Provider: "storetest", DonorID: "p1"}}}),
			Donation: gift("b1", "5", "2024-01-02T00:00:00Z")}))
		merge := encode("both", donation.Event{At: ts("2024-01-03T00:00:00Z"),
			Contact:  donor("2024-01-03T00:00:00Z", contact.Contact{Email: "ana@example.org", Sources: []contact.Source{{Provider: "storetest", DonorID: "p1"}}}),
			Donation: gift("c1", "5", "2024-01-03T00:00:00Z")})
		refund := encode("refund", donation.Event{At: ts("2024-01-04T00:00:00Z"), Adjustments: []donation.Adjustment{
			{Key: "b1:refund", DonationID: "b1", Kind: donation.Refund, At: ts("2024-01-04T00:00:00Z")}}})
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, data := range [][]byte{merge, refund} {
			wg.Go(func() {
				<-start
				d := &donorsync.Delivery{Tenant: tenant, Body: data}
				if mode != "applied" {
					in := g
					if mode != "received" {
						in = plain
					}
					if err := in.Receive(ctx(t), source{}, d); err != nil || d.Status != donorsync.Processed {
						t.Errorf("round %d: %s: %v %s", round, data[:20], err, d.Error)
					}
					return
				}
				decoded, err := source{}.Decode(d)
				if err != nil {
					t.Error(err)
					return
				}
				d.Provider = "storetest"
				if err := s.Update(ctx(t), func(tx donorsync.Tx) error { return g.Apply(ctx(t), tx, d, decoded.Events) }); err != nil {
					t.Errorf("round %d: Apply: %v", round, err)
				}
			})
		}
		close(start)
		wg.Wait()
		st := snapshot(t, s, tenant)
		if len(st.Contacts) != 1 {
			t.Fatalf("round %d: %d contacts, want the two merged into one", round, len(st.Contacts))
		}
		for _, d := range st.Donations {
			if d.ContactID != label(st.Contacts[0]) {
				t.Errorf("round %d (%s): donation %s points at %q, not at the contact merged into %q",
					round, mode, d.ExternalID, d.ContactID, label(st.Contacts[0]))
			}
		}
	}
}

// undeclared is a Store that declares nothing to the engine.
type undeclared struct{ donorsync.Store }
