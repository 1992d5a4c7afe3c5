package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reconcile"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/memstore"
	"github.com/google/go-cmp/cmp"
)

var (
	paidHeader      = []string{"Lineitem ID", "Receipt ID", "Date", "Amount", "Donor Email", "Recurring Type", "Card Last Four"}
	refundedHeader  = []string{"Lineitem ID", "Receipt ID", "Date", "Amount", "Donor Email", "Refund ID", "Refund Date"}
	cancelledHeader = []string{"Receipt ID", "Recurrence Amount", "Recurrence Frequency", "Initial Contribution Date", "Cancelled On", "Donor Email"}
)

// actBlue is what ActBlue's reports of March 2024 say.
var actBlue = map[reports.Type]string{
	reports.Paid: reportstest.CSV(paidHeader,
		[]string{"1", "AB1", "2024-03-01 09:00:00", "10.00", "a@example.org", "", "4242"},       // here, alike
		[]string{"2", "AB2", "2024-03-02 09:00:00", "20.00", "b@example.org", "", "4242"},       // missing
		[]string{"3", "AB3", "2024-03-03 09:00:00", "30.00", "c@example.org", "", "4242"},       // another amount here
		[]string{"4", "AB4", "2024-03-04 09:00:00", "40.00", "d@example.org", "", "4242"},       // another time here
		[]string{"5", "AB5", "2024-03-05 09:00:00", "5.00", "e@example.org", "monthly", "4242"}, // missing, recurring
		[]string{"9", "AB9", "2024-03-09 09:00:00", "9.00", "i@example.org", "", "4242"},        // refunded only here
		[]string{"x", "ABX", "2024-03-10 09:00:00", "ten", "x@example.org", "", "4242"},         // unreadable
	),
	reports.Refunded: reportstest.CSV(refundedHeader,
		[]string{"1", "AB1", "2024-03-01 09:00:00", "10.00", "a@example.org", "R1", "2024-03-15 10:00:00"}, // not refunded here
		[]string{"6", "AB6", "2024-02-20 09:00:00", "6.00", "f@example.org", "R6", "2024-03-16 10:00:00"},  // not here at all
	),
	reports.CancelledRecurring: reportstest.CSV(cancelledHeader,
		[]string{"AB5", "5.00", "Monthly", "2024-03-05 09:00:00", "2024-03-20 08:00:00", "e@example.org"}, // active here, once applied
		[]string{"AB7", "7.00", "Monthly", "2024-01-07 09:00:00", "2024-03-21 08:00:00", "g@example.org"}, // cancelled here too
	),
}

// here is what the store received before: by webhook, or from other
// reports.
var here = map[reports.Type]string{
	reports.Paid: reportstest.CSV(paidHeader,
		[]string{"1", "AB1", "2024-03-01 09:00:00", "10.00", "a@example.org", "", ""},
		[]string{"3", "AB3", "2024-03-03 09:00:00", "33.00", "c@example.org", "", ""},
		[]string{"4", "AB4", "2024-03-04 09:30:00", "40.00", "d@example.org", "", ""},
		[]string{"8", "AB8", "2024-03-08 09:00:00", "8.00", "h@example.org", "", ""},   // in no report: a test gift
		[]string{"10", "AB10", "2024-04-01 09:00:00", "1.00", "j@example.org", "", ""}, // outside the range
	),
	reports.Refunded: reportstest.CSV(refundedHeader,
		[]string{"9", "AB9", "2024-03-09 09:00:00", "9.00", "i@example.org", "R9", "2024-03-12 10:00:00"},
	),
	reports.CancelledRecurring: reportstest.CSV(cancelledHeader,
		[]string{"AB7", "7.00", "Monthly", "2024-01-07 09:00:00", "2024-03-21 08:00:00", "g@example.org"},
	),
}

var march, april = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*reconcile.Reconciler, *memstore.Store, *reportstest.Server) {
	t.Helper()
	srv := reportstest.New(reportstest.Options{Polls: 2, CSV: func(r reportstest.Report) io.Reader {
		return strings.NewReader(actBlue[reports.Type(r.Type)])
	}})
	t.Cleanup(srv.Close)
	s := memstore.New()
	g := &donorsync.Ingester{Store: s, Logger: slog.New(slog.DiscardHandler)}
	for _, typ := range []reports.Type{reports.Paid, reports.Refunded, reports.CancelledRecurring} {
		for row, err := range reports.Read(strings.NewReader(here[typ])) {
			if err != nil {
				t.Fatal(err)
			}
			receive(t, g, typ, &row)
		}
	}
	c := &reports.Client{UUID: "uuid", Secret: "secret", BaseURL: srv.URL, PollInterval: time.Millisecond, Budget: 1000}
	return &reconcile.Reconciler{Reports: c, Ingester: g, Tenant: "t"}, s, srv
}

