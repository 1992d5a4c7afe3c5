package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
)

func testIngest(t *testing.T, s donorsync.Store) {
	tenant := newTenant("ingest")
	g := newIngester(s)
	data := encode("k1", donation.Event{
		At:       ts("2024-01-01T00:00:00Z"),
		Contact:  donor("2024-01-01T00:00:00Z", contact.Contact{FirstName: "Jo", Email: "jo@example.org"}),
		Donation: gift("g1", "25.00", "2024-01-01T00:00:00Z"),
	})
	first := receive(t, g, tenant, data)
	again := receive(t, g, tenant, data)
	if first.Status != donorsync.Processed || again.Status != donorsync.Duplicate || again.DuplicateOf != first.ID {
		t.Errorf("statuses = %q, %q (of %q); want processed, then duplicate of the first", first.Status, again.Status, again.DuplicateOf)
	}
	bad := receive(t, g, tenant, []byte(`{"key": "k2", "events": [`))
	if bad.Status != donorsync.Quarantined || bad.Error == "" {
		t.Errorf("undecodable delivery: status %q error %q; want quarantined with the error", bad.Status, bad.Error)
	}
	st := snapshot(t, s, tenant)
	if len(st.Contacts) != 1 || len(st.Donations) != 1 || st.Donations[0].ContactID != "jo@example.org" {
		t.Errorf("state after a delivery and its duplicate: %+v", st)
	}
	view(t, s, func(tx donorsync.Tx) error {
		d, err := tx.Delivery(ctx(t), tenant, bad.ID)
		if err == nil && (string(d.Body) != `{"key": "k2", "events": [` || d.Status != donorsync.Quarantined) {
			t.Errorf("quarantined delivery stored as %q %q", d.Status, d.Body)
		}
		return err
	})

	// Replaying a processed delivery changes nothing.
	replayed, err := g.Replay(ctx(t), source{}, tenant, first.ID)
	if err != nil || replayed.Status != donorsync.Processed {
		t.Fatalf("Replay = %v, %v", replayed, err)
	}
	if diff := cmp.Diff(st, snapshot(t, s, tenant), cmpOpts); diff != "" {
		t.Errorf("replay changed the state (-before +after):\n%s", diff)
	}

	// A body of arbitrary bytes, NUL and invalid UTF-8 included, is kept
	// byte for byte.
	raw := []byte("\xff\xfe\x00garbage\x00\xc3\x28")
	binary := receive(t, g, tenant, raw)
	if binary.Status != donorsync.Quarantined {
		t.Errorf("binary body: status %q, want quarantined", binary.Status)
	}
	view(t, s, func(tx donorsync.Tx) error {
		d, err := tx.Delivery(ctx(t), tenant, binary.ID)
		if err == nil && (string(d.Body) != string(raw) || d.Error == "") {
			t.Errorf("binary body stored as %q, error %q", d.Body, d.Error)
		}
		return err
	})
}

func testIngestInvalid(t *testing.T, s donorsync.Store) {
	tenant := newTenant("invalid")
	g := newIngester(s)
	// A valid contact with an adjustment that names no donation: the event
	// cannot be applied, and nothing of it may be stored.
	d := receive(t, g, tenant, encode("k", donation.Event{
		At:          ts("2024-01-01T00:00:00Z"),
		Contact:     donor("2024-01-01T00:00:00Z", contact.Contact{Email: "x@example.org"}),
		Adjustments: []donation.Adjustment{{Key: "a1", Kind: donation.Refund}},
	}))
	if d.Status != donorsync.Quarantined {
		t.Errorf("status = %q, want quarantined", d.Status)
	}
	st := snapshot(t, s, tenant)
	if len(st.Contacts)+len(st.Donations) != 0 {
		t.Errorf("an invalid delivery left records: %+v", st)
	}
	view(t, s, func(tx donorsync.Tx) error {
		got, err := tx.Delivery(ctx(t), tenant, d.ID)
		if err == nil && got.Status != donorsync.Quarantined {
			t.Errorf("journaled status = %q", got.Status)
		}
		return err
	})
}

func testConcurrentNewDonor(t *testing.T, s donorsync.Store) {
	tenant := newTenant("concurrent")
	g := newIngester(s)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Some deliveries know the donor by email and phone, some by
			// email only, some in another case.
			c := contact.Contact{FirstName: "Sam", Email: "sam@example.org"}
			switch i % 3 {
			case 1:
				c.Phone = "202-555-0100"
			case 2:
				c.Email = "SAM@Example.org "
			}
			d := &donorsync.Delivery{Tenant: tenant, Body: encode(fmt.Sprint("k", i), donation.Event{
				At: ts("2024-01-01T00:00:00Z"), Contact: donor("2024-01-01T00:00:00Z", c),
				Donation: gift(fmt.Sprint("g", i), "5", "2024-01-01T00:00:00Z"),
			})}
			if err := g.Receive(ctx(t), source{}, d); err != nil {
				errs <- err
			} else if d.Status != donorsync.Processed {
				errs <- fmt.Errorf("delivery %d: status %s: %s", i, d.Status, d.Error)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := snapshot(t, s, tenant)
	if len(st.Contacts) != 1 {
		t.Fatalf("%d contacts for one donor delivered concurrently, want 1", len(st.Contacts))
	}
	if len(st.Donations) != n {
		t.Errorf("%d donations, want %d", len(st.Donations), n)
	}
	for _, d := range st.Donations {
		if d.ContactID != "sam@example.org" {
			t.Errorf("donation %s attached to %q", d.ExternalID, d.ContactID)
		}
	}
}

func testConcurrentDuplicates(t *testing.T, s donorsync.Store) {
	tenant := newTenant("dupstorm")
	g := newIngester(s)
	data := encode("same", donation.Event{
		At: ts("2024-01-01T00:00:00Z"), Contact: donor("2024-01-01T00:00:00Z", contact.Contact{Email: "d@example.org"}),
		Donation: gift("g1", "5", "2024-01-01T00:00:00Z"),
	})
	const n = 20
	var wg sync.WaitGroup
	statuses := make(chan donorsync.DeliveryStatus, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &donorsync.Delivery{Tenant: tenant, Body: data}
			if err := g.Receive(ctx(t), source{}, d); err != nil {
				t.Error(err)
				return
			}
			statuses <- d.Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[donorsync.DeliveryStatus]int{}
	for st := range statuses {
		count[st]++
	}
	if count[donorsync.Processed] != 1 || count[donorsync.Duplicate] != n-1 {
		t.Errorf("statuses = %v, want 1 processed and %d duplicates", count, n-1)
	}
	if st := snapshot(t, s, tenant); len(st.Donations) != 1 || len(st.Contacts) != 1 {
		t.Errorf("%d donations and %d contacts, want 1 and 1", len(st.Donations), len(st.Contacts))
	}
}
