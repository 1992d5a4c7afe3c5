package storetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// history returns a mixed history of deliveries for one tenant: gifts,
// a refund before its gift, a duplicate, a recurring gift and its
// cancellation, newer and older profile data, and a donor first known by
// phone alone.
func history() [][]byte {
	jane := func(at string, c contact.Contact) *contact.Contact {
		c.Email = "jane@example.org"
		return donor(at, c)
	}
	gift1 := donation.Event{
		At:       ts("2024-03-01T10:00:00Z"),
		Contact:  jane("2024-03-01T10:00:00Z", contact.Contact{FirstName: "Jane", LastName: "Doe", Employer: "Acme", Address: contact.Address{Line1: "1 Main St", City: "Springfield", State: "IL", PostalCode: "62701"}}),
		Donation: gift("g1", "25.00", "2024-03-01T10:00:00Z"),
	}
	refund1 := gift1
	refund1.Adjustments = []donation.Adjustment{{Key: "g1:refund", Kind: donation.Refund, At: ts("2024-03-05T00:00:00Z")}}
	recurring := donation.Event{
		At:         ts("2024-04-01T10:00:00Z"),
		Contact:    jane("2024-04-01T10:00:00Z", contact.Contact{LastName: "Doe-Smith", Phone: "(202) 555-0101", Occupation: "Engineer"}),
		Donation:   &donation.Donation{ExternalID: "g2", Amount: dec("10"), Currency: "USD", PaidAt: ts("2024-04-01T10:00:00Z"), CommitmentID: "c1", Recurrence: donation.Recurrence{Period: "monthly", Sequence: 0, Valid: true}},
		Commitment: &donation.Commitment{ExternalID: "c1", Period: "monthly", Amount: dec("10"), StartedAt: ts("2024-04-01T10:00:00Z"), LastChargedAt: ts("2024-04-01T10:00:00Z")},
	}
	partial := donation.Event{
		At: ts("2024-04-03T00:00:00Z"),
		Adjustments: []donation.Adjustment{
			{Key: "g2:partial:1", DonationID: "g2", Kind: donation.PartialRefund, Amount: dec("2.50"), At: ts("2024-04-03T00:00:00Z")},
			{Key: "g2:partial:2", DonationID: "g2", Kind: donation.PartialRefund, Amount: dec("1.25"), At: ts("2024-04-04T00:00:00Z")},
		},
	}
	cancel := donation.Event{
		At:         ts("2024-02-01T00:00:00Z"), // older profile data than the gifts
		Contact:    jane("2024-02-01T00:00:00Z", contact.Contact{FirstName: "J", LastName: "Old", Employer: "Old Co", Address: contact.Address{Line1: "9 Old Rd", City: "Oldtown", PostalCode: "10001"}}),
		Commitment: &donation.Commitment{ExternalID: "c1", CancelledAt: ts("2024-05-01T00:00:00Z"), Completed: 1, CancelReason: "donor"},
	}
	bobPhone := donation.Event{
		At:       ts("2024-03-02T00:00:00Z"),
		Contact:  donor("2024-03-02T00:00:00Z", contact.Contact{FirstName: "Bob", Phone: "510-501-6227"}),
		Donation: gift("g3", "7.77", "2024-03-02T00:00:00Z"),
	}
	bobEmail := donation.Event{
		At:       ts("2024-03-03T00:00:00Z"),
		Contact:  donor("2024-03-03T00:00:00Z", contact.Contact{FirstName: "Robert", Email: "bob@example.org", Phone: "+1 510 501 6227"}),
		Donation: gift("g4", "3", "2024-03-03T00:00:00Z"),
	}
	return [][]byte{
		encode("gift1", gift1),
		encode("refund1", refund1),
		encode("gift1", gift1), // a redelivery
		encode("recurring", recurring),
		encode("partial", partial),
		encode("cancel", cancel),
		encode("bob-phone", bobPhone),
		encode("bob-email", bobEmail),
	}
}

func testEveryOrder(t *testing.T, s donorsync.Store) {
	h := history()
	// Every order of five deliveries: a gift, its refund, a duplicate, a
	// recurring gift and its cancellation with older profile data.
	subset := [][]byte{h[0], h[1], h[2], h[3], h[5]}
	sameState(t, s, subset, func(yield func([]int)) { permute(len(subset), yield) }, func(st *state) { checkHistoryState(t, st) })
}

func testShuffled(t *testing.T, s donorsync.Store) {
	h := history()
	sameState(t, s, h, shuffles(len(h), 25, 7), func(st *state) {
		checkHistoryState(t, st)
		if len(st.Contacts) != 2 {
			t.Errorf("%d contacts, want 2 (Jane, and Bob known first by phone)", len(st.Contacts))
		}
	})
}

