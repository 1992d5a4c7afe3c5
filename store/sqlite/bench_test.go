package sqlite_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/store/sqlite"
)

// BenchmarkRecordDeliveries journals groups of deliveries of 2.3 KB, one
// transaction per group, as group commit does, and reports the time per
// delivery. Synchronous is NORMAL, so that the statements are measured
// rather than the disk's fsync.
func BenchmarkRecordDeliveries(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 2300)
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, group := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("group=%d", group), func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "donorsync.db"), &sqlite.Options{Synchronous: "NORMAL"})
			n := 0
			for b.Loop() {
				ds := make([]*donorsync.Delivery, group)
				for j := range ds {
					n++
					ds[j] = &donorsync.Delivery{ID: donorsync.NewID("dl"), Tenant: "t1", Provider: "actblue", Kind: "contribution",
						Key: fmt.Sprint("li-", n), Body: body, ReceivedAt: at, Status: donorsync.Pending, UpdatedAt: at}
				}
				err := s.Update(b.Context(), func(tx donorsync.Tx) error {
					return tx.(donorsync.DeliveryRecorder).RecordDeliveries(b.Context(), ds)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/delivery")
		})
	}
}
