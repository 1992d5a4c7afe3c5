package donorsync_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/memstore"
)

// A CRM reacting to donations: the Ingester records a change for each
// record it creates or changes, and a Feed hands them to the CRM, at
// least once each, in order.
func ExampleFeed() {
	store := memstore.New()
	g := &donorsync.Ingester{Store: store, RecordChanges: true, Logger: quiet}
	auth, _ := actblue.NewAuthenticator(actblue.Credential{Tenant: "acme", Username: "acme-000001", Password: "ExamplePasswordExample12"})
	src, _ := actblue.NewSource(auth, actblue.Options{})
	body, _ := os.ReadFile("actblue/testdata/contribution.json")
	if err := g.Receive(context.Background(), src, &donorsync.Delivery{Tenant: "acme", Body: body}); err != nil {
		panic(err)
	}

	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	feed := &donorsync.Feed{Store: store, Name: "thank-you", Poll: 10 * time.Millisecond, Logger: quiet,
		Handle: func(ctx context.Context, c change.Change) error {
			switch c.Kind {
			case change.ContactCreated:
				fmt.Println("new donor:", c.Contact.FirstName)
			case change.DonationRecorded:
				fmt.Println("thank them for", c.Donation.Amount, c.Donation.Currency, "at position", c.Position)
				stop()
			}
			return nil // the cursor moves past c
		}}
	feed.Run(ctx)
	// Output:
	// new donor: Peter
	// thank them for 50 USD at position 2
}