// checkHistoryState checks the state of a history against what the rules
// say it must be, so that a wrong but order-independent state fails too.
func checkHistoryState(t *testing.T, st *state) {
	t.Helper()
	var jane *contact.Contact
	for i := range st.Contacts {
		if st.Contacts[i].Email == "jane@example.org" {
			jane = &st.Contacts[i]
		}
	}
	if jane == nil {
		t.Fatalf("no contact for jane@example.org in %+v", st.Contacts)
	}
	if jane.FirstName != "Jane" || jane.LastName != "Doe-Smith" || jane.Employer != "Acme" || jane.Occupation != "Engineer" ||
		jane.Address.Line1 != "1 Main St" || jane.Phone != "+12025550101" {
		t.Errorf("jane = %s %s, %s/%s, %s, %s: want the newest value of each field", jane.FirstName, jane.LastName, jane.Employer, jane.Occupation, jane.Address.Line1, jane.Phone)
	}
	for _, d := range st.Donations {
		switch d.ExternalID {
		case "g1":
			if d.Status != donation.Refunded || !d.Refunded.Equal(dec("25")) {
				t.Errorf("g1: status %s refunded %s; want refunded 25", d.Status, d.Refunded)
			}
		case "g2":
			if d.Status != donation.PartiallyRefunded && len(st.Adjustments["g2"]) > 0 {
				t.Errorf("g2: status %s refunded %s; want partially refunded", d.Status, d.Refunded)
			}
		}
	}
	for _, c := range st.Commitments {
		if c.ExternalID == "c1" && (c.Status != donation.Cancelled || c.Completed != 1 || !c.Amount.Equal(dec("10"))) {
			t.Errorf("c1: %s, completed %d, amount %s; want cancelled after 1, 10", c.Status, c.Completed, c.Amount)
		}
	}
}

// lifecycle returns the deliveries of a donation's and a commitment's life
// as Anedot reports them: the gift, two partial refunds, a chargeback and
// its reversal, a settlement; a commitment created, failed and cancelled.
func lifecycle() [][]byte {
	donor := func(at string) *contact.Contact {
		return donor(at, contact.Contact{FirstName: "Ada", Email: "ada@example.org", Phone: "202-555-0147"})
	}
	adjustment := func(key string, kind donation.AdjustmentKind, amount, at string) []byte {
		a := donation.Adjustment{Key: key, DonationID: "g1", Kind: kind, At: ts(at)}
		if amount != "" {
			a.Amount = dec(amount)
		}
		return encode(key, donation.Event{
			At: ts(at), Contact: donor(at),
			Donation:    &donation.Donation{ExternalID: "g1", Amount: dec("50"), Currency: "USD"},
			Adjustments: []donation.Adjustment{a},
		})
	}
	commitment := func(key, at string, c donation.Commitment) []byte {
		c.ExternalID = "c1"
		return encode(key, donation.Event{At: ts(at), Contact: donor(at), Commitment: &c})
	}
	gift := gift("g1", "50.00", "2021-05-01T10:00:00Z")
	gift.Net, gift.Fees, gift.CommitmentID = decimal.NewNullDecimal(dec("48")), decimal.NewNullDecimal(dec("2")), "c1"
	return [][]byte{
		encode("completed", donation.Event{At: ts("2021-05-01T10:00:00Z"), Contact: donor("2021-05-01T10:00:00Z"), Donation: gift,
			Commitment: &donation.Commitment{ExternalID: "c1", Period: "monthly", Amount: dec("50"), StartedAt: ts("2021-05-01T10:00:00Z"), LastChargedAt: ts("2021-05-01T10:00:00Z")}}),
		adjustment("partial-1", donation.PartialRefund, "5.00", "2021-05-03T09:00:00Z"),
		adjustment("partial-2", donation.PartialRefund, "2.50", "2021-05-04T09:00:00Z"),
		adjustment("chargeback", donation.Chargeback, "50", "2021-05-10T09:00:00Z"),
		adjustment("reversal", donation.ChargebackReversal, "50", "2021-05-20T09:00:00Z"),
		adjustment("settled", donation.Settlement, "", "2021-05-02T00:00:00Z"),
		commitment("failed", "2021-06-01T00:00:00Z", donation.Commitment{FailedAt: ts("2021-06-01T00:00:00Z"), FailReason: "Declined"}),
		commitment("cancelled", "2021-06-20T00:00:00Z", donation.Commitment{CancelledAt: ts("2021-06-20T00:00:00Z"), CancelReason: "failure"}),
	}
}

