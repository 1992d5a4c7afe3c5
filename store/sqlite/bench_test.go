package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
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
	for _, group := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("group=%d", group), func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "donorsync.db"), &sqlite.Options{Synchronous: "NORMAL"})
			n := 0
			for b.Loop() {
				journal(b, s, body, group, &n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/delivery")
		})
	}
}

// BenchmarkWorkerApply applies a backlog of ActBlue contributions, from
// 1,000 recurring donors, with a Worker claiming batches of 128, and
// reports the time per applied delivery, and how much of it the writing
// transactions took (writer-ns). Run it with a fixed count, such
// as -benchtime 40x: each iteration is one batch, journaled beforehand.
// The store keeps records between transactions (cached) or not (none);
// the Ingester records changes (feed=on) or not (feed=off).
func BenchmarkWorkerApply(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int
	}{{"records=cached", 0}, {"records=none", -1}} {
		for _, feed := range []bool{false, true} {
			name := bc.name + "/feed=off"
			if feed {
				name = bc.name + "/feed=on"
			}
			b.Run(name, func(b *testing.B) { benchmarkWorkerApply(b, &sqlite.Options{RecordCache: bc.cache}, feed) })
		}
	}
}

// BenchmarkTablePrefix is BenchmarkWorkerApply (records cached, feed on)
// with the tables named with a prefix, and without.
func BenchmarkTablePrefix(b *testing.B) {
	for _, prefix := range []string{"", "ds_"} {
		b.Run("prefix="+prefix, func(b *testing.B) { benchmarkWorkerApply(b, &sqlite.Options{TablePrefix: prefix}, true) })
	}
}

func benchmarkWorkerApply(b *testing.B, opts *sqlite.Options, feed bool) {
	template, err := os.ReadFile("../../actblue/testdata/contribution.json")
	if err != nil {
		b.Fatal(err)
	}
	const batch = 128
	o := *opts
	o.Synchronous = "NORMAL"
	s := open(b, filepath.Join(b.TempDir(), "donorsync.db"), &o)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := &donorsync.Ingester{Store: s, Logger: quiet}
	src := actblueSource(b)
	total := b.N * batch
	var wg sync.WaitGroup
	for i := range total {
		body := bytes.ReplaceAll(template, []byte("Peter.Gibbons@Initech.example"), fmt.Appendf(nil, "donor%d@example.org", i%1000))
		body = bytes.ReplaceAll(body, []byte(`"lineitemId": 99999999`), fmt.Appendf(nil, `"lineitemId": %d`, i+1))
		body = bytes.ReplaceAll(body, []byte(`"phone": "(589) 742-7087 x5082"`), fmt.Appendf(nil, `"phone": "512730%04d"`, i%1000))
		wg.Add(1)
		go func() { // concurrent, so that the backlog is journaled in groups
			defer wg.Done()
			if err := g.Enqueue(b.Context(), src, &donorsync.Delivery{Tenant: "t1", Body: body}); err != nil {
				b.Error(err)
			}
		}()
		if i%512 == 511 {
			wg.Wait()
		}
	}
	wg.Wait()
	timed := &timedStore{Store: s}
	w := &donorsync.Worker{Ingester: &donorsync.Ingester{Store: timed, Logger: quiet, RecordChanges: feed}, Sources: []donorsync.Source{src}, Tenant: "t1", Batch: batch}
	applied := 0
	b.ResetTimer()
	for range b.N {
		n, err := w.RunOnce(b.Context())
		if err != nil || n != batch {
			b.Fatalf("RunOnce = %d, %v; want %d", n, err, batch)
		}
		applied += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(applied), "ns/delivery")
	b.ReportMetric(float64(timed.writing.Nanoseconds())/float64(applied), "writer-ns/delivery")
}

// timedStore adds up the time its writing transactions take: the time a
// store that writes one transaction at a time is held.
type timedStore struct {
	*sqlite.Store
	writing time.Duration
}

func (s *timedStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	start := time.Now()
	defer func() { s.writing += time.Since(start) }()
	return s.Store.Update(ctx, fn)
}
