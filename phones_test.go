package donorsync_test

import (
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/memstore"
	"github.com/shopspring/decimal"
)

// TestPlaceholderPhonesMatchNoOne: two donors without an email who typed
// the same placeholder phone stay two contacts, each keeping what was
// typed; two who gave the same real number are one.
func TestPlaceholderPhonesMatchNoOne(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		phone string
		want  int
	}{
		{"(000) 000-0000", 2},
		{"555-555-5555", 2},
		{"(212) 555-0100", 2},
		{"123-456-7890", 2},
		{"(510) 501-6227", 1},
	} {
		store := memstore.New()
		g := &donorsync.Ingester{Store: store, Logger: quiet}
		for i, name := range []string{"Ann", "Ben"} {
			c := &contact.Contact{FirstName: name, Phone: tt.phone}
			c.Normalize()
			src := &decodingSource{events: []donation.Event{{
				At: time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC), Contact: c,
				Donation: &donation.Donation{ExternalID: name, Amount: decimal.RequireFromString("5"), Currency: "USD"},
			}}}
			d := &donorsync.Delivery{Tenant: "t1", Body: []byte(name)}
			if err := g.Receive(t.Context(), src, d); err != nil || d.Status != donorsync.Processed {
				t.Fatalf("%s, %s: %v %s %s", tt.phone, name, err, d.Status, d.Error)
			}
		}
		var cs []contact.Contact
		if err := store.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			cs, err = tx.Contacts(t.Context(), "t1", donorsync.Page{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(cs) != tt.want {
			t.Errorf("phone %q: %d contacts, want %d", tt.phone, len(cs), tt.want)
		}
		for _, c := range cs {
			if len(c.Phones) != 1 || c.Phones[0].Raw != tt.phone {
				t.Errorf("phone %q: contact %s keeps phones %+v, want the raw value", tt.phone, c.FirstName, c.Phones)
			}
		}
	}
}
