package reports_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
)

func ExampleClient_Rows() {
	// A fake of ActBlue's CSV API; in production leave BaseURL empty.
	srv := reportstest.New(reportstest.Options{
		UUID: "client-uuid", Secret: "client-secret",
		CSV: func(reportstest.Report) io.Reader {
			return strings.NewReader(reportstest.CSV(
				[]string{"Lineitem ID", "Receipt ID", "Date", "Amount", "Card Last Four"},
				[]string{"101", "AB1", "2024-07-04 12:00:00", "25.00", "4242"}))
		},
	})
	defer srv.Close()

	c := &reports.Client{UUID: "client-uuid", Secret: "client-secret", BaseURL: srv.URL}
	from, to := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)
	for row, err := range c.Rows(context.Background(), reports.Paid, from, to) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(row.LineitemID, row.ReceiptID, row.Amount.StringFixed(2), row.Date, len(row.Other))
	}
	// Output:
	// 101 AB1 25.00 2024-07-04 16:00:00 +0000 UTC 0
}