func testLifecycle(t *testing.T, s donorsync.Store) {
	h := lifecycle()
	check := func(st *state) {
		t.Helper()
		if len(st.Donations) != 1 || len(st.Contacts) != 1 {
			t.Fatalf("%d donations, %d contacts; want 1 and 1", len(st.Donations), len(st.Contacts))
		}
		d := st.Donations[0]
		if d.Status != donation.PartiallyRefunded || !d.Refunded.Equal(dec("7.5")) || !d.SettledAt.Equal(ts("2021-05-02T00:00:00Z")) || !d.Net.Decimal.Equal(dec("48")) {
			t.Fatalf("status %s refunded %s settled %v net %s; want partially refunded 7.5, settled 2021-05-02, net 48", d.Status, d.Refunded, d.SettledAt, d.Net.Decimal)
		}
	}
	// Every order of the donation's six deliveries.
	sameState(t, s, h[:6], func(yield func([]int)) { permute(6, yield) }, check)
	// The whole life, commitment included, in shuffled orders.
	sameState(t, s, h, shuffles(len(h), 20, 3), func(st *state) {
		check(st)
		if c := st.Commitments; len(c) != 1 || c[0].Status != donation.Cancelled || c[0].FailReason != "Declined" || c[0].CancelReason != "failure" {
			t.Fatalf("commitment = %+v; want cancelled for failure after a decline", c)
		}
	})
}

// activist returns deliveries about one person as Action Network and
// another platform report them: a gift elsewhere known by email; a
// donation naming the person only by Action Network id; a signature with
// the email and that id; an older update of the same person.
func activist() [][]byte {
	person := func(at string, c contact.Contact) *contact.Contact { return donor(at, c) }
	an := []contact.Source{{Provider: "actionnetwork", DonorID: "p1"}}
	return [][]byte{
		encode("elsewhere", donation.Event{At: ts("2018-11-01T00:00:00Z"),
			Contact:  person("2018-11-01T00:00:00Z", contact.Contact{Email: "jsmith@mail.com", Sources: []contact.Source{{Provider: "actblue"}}}),
			Donation: gift("ab-1", "10", "2018-11-01T00:00:00Z")}),
		encode("donation", donation.Event{At: ts("2018-11-13T09:00:00Z"),
			Contact:  person("2018-11-13T09:00:00Z", contact.Contact{Sources: an}),
			Donation: gift("an-1", "100.00", "2018-11-13T09:00:00Z")}),
		encode("signature", donation.Event{At: ts("2018-11-12T17:07:31Z"),
			Contact: person("2018-11-12T17:07:31Z", contact.Contact{FirstName: "John", LastName: "Smith", Email: "jsmith@mail.com",
				Custom: map[string]string{"employer": "Action Squared"}, Tags: []string{"volunteer"}, Sources: an}),
			Activities: []contact.Activity{{Key: "sig-1", Type: "osdi:signature", At: ts("2018-11-12T17:07:31Z")}}}),
		encode("older", donation.Event{At: ts("2018-11-10T00:00:00Z"),
			Contact: person("2018-11-10T00:00:00Z", contact.Contact{FirstName: "Johnny", Email: "jsmith@mail.com",
				Custom: map[string]string{"employer": "Old Employer"}, Tags: []string{"member"}, Sources: an}),
			Activities: []contact.Activity{{Key: "sig-0", Type: "osdi:signature", At: ts("2018-11-10T00:00:00Z")}}}),
	}
}

func testActivist(t *testing.T, s donorsync.Store) {
	h := activist()
	sameState(t, s, h, func(yield func([]int)) { permute(len(h), yield) }, func(st *state) {
		if len(st.Contacts) != 1 {
			t.Fatalf("%d contacts, want the person's records merged into one", len(st.Contacts))
		}
		c := st.Contacts[0]
		if c.FirstName != "John" || c.Custom["employer"] != "Action Squared" || len(c.Tags) != 2 || len(c.Sources) != 2 {
			t.Fatalf("contact = %s, employer %q, tags %v, sources %v; want the newest values and every tag and source", c.FirstName, c.Custom["employer"], c.Tags, c.Sources)
		}
		for _, d := range st.Donations {
			if d.ContactID != "jsmith@mail.com" {
				t.Fatalf("donation %s attached to %q", d.ExternalID, d.ContactID)
			}
		}
		if acts := st.Activities["jsmith@mail.com"]; len(acts) != 2 {
			t.Fatalf("activities = %+v, want 2", acts)
		}
	})
}

