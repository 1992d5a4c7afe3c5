package reconcile_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reconcile"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/donorsync/donorsync/memstore"
)

func Example() {
	// A fake of ActBlue's CSV API whose paid report holds one gift; in
	// production leave BaseURL empty.
	srv := reportstest.New(reportstest.Options{UUID: "client-uuid", Secret: "client-secret",
		CSV: func(r reportstest.Report) io.Reader {
			if r.Type != string(reports.Paid) {
				return strings.NewReader(reportstest.CSV([]string{"Lineitem ID"}))
			}
			return strings.NewReader(reportstest.CSV(
				[]string{"Lineitem ID", "Receipt ID", "Date", "Amount", "Donor Email"},
				[]string{"101", "AB1", "2026-01-04 12:00:00", "25.00", "ana@example.org"}))
		}})
	defer srv.Close()

	store := memstore.New() // the store the webhooks go to
	r := &reconcile.Reconciler{
		Reports:  &reports.Client{UUID: "client-uuid", Secret: "client-secret", BaseURL: srv.URL},
		Ingester: &donorsync.Ingester{Store: store, Logger: slog.New(slog.DiscardHandler)},
		Tenant:   "acme",
		Apply:    true,
	}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	report, err := r.Run(context.Background(), from, to)
	if err != nil {
		fmt.Println(err)
		return
	}
	report.WriteTable(os.Stdout)
	// Output:
	// ActBlue reports of tenant acme from 2026-01-01 to 2026-02-01: 1 row; 1 ActBlue donation stored for those days.
	// 1 difference: 1 missing; 1 applied.
	//
	// DIFFERENCE  LINE ITEM  RECEIPT  ACTBLUE                             HERE  APPLIED
	// missing     101        -        paid 25.00 on 2026-01-04 17:00 UTC  -     processed
}