func receive(t *testing.T, g *donorsync.Ingester, typ reports.Type, row *reports.Row) {
	t.Helper()
	d, err := actblue.ReportDelivery("t", typ, row)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Receive(context.Background(), &actblue.Source{}, d); err != nil || d.Status != donorsync.Processed {
		t.Fatalf("Receive: %v, %s %s", err, d.Status, d.Error)
	}
}

// found lists the differences of a report as kind:id.
func found(r *reconcile.Report) []string {
	var out []string
	for _, d := range r.Differences {
		id := d.LineitemID
		if id == "" {
			id = d.ReceiptID
		}
		out = append(out, string(d.Kind)+":"+id)
	}
	return out
}

func TestRunFindsEachKindOfDifference(t *testing.T) {
	t.Parallel()
	r, s, _ := setup(t)
	before := journaled(t, s)
	rep, err := r.Run(context.Background(), march, april)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"amount_differs:3", "date_differs:4", "missing:2", "missing:5", "unreadable:x",
		"not_refunded:1", "not_refunded:6", "not_cancelled:AB5", "unreported:8", "refunded_only_here:9"}
	if diff := cmp.Diff(sorted(want), sorted(found(rep))); diff != "" {
		t.Errorf("differences (-want +got):\n%s", diff)
	}
	if rep.Rows != 11 || rep.Stored != 5 || rep.Applied != 0 || rep.Total() != 10 || !rep.Differs() {
		t.Errorf("rows %d, stored %d, applied %d, total %d; want 11, 5 (1, 3, 4, 8, 9), 0, 10", rep.Rows, rep.Stored, rep.Applied, rep.Total())
	}
	for _, d := range rep.Differences {
		if d.Kind == reconcile.AmountDiffers && (d.ActBlue.Amount.String() != "30" || d.Here.Amount.String() != "33") {
			t.Errorf("amount difference %+v: want ActBlue 30, here 33", d)
		}
		if d.Kind == reconcile.Unreadable && !strings.Contains(d.Error, "Amount") {
			t.Errorf("unreadable row's error %q does not name the column", d.Error)
		}
	}
	if after := journaled(t, s); after != before {
		t.Errorf("a reconciliation without Apply journaled %d deliveries", after-before)
	}
}

func TestRunApplies(t *testing.T) {
	t.Parallel()
	r, s, _ := setup(t)
	r.Apply = true
	rep, err := r.Run(context.Background(), march, april)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Applied != 5 {
		t.Errorf("applied %d rows, want 5 (missing 2 and 5, refunds of 1 and 6, cancellation of AB5)", rep.Applied)
	}
	for _, d := range rep.Differences {
		applied := d.Kind == reconcile.Missing || d.Kind == reconcile.NotRefunded || d.Kind == reconcile.NotCancelled
		if applied != (d.Applied == donorsync.Processed) || (applied || d.Kind == reconcile.Unreadable) != (d.DeliveryID != "") {
			t.Errorf("%s %s%s: applied %q, delivery %q", d.Kind, d.LineitemID, d.ReceiptID, d.Applied, d.DeliveryID)
		}
		if d.Kind == reconcile.Unreadable && d.Applied != donorsync.Quarantined {
			t.Errorf("unreadable row: %q, want it journaled quarantined", d.Applied)
		}
	}
	check(t, s, func(tx donorsync.Tx) error {
		for id, want := range map[string]donation.Status{"1": donation.Refunded, "2": donation.Completed, "5": donation.Completed, "6": donation.Refunded} {
			d, err := tx.Donation(context.Background(), "t", actblue.Provider, id)
			if err != nil || d.Status != want {
				t.Errorf("donation %s: %s, %v; want %s", id, d.Status, err, want)
			}
		}
		c, err := tx.Commitment(context.Background(), "t", actblue.Provider, "AB5")
		if err != nil || c.Status != donation.Cancelled {
			t.Errorf("commitment AB5: %s, %v; want cancelled", c.Status, err)
		}
		return nil
	})

	// Once applied, what is left is what applying cannot mend; applying
	// again journals nothing.
	before := journaled(t, s)
	rep, err = r.Run(context.Background(), march, april)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"amount_differs:3", "date_differs:4", "unreadable:x", "unreported:8", "refunded_only_here:9"}
	if diff := cmp.Diff(sorted(want), sorted(found(rep))); diff != "" || rep.Applied != 0 {
		t.Errorf("second run: applied %d, differences (-want +got):\n%s", rep.Applied, diff)
	}
	if after := journaled(t, s); after != before+1 {
		t.Errorf("second run journaled %d deliveries, want 1 (the unreadable row again, as a duplicate)", after-before)
	}
}