// sameState applies the deliveries of h in each order that orders yields,
// each into a tenant of its own, and fails unless every order ends in the
// same state; check validates the first state against what it must be.
func sameState(t *testing.T, s donorsync.Store, h [][]byte, orders func(yield func([]int)), check func(*state)) {
	t.Helper()
	deliver := func(g *donorsync.Ingester, tenant string, i int) { receive(t, g, tenant, h[i]) }
	sameStateOf(t, s, deliver, orders, check)
}

// sameStateOf is sameState for deliveries of any source: deliver receives
// the i-th delivery of a history for tenant.
func sameStateOf(t *testing.T, s donorsync.Store, deliver func(g *donorsync.Ingester, tenant string, i int), orders func(yield func([]int)), check func(*state)) {
	t.Helper()
	g := newIngester(s)
	var want *state
	orders(func(order []int) {
		tenant := newTenant("order")
		for _, i := range order {
			deliver(g, tenant, i)
		}
		got := snapshot(t, s, tenant)
		checkFeed(t, s, tenant)
		if want == nil {
			want = got
			check(got)
			return
		}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Fatalf("order %v gives another state (-first +this):\n%s", order, diff)
		}
	})
}

// permute calls fn with every permutation of 0..n-1 (Heap's algorithm).
func permute(n int, fn func([]int)) {
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	c := make([]int, n)
	fn(slices.Clone(a))
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				a[0], a[i] = a[i], a[0]
			} else {
				a[c[i]], a[i] = a[i], a[c[i]]
			}
			fn(slices.Clone(a))
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
}

// shuffles yields k seeded random orders of n deliveries.
func shuffles(n, k int, seed uint64) func(yield func([]int)) {
	return func(yield func([]int)) {
		r := rand.New(rand.NewPCG(seed, seed+1))
		for range k {
			yield(r.Perm(n))
		}
	}
}

// testQueued journals a history in queued mode, in shuffled orders, and
// lets a Worker apply it: the state is the one inline mode reaches.
func testQueued(t *testing.T, s donorsync.Store) {
	h := history()
	g := newIngester(s)
	inline := newTenant("inline")
	for _, b := range h {
		receive(t, g, inline, b)
	}
	want := snapshot(t, s, inline)
	r := rand.New(rand.NewPCG(5, 9))
	// Batches of one, of a few, and of the whole history in one
	// transaction (with a merge, and refunds before their gifts).
	for _, batch := range []int{1, 3, 3, 100, 100} {
		tenant := newTenant("queued")
		for _, i := range r.Perm(len(h)) {
			d := &donorsync.Delivery{Tenant: tenant, Body: h[i]}
			if err := g.Enqueue(ctx(t), source{}, d); err != nil {
				t.Fatal(err)
			}
			if d.Status != donorsync.Pending && d.Status != donorsync.Duplicate {
				t.Fatalf("enqueued delivery: status %s", d.Status)
			}
		}
		w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{source{}}, Tenant: tenant, Batch: batch}
		n, err := w.Drain(ctx(t))
		if err != nil || n != len(h)-1 {
			t.Fatalf("Drain = %d, %v; want the %d unique deliveries", n, err, len(h)-1)
		}
		if diff := cmp.Diff(want, snapshot(t, s, tenant), cmpOpts); diff != "" {
			t.Fatalf("queued mode, batches of %d, ends in another state than inline mode (-inline +queued):\n%s", batch, diff)
		}
		checkFeed(t, s, tenant)
	}
	// Worker.Run, which reads (and, on a Drafter, drafts) the next batch
	// while one is written.
	for _, batch := range []int{1, 2, 3} {
		tenant := newTenant("run")
		for _, i := range r.Perm(len(h)) {
			if err := g.Enqueue(ctx(t), source{}, &donorsync.Delivery{Tenant: tenant, Body: h[i]}); err != nil {
				t.Fatal(err)
			}
		}
		w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{source{}}, Tenant: tenant, Batch: batch, Poll: time.Millisecond}
		runUntilApplied(t, s, w, tenant)
		if diff := cmp.Diff(want, snapshot(t, s, tenant), cmpOpts); diff != "" {
			t.Fatalf("Worker.Run, batches of %d, ends in another state than inline mode (-inline +queued):\n%s", batch, diff)
		}
		checkFeed(t, s, tenant)
	}
}

// runUntilApplied runs w until no delivery of tenant is pending.
func runUntilApplied(t *testing.T, s donorsync.Store, w *donorsync.Worker, tenant string) {
	t.Helper()
	c, cancel := context.WithCancel(ctx(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(c)
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending []*donorsync.Delivery
		view(t, s, func(tx donorsync.Tx) error {
			var err error
			pending, err = tx.Deliveries(ctx(t), tenant, donorsync.DeliveryFilter{Status: donorsync.Pending, Page: donorsync.Page{Limit: 1}})
			return err
		})
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending after 30 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
