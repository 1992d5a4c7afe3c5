package memstore_test

import (
	"context"
	"fmt"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

func Example() {
	store := memstore.New()
	ctx := context.Background()
	_ = store.Update(ctx, func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(ctx, &donorsync.Delivery{ID: "dl_1", Tenant: "acme", Provider: "actblue", Key: "k", Body: []byte("{}")})
		return err
	})
	_ = store.View(ctx, func(tx donorsync.Tx) error {
		d, err := tx.Delivery(ctx, "acme", "dl_1")
		fmt.Println(d.Provider, string(d.Body), err)
		return nil
	})
	// Output: actblue {} <nil>
}
