package storetest

import (
	"slices"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
)

// feedStep is a delivery and the changes it must add to the feed: their
// kinds, the fields of each, as "kind[fields]".
type feedStep struct {
	name string
	data []byte
	want []string
}

// feedSteps is a donor's life: each delivery with the changes it makes,
// and repeats and replays that make none.
func feedSteps() []feedStep {
	jo := func(at string, c contact.Contact) *contact.Contact {
		c.Email = "jo@example.org"
		return donor(at, c)
	}
	g1 := donation.Event{At: ts("2024-01-01T00:00:00Z"), Contact: jo("2024-01-01T00:00:00Z", contact.Contact{FirstName: "Jo"}),
		Donation: gift("g1", "25.00", "2024-01-01T00:00:00Z")}
	refund := donation.Event{At: ts("2024-01-05T00:00:00Z"), Adjustments: []donation.Adjustment{
		{Key: "g1:refund", DonationID: "g1", Kind: donation.PartialRefund, Amount: dec("5"), At: ts("2024-01-05T00:00:00Z")}}}
	settled := donation.Event{At: ts("2024-01-06T00:00:00Z"), Adjustments: []donation.Adjustment{
		{Key: "g1:settled", DonationID: "g1", Kind: donation.Settlement, At: ts("2024-01-06T00:00:00Z")}}}
	newer := donation.Event{At: ts("2024-02-01T00:00:00Z"), Contact: jo("2024-02-01T00:00:00Z", contact.Contact{FirstName: "Jo", Occupation: "Baker"})}
	pledge := donation.Event{At: ts("2024-03-01T00:00:00Z"), Contact: jo("2024-03-01T00:00:00Z", contact.Contact{FirstName: "Jo", Occupation: "Baker"}),
		Commitment: &donation.Commitment{ExternalID: "c1", Period: "monthly", Amount: dec("10"), StartedAt: ts("2024-03-01T00:00:00Z")}}
	cancel := donation.Event{At: ts("2024-04-01T00:00:00Z"),
		Commitment: &donation.Commitment{ExternalID: "c1", CancelledAt: ts("2024-04-01T00:00:00Z")}}
	signed := donation.Event{At: ts("2024-05-01T00:00:00Z"), Contact: jo("2024-03-01T00:00:00Z", contact.Contact{FirstName: "Jo", Occupation: "Baker"}),
		Activities: []contact.Activity{{Key: "sig1", Type: "osdi:signature", At: ts("2024-05-01T00:00:00Z")}}}
	return []feedStep{
		{"a gift", encode("g1", g1), []string{"contact.created", "donation.recorded"}},
		{"its redelivery", encode("g1", g1), nil},
		{"the gift again, by another delivery", encode("g1-again", g1), nil},
		{"a partial refund", encode("refund", refund), []string{"donation.status_changed[status refunded_amount adjustments]"}},
		{"the settlement", encode("settled", settled), []string{"donation.settled[settled_at adjustments]"}},
		{"newer profile data", encode("newer", newer), []string{"contact.updated[occupation seen]"}},
		{"a pledge", encode("pledge", pledge), []string{"contact.updated[seen]", "commitment.created"}},
		{"its cancellation", encode("cancel", cancel), []string{"commitment.cancelled[cancelled_at status source_time seen]"}},
		{"a signature", encode("signed", signed), []string{"activity.recorded"}},
		{"the signature again, by another delivery", encode("signed-again", signed), nil},
	}
}

// testFeedOnePerEffect checks that each effect adds one change, of the
// kind and with the fields it must, and that duplicates, deliveries
// that change nothing and replays add none.
func testFeedOnePerEffect(t *testing.T, s donorsync.Store) {
	tenant := newTenant("effects")
	g := newIngester(s)
	var seen int
	var ids []string
	for _, step := range feedSteps() {
		d := receive(t, g, tenant, step.data)
		ids = append(ids, d.ID)
		cs := changesOf(t, s, tenant)[seen:]
		seen += len(cs)
		var got []string
		for _, c := range cs {
			got = append(got, describeChange(c))
			if c.DeliveryID != d.ID {
				t.Errorf("%s: change %s names delivery %s, want %s", step.name, c.Kind, c.DeliveryID, d.ID)
			}
		}
		if !slices.Equal(got, step.want) {
			t.Errorf("%s: changes %q, want %q", step.name, got, step.want)
		}
	}
	for _, id := range ids {
		if _, err := g.Replay(ctx(t), source{}, tenant, id); err != nil {
			t.Fatalf("Replay %s: %v", id, err)
		}
	}
	if cs := changesOf(t, s, tenant); len(cs) != seen {
		t.Errorf("replaying every delivery added %d changes, want none", len(cs)-seen)
	}
	checkFeed(t, s, tenant)
	// A delivery that cannot be applied, quarantined, tells nothing.
	receive(t, g, tenant, encode("orphan", donation.Event{At: ts("2024-06-01T00:00:00Z"),
		Contact:     donor("2024-06-01T00:00:00Z", contact.Contact{Email: "new@example.org"}),
		Adjustments: []donation.Adjustment{{Key: "x", Kind: donation.Refund, At: ts("2024-06-01T00:00:00Z")}}}))
	if cs := changesOf(t, s, tenant); len(cs) != seen {
		t.Errorf("a quarantined delivery added %d changes, want none", len(cs)-seen)
	}
}

// describeChange writes a change's kind, with its fields for an update.
func describeChange(c change.Change) string {
	if c.Fields == nil {
		return string(c.Kind)
	}
	s := string(c.Kind) + "["
	for i, f := range c.Fields {
		if i > 0 {
			s += " "
		}
		s += f
	}
	return s + "]"
}