func TestReportForms(t *testing.T) {
	t.Parallel()
	r, _, _ := setup(t)
	r.MaxListed = 3
	rep, err := r.Run(context.Background(), march, april)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Differences) != 3 || rep.Total() != 10 {
		t.Fatalf("listed %d of %d, want 3 of 10", len(rep.Differences), rep.Total())
	}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tenant t from 2024-03-01 to 2024-04-01: 11 rows", "10 differences: 2 missing, 2 not refunded, 1 refunded only here, 1 not cancelled, 1 amount differs, 1 date differs, 1 unreported, 1 unreadable",
		"DIFFERENCE", "paid 20.00 on 2024-03-02 14:00 UTC", "… and 7 more."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back reconcile.Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Counts[reconcile.Missing] != 2 || back.Differences[1].Kind != reconcile.Missing || !back.Differences[1].ActBlue.Amount.Equal(rep.Differences[1].ActBlue.Amount) {
		t.Errorf("JSON %s does not read back", data)
	}
	if !strings.Contains(string(data), `{"kind":"missing","lineitem_id":"2","actblue":{"status":"paid","amount":"20","date":"2024-03-02T14:00:00Z"}}`) {
		t.Errorf("JSON lacks the snake_case fields: %s", data)
	}
	var none reconcile.Report
	b.Reset()
	none.WriteTable(&b)
	if !strings.Contains(b.String(), "No difference.") || none.Differs() {
		t.Errorf("an empty report: %q", b.String())
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	if _, err := (&reconcile.Reconciler{}).Run(context.Background(), march, april); err == nil {
		t.Error("a Reconciler without Reports, Ingester and Tenant runs")
	}
	r, _, srv := setup(t)
	r.Reports = &reports.Client{UUID: "uuid", Secret: "wrong", BaseURL: srv.URL, Budget: 1000}
	rep, err := r.Run(context.Background(), march, april)
	if !errors.Is(err, reports.ErrUnauthorized) || rep == nil || rep.Rows != 0 {
		t.Errorf("a refused credential: %v, report %+v; want ErrUnauthorized and an empty report", err, rep)
	}
}

func journaled(t *testing.T, s donorsync.Store) int {
	t.Helper()
	n := 0
	check(t, s, func(tx donorsync.Tx) error {
		ds, err := tx.Deliveries(context.Background(), "t", donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1000}})
		n = len(ds)
		return err
	})
	return n
}

func check(t *testing.T, s donorsync.Store, fn func(donorsync.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

// A row applied is a delivery like any other: a Worker's Source (the one
// that receives the webhooks) replays it, and nothing changes.
func TestAppliedRowsReplay(t *testing.T) {
	t.Parallel()
	r, s, _ := setup(t)
	r.Apply = true
	rep, err := r.Run(context.Background(), march, april)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := actblue.NewAuthenticator(actblue.Credential{Tenant: "t", Username: "t-user", Password: "a-password-long-enough-for-it"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, d := range rep.Differences {
		if d.Kind == reconcile.Missing && d.LineitemID == "2" {
			id = d.DeliveryID
		}
	}
	d, err := r.Ingester.Replay(context.Background(), src, "t", id)
	if err != nil || d.Status != donorsync.Processed || d.Kind != "report:paid_contributions" || d.Key != "report:paid_contributions:2" {
		t.Fatalf("Replay of the applied row: %+v, %v", d, err)
	}
	n, err := r.Ingester.ReplayAll(context.Background(), src, "t", donorsync.Processed, time.Time{})
	if err != nil || n < 5 {
		t.Fatalf("ReplayAll = %d, %v; want the rows applied and the deliveries before them", n, err)
	}
	check(t, s, func(tx donorsync.Tx) error {
		d, err := tx.Donation(context.Background(), "t", actblue.Provider, "1")
		if err != nil || d.Status != donation.Refunded || !d.Refunded.Equal(d.Amount) {
			t.Errorf("donation 1 after the replays: %s refunded %s, %v; want refunded in full once", d.Status, d.Refunded, err)
		}
		return nil
	})
}
