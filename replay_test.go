package donorsync_test

import (
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

func TestReplayAllKeepsToItsProvider(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	g := &donorsync.Ingester{Store: mem, Logger: quiet}
	src := giftSource()
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	mine := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: "t1", Provider: src.Provider(), Key: "a",
		Body: []byte("x"), ReceivedAt: at, Status: donorsync.Dead}
	other := &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: "t1", Provider: "other", Key: "b",
		Body: []byte("x"), ReceivedAt: at, Status: donorsync.Dead}
	if err := mem.Update(t.Context(), func(tx donorsync.Tx) error {
		for _, d := range []*donorsync.Delivery{other, mine} {
			if _, err := tx.RecordDelivery(t.Context(), d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n, err := g.ReplayAll(t.Context(), src, "t1", donorsync.Dead, time.Time{})
	if err != nil || n != 1 {
		t.Fatalf("ReplayAll = %d, %v; want 1", n, err)
	}
	if got := delivery(t, mem, mine.ID).Status; got != donorsync.Processed {
		t.Errorf("the delivery of %s is %s, want processed", src.Provider(), got)
	}
	if got := delivery(t, mem, other.ID).Status; got != donorsync.Dead {
		t.Errorf("the delivery of another provider is %s, want dead", got)
	}
}
