package sqlite_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/store/sqlite"
)

// The journal of the benchmarks below: journalSize deliveries of 2.3 KB,
// received over journalSpan by 4 tenants from 3 providers; one in a
// hundred is pending, one failed, one quarantined and three duplicates.
const (
	journalSize = 200_000
	journalSpan = 30 * 24 * time.Hour
)

var (
	benchTenants   = []string{"t1", "t2", "t3", "t4"}
	benchProviders = []string{"actblue", "actionnetwork", "anedot"}
)

// BenchmarkJournalStats reads JournalStats of a journal of 200,000
// deliveries, received over 30 days, for the last day: of every tenant
// and of one.
func BenchmarkJournalStats(b *testing.B) {
	path := filepath.Join(b.TempDir(), "donorsync.db")
	fillJournal(b, path, time.Now())
	for _, tenant := range []string{"", "t1"} {
		name := "tenants=all"
		if tenant != "" {
			name = "tenants=one"
		}
		b.Run(name, func(b *testing.B) {
			g := &donorsync.Ingester{Store: open(b, path, nil)}
			for b.Loop() {
				s, err := g.JournalStats(b.Context(), tenant, time.Now().Add(-24*time.Hour))
				if err != nil || len(s.Last) == 0 {
					b.Fatalf("JournalStats = %d freshness, %v", len(s.Last), err)
				}
			}
		})
	}
}

// BenchmarkJournalIndexWrites measures what the index of the receipt
// times costs the writes of a journal of 200,000 deliveries: each
// iteration journals 16 deliveries of the 12 tenants and providers in a
// transaction, as group commit does, then settles them in a second, as a
// Worker does. It reports the time and the CPU time of the process per
// delivery, with the index and without it, each on a copy of the
// journal. The machine's load moves the time more than the index does:
// run each side in a process of its own, in turns, for several rounds,
// and compare the medians of cpu-ns/delivery, e.g.
//
//	for r in 1 2 3 4 5 6 7 8; do for v in true false; do
//		go test -run '^$' -bench "JournalIndexWrites/index=$v\$" -benchtime 4000x ./store/sqlite
//	done; done
func BenchmarkJournalIndexWrites(b *testing.B) {
	dir := b.TempDir()
	template := filepath.Join(dir, "template.db")
	fillJournal(b, template, time.Now())
	for _, index := range []bool{true, false} {
		b.Run(fmt.Sprintf("index=%v", index), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "donorsync.db")
			copyFile(b, template, path)
			if !index {
				dropReceivedIndex(b, path)
			}
			s := open(b, path, &sqlite.Options{Synchronous: "NORMAL"})
			body := bytes.Repeat([]byte("x"), 2300)
			n := 0
			cpu := cpuTime()
			for b.Loop() {
				ds := benchDeliveries(journalSize+n, 16, time.Now(), body)
				n += len(ds)
				record(b, s, ds)
				settle(b, s, ds)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/delivery")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/delivery")
		})
	}
}

// fillJournal makes the database at path, with journalSize deliveries
// received in the journalSpan before now.
func fillJournal(tb testing.TB, path string, now time.Time) {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path, &sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	body := bytes.Repeat([]byte("x"), 2300)
	const group = 500
	for i := 0; i < journalSize; i += group {
		ds := benchDeliveries(i, group, now, body)
		for j, d := range ds {
			d.ReceivedAt = now.Add(-journalSpan / journalSize * time.Duration(journalSize-i-j))
			d.Status = benchStatus(i + j)
		}
		record(tb, s, ds)
	}
}

// benchDeliveries returns n pending deliveries, numbered from first.
func benchDeliveries(first, n int, at time.Time, body []byte) []*donorsync.Delivery {
	ds := make([]*donorsync.Delivery, n)
	for j := range ds {
		i := first + j
		ds[j] = &donorsync.Delivery{ID: fmt.Sprintf("dl_%07d", i), Tenant: benchTenants[i%len(benchTenants)],
			Provider: benchProviders[i/len(benchTenants)%len(benchProviders)], Kind: "contribution", Key: fmt.Sprint("li-", i),
			Body: body, Status: donorsync.Pending, ReceivedAt: at, UpdatedAt: at}
	}
	return ds
}

// benchStatus is the status of the i-th delivery of the filled journal.
func benchStatus(i int) donorsync.DeliveryStatus {
	switch i % 100 {
	case 0:
		return donorsync.Pending
	case 1:
		return donorsync.Failed
	case 2:
		return donorsync.Quarantined
	case 3, 4, 5:
		return donorsync.Duplicate
	}
	return donorsync.Processed
}

// record journals ds in one transaction.
func record(tb testing.TB, s donorsync.Store, ds []*donorsync.Delivery) {
	tb.Helper()
	err := s.Update(tb.Context(), func(tx donorsync.Tx) error {
		return tx.(batch.Recorder[*donorsync.Delivery]).RecordDeliveries(tb.Context(), ds)
	})
	if err != nil {
		tb.Fatalf("journal %d deliveries: %v", len(ds), err)
	}
}

// settle marks ds processed in one transaction.
func settle(tb testing.TB, s donorsync.Store, ds []*donorsync.Delivery) {
	tb.Helper()
	err := s.Update(tb.Context(), func(tx donorsync.Tx) error {
		for _, d := range ds {
			d.Status, d.Attempts = donorsync.Processed, 1
			if err := tx.UpdateDelivery(tb.Context(), d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("settle %d deliveries: %v", len(ds), err)
	}
}

// dropReceivedIndex drops the index on the receipt times from the
// database at path, if it has it.
func dropReceivedIndex(tb testing.TB, path string) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DROP INDEX IF EXISTS deliveries_received`); err != nil {
		tb.Fatal(err)
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	// On disk before the benchmark: otherwise its first checkpoint's
	// fsync would write out the whole copy, within the benchmark.
	if err := out.Sync(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
