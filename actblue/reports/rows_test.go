package reports

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// odd is a paid report with its columns in another order than
// ActBlue's, one it does not document, a quoted comma, quote and newline,
// card columns, and times on both sides of both daylight-saving changes
// of 2024.
var odd = reportstest.CSV(
	[]string{"Amount", "Date", "Card Last Four", "Lineitem ID", "Donor Last Name", "Comments", "Merch Size", "Receipt ID", "Card Expiration", "Check Number", "Donor First Name"},
	[]string{"25.77", "2024-03-10 01:59:00", "4242", "101", "O'Brien, Jr.", "line one\nline \"two\"", "XL", "AB1", "12/29", "5555", "Ann"},
	[]string{"10.00", "2024-03-10 03:00:00", "4242", "102", "Smith", "", "", "AB1", "12/29", "5555", "Bo"},
	[]string{"1,000.50", "2024-11-03 00:59:00", "4242", "103", "Lee", "", "", "AB2", "12/29", "5555", "Cy"},
	[]string{"5", "2024-11-03 02:00:00", "4242", "104", "Ng", "", "", "AB3", "12/29", "5555", "Di"},
)

func TestRowsReadsAnOddReport(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{
		Polls: 3,
		CSV:   func(reportstest.Report) io.Reader { return strings.NewReader(odd) },
	})
	c, clk := newClient(srv)
	rows, err := collect(c, Paid, date(2024, 3, 1), date(2024, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	utc := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2024, mo, d, h, mi, 0, 0, time.UTC) }
	row := func(line int, id, receipt, first, last, amount string, at time.Time, other ...Column) Row {
		return Row{Line: line, LineitemID: id, ReceiptID: receipt, Amount: decimal.RequireFromString(amount), Date: at,
			Donor: Donor{FirstName: first, LastName: last}, Other: other}
	}
	want := []Row{
		row(2, "101", "AB1", "Ann", "O'Brien, Jr.", "25.77", utc(3, 10, 6, 59), // EST: +5 h
			Column{"Comments", "line one\nline \"two\""}, Column{"Merch Size", "XL"}),
		row(4, "102", "AB1", "Bo", "Smith", "10.00", utc(3, 10, 7, 0), // EDT: +4 h
			Column{"Comments", ""}, Column{"Merch Size", ""}),
		row(5, "103", "AB2", "Cy", "Lee", "1000.50", utc(11, 3, 4, 59), // EDT
			Column{"Comments", ""}, Column{"Merch Size", ""}),
		row(6, "104", "AB3", "Di", "Ng", "5", utc(11, 3, 7, 0), // EST
			Column{"Comments", ""}, Column{"Merch Size", ""}),
	}
	if diff := cmp.Diff(want, rows, rowOpts); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, secret := range []string{"4242", "12/29", "5555"} {
		if s := fmt.Sprintf("%+v", rows); strings.Contains(s, secret) {
			t.Errorf("a payment instrument's column reached the rows: %q in %s", secret, s)
		}
	}
	wantReq := []string{"POST /api/v1/csvs", "GET /api/v1/csvs/00000000-0000-4000-8000-000000000001"}
	if got := srv.Requests(); len(got) != 6 || got[0] != wantReq[0] || got[4] != wantReq[1] || !strings.HasPrefix(got[5], "GET /download/") {
		t.Errorf("requests = %q, want a request, 4 polls and a download", got)
	}
	if want := []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}; !cmp.Equal(clk.sleeps, want) {
		t.Errorf("sleeps = %v, want %v (the poll interval, 3 times)", clk.sleeps, want)
	}
}

func TestRowsSplitsLongRanges(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{})
	c, _ := newClient(srv)
	from, to := date(2023, 1, 1), date(2024, 6, 1) // 517 days
	if _, err := collect(c, Refunded, from, to); err != nil {
		t.Fatal(err)
	}
	reps := srv.Reports()
	if len(reps) != 3 {
		t.Fatalf("%d reports, want 3: %+v", len(reps), reps)
	}
	next := from
	for _, r := range reps {
		if !r.Start.Equal(next) || r.End.Sub(r.Start) > MaxDays*24*time.Hour || r.Type != string(Refunded) {
			t.Errorf("report %+v: want refunded_contributions from %v, at most %d days", r, next, MaxDays)
		}
		next = r.End
	}
	if !next.Equal(to) {
		t.Errorf("the reports end at %v, want %v", next, to)
	}
}

func TestRowsPollsAgainForAFreshLink(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{
		Expired: 2,
		CSV:     func(reportstest.Report) io.Reader { return strings.NewReader(odd) },
	})
	c, _ := newClient(srv)
	rows, err := collect(c, Paid, date(2024, 1, 1), date(2024, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Errorf("%d rows, want 4", len(rows))
	}
	downloads := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r, "GET /download/") {
			downloads++
		}
	}
	if downloads != 3 {
		t.Errorf("%d downloads, want 3 (two expired links, then a fresh one)", downloads)
	}
}

func TestRowsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     reportstest.Options
		secret   string
		from, to time.Time
		want     error
		status   int // of the *StatusError, 0: none
		requests int
	}{
		{"bad credential", reportstest.Options{}, "wrong", date(2024, 1, 1), date(2024, 2, 1), ErrUnauthorized, 401, 1},
		{"range refused", reportstest.Options{MaxDays: 30}, "secret", date(2024, 1, 1), date(2024, 3, 1), ErrInvalidRange, 422, 1},
		{"range reversed", reportstest.Options{}, "secret", date(2024, 3, 1), date(2024, 1, 1), ErrInvalidRange, 0, 0},
		{"report failed", reportstest.Options{Polls: 2, Fail: func(reportstest.Report) bool { return true }}, "secret", date(2024, 1, 1), date(2024, 2, 1), ErrReportFailed, 0, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.opts)
			c, _ := newClient(srv)
			c.Secret = tt.secret
			_, err := collect(c, Paid, tt.from, tt.to)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var se *StatusError
			if errors.As(err, &se) != (tt.status != 0) || (se != nil && se.StatusCode != tt.status) {
				t.Errorf("err = %#v, want a *StatusError of %d", err, tt.status)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d: %q", n, tt.requests, srv.Requests())
			}
		})
	}
}
