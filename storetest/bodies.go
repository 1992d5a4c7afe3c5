package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
)

// journalBodies are bodies a store may keep in its own form (compressed,
// say): each must read back byte for byte.
func journalBodies() map[string][]byte {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var many bytes.Buffer
	many.WriteString("[")
	for i := range 2000 {
		fmt.Fprintf(&many, `{"lineitemId":%d,"amount":"25.00","email":"donor%d@example.org"},`, i, i%37)
	}
	many.WriteString("{}]")
	return map[string][]byte{
		"empty":         {},
		"short":         []byte(`{}`),
		"actblue":       abBody(),
		"anedot":        adBody(),
		"actionnetwork": anBody(),
		"random":        random, // does not compress
		"large":         many.Bytes(),
		"binary":        []byte("\x28\xb5\x2f\xfd\x00\x01 like a compressed frame, not one"),
		"utf-8":         []byte(strings.Repeat(`{"name":"Zoë Ñúñez 🙂"}`, 40)),
	}
}

// testJournalBodies journals each of journalBodies, one at a time and in
// a batch, and reads each back as received: by id, in a listing, and as
// claimed.
func testJournalBodies(t *testing.T, s donorsync.Store) {
	tenant := newTenant("bodies")
	bodies := journalBodies()
	want := map[string][]byte{}
	var batched []*donorsync.Delivery
	at := ts("2024-05-01T10:00:00Z")
	i := 0
	for name, body := range bodies {
		for _, how := range []string{"one", "batch"} {
			i++
			d := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "p", Key: name + "/" + how,
				Body: bytes.Clone(body), ReceivedAt: at.Add(time.Duration(i) * time.Second), Status: donorsync.Pending}
			want[d.ID] = body
			if how == "batch" {
				batched = append(batched, d)
				continue
			}
			update(t, s, func(tx donorsync.Tx) error { _, err := tx.RecordDelivery(ctx(t), d); return err })
		}
	}
	update(t, s, func(tx donorsync.Tx) error {
		if r, ok := tx.(batch.Recorder[*donorsync.Delivery]); ok {
			return r.RecordDeliveries(ctx(t), batched)
		}
		for _, d := range batched {
			if _, err := tx.RecordDelivery(ctx(t), d); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(how string, d *donorsync.Delivery) {
		t.Helper()
		if w, ok := want[d.ID]; !ok || !bytes.Equal(d.Body, w) {
			t.Errorf("%s: delivery %s (key %s): body of %d bytes %q, want %d bytes", how, d.ID, d.Key, len(d.Body), d.Body[:min(len(d.Body), 16)], len(w))
		}
	}
	view(t, s, func(tx donorsync.Tx) error {
		for id := range want {
			d, err := tx.Delivery(ctx(t), tenant, id)
			if err != nil {
				return err
			}
			check("Delivery", d)
		}
		ds, err := tx.Deliveries(ctx(t), tenant, donorsync.DeliveryFilter{Page: donorsync.Page{Limit: len(want)}})
		if len(ds) != len(want) {
			t.Errorf("Deliveries listed %d, want %d", len(ds), len(want))
		}
		for _, d := range ds {
			check("Deliveries", d)
		}
		return err
	})
	update(t, s, func(tx donorsync.Tx) error {
		ds, err := tx.ClaimDeliveries(ctx(t), donorsync.Claim{Tenant: tenant, Now: at.Add(time.Hour), Until: at.Add(2 * time.Hour), Limit: len(want)})
		if len(ds) != len(want) {
			t.Errorf("claimed %d, want %d", len(ds), len(want))
		}
		for _, d := range ds {
			check("ClaimDeliveries", d)
		}
		return err
	})
}
