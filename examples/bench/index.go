package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/store/sqlite"
)

// The journal the index's runs start from: indexJournal deliveries of the
// size of ActBlue's, received over 30 days by 4 tenants from 3 providers.
const indexJournal = 200_000

// indexRows measures what the index of the deliveries' receipt times
// (deliveries_received, which JournalStats reads) costs end to end into
// SQLite, queued and inline, on a journal of 200,000 deliveries: in
// rounds whose two runs take turns, each on a copy of the journal, with
// the index and with it dropped. As in observeRows, the verdict is on
// the CPU time a delivery costs, the median of the rounds' ratios, with
// the rates beside it. A last row gives JournalStats's time on the
// journal.
func indexRows(ctx context.Context, dir string, log *slog.Logger, d time.Duration, rounds int) ([]row, error) {
	template := filepath.Join(dir, "index-journal.db")
	if err := fillIndexJournal(ctx, template); err != nil {
		return nil, err
	}
	var rows []row
	for _, queued := range []bool{true, false} {
		rates, cpu := map[bool][]float64{}, map[bool][]float64{} // per second; µs a delivery
		for r := range rounds {
			for _, index := range []bool{r%2 == 0, r%2 != 0} { // who goes first alternates
				rate, perDelivery, err := indexRun(ctx, dir, template, index, log, d, queued)
				if err != nil {
					return nil, err
				}
				rates[index] = append(rates[index], rate)
				cpu[index] = append(cpu[index], perDelivery)
			}
		}
		paired := make([]float64, rounds)
		for r := range paired {
			paired[r] = cpu[true][r] / cpu[false][r]
		}
		cost := median(paired)
		rows = append(rows, row{
			fmt.Sprintf("SQLite: the index of the receipt times (JournalStats's) costs ≤ 2%% end to end, %s, on a journal of 200,000 deliveries: CPU time a delivery with it ≤ 1.02× without (median of %d rounds' ratios, the runs of a round taking turns; %d conns)", mode(queued, sqliteQueue), rounds, draftConns),
			fmt.Sprintf("with: %s; CPU %s µs a delivery", perSecond(rates[true]), list(cpu[true], "%.0f")),
			fmt.Sprintf("without: %s; CPU %s µs a delivery", perSecond(rates[false]), list(cpu[false], "%.0f")),
			fmt.Sprintf("CPU %.3f× (rounds %s); rate %.2f×", cost, list(paired, "%.2f"), median(rates[true])/median(rates[false])),
			verdict(cost <= 1.02)})
	}
	r, err := statsRow(ctx, template)
	if err != nil {
		return nil, err
	}
	return append(rows, r), nil
}

// indexRun runs end to end on a copy of template, with the index or
// without it, and returns the rate and the CPU time of a delivery in µs.
func indexRun(ctx context.Context, dir, template string, index bool, log *slog.Logger, d time.Duration, queued bool) (float64, float64, error) {
	path := filepath.Join(dir, "index-run.db")
	defer os.Remove(path)
	if err := copyFile(template, path); err != nil {
		return 0, 0, err
	}
	if !index {
		if err := dropIndex(ctx, path); err != nil {
			return 0, 0, err
		}
	}
	st, err := sqlite.Open(ctx, path, sqliteOptions())
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	rate, rep := endToEnd(ctx, st, log, d, queued, sqliteQueue, draftConns)
	return rate, micros(rep.perDelivery), nil
}

// statsRow reads JournalStats on the journal at path, of every tenant
// and of one, for the last day, and returns the median times of 10 reads.
func statsRow(ctx context.Context, path string) (row, error) {
	st, err := sqlite.Open(ctx, path, sqliteOptions())
	if err != nil {
		return row{}, err
	}
	defer st.Close()
	g := &donorsync.Ingester{Store: st}
	took := map[string][]float64{}
	for range 10 {
		for _, tenant := range []string{"", "t1"} {
			start := time.Now()
			if _, err := g.JournalStats(ctx, tenant, time.Now().Add(-24*time.Hour)); err != nil {
				return row{}, err
			}
			took[tenant] = append(took[tenant], float64(time.Since(start))/float64(time.Millisecond))
		}
	}
	return row{"SQLite: JournalStats of a journal of 200,000 deliveries received over 30 days, for the last day (median of 10 reads)",
		fmt.Sprintf("every tenant %.1f ms; one of 4 %.1f ms", median(took[""]), median(took["t1"])), "", "", "reference"}, nil
}

// fillIndexJournal makes the journal the index's runs start from at
// path: one in a hundred deliveries pending, one failed, three
// duplicates, the others processed.
func fillIndexJournal(ctx context.Context, path string) error {
	st, err := sqlite.Open(ctx, path, &sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer st.Close()
	body, err := os.ReadFile("actblue/testdata/contribution.json")
	if err != nil {
		return err
	}
	tenants, providers := []string{"t1", "t2", "t3", "t4"}, []string{"actblue", "actionnetwork", "anedot"}
	statuses := map[int]donorsync.DeliveryStatus{0: donorsync.Pending, 1: donorsync.Failed, 2: donorsync.Duplicate, 3: donorsync.Duplicate, 4: donorsync.Duplicate}
	now := time.Now()
	for first := 0; first < indexJournal; first += 500 {
		ds := make([]*donorsync.Delivery, 500)
		for j := range ds {
			i := first + j
			at := now.Add(-30 * 24 * time.Hour / indexJournal * time.Duration(indexJournal-i))
			status, ok := statuses[i%100]
			if !ok {
				status = donorsync.Processed
			}
			ds[j] = &donorsync.Delivery{ID: fmt.Sprintf("dl_%07d", i), Tenant: tenants[i%4], Provider: providers[i/4%3],
				Kind: "contribution", Key: fmt.Sprint("li-", i), Body: body, Status: status, ReceivedAt: at, UpdatedAt: at}
		}
		err := st.Update(ctx, func(tx donorsync.Tx) error {
			return tx.(batch.Recorder[*donorsync.Delivery]).RecordDeliveries(ctx, ds)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// dropIndex drops the index of the receipt times from the database at
// path.
func dropIndex(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `DROP INDEX deliveries_received`)
	return err
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		// On disk before the run: otherwise its first checkpoint's fsync
		// would write out the whole copy, within the run.
		err = out.Sync()
	}
	if err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
