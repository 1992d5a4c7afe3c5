package actblue_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/flex"
	"github.com/donorsync/donorsync/internal/golden"
)

// reportRows reads the rows of a report in testdata.
func reportRows(t *testing.T, name string) []reports.Row {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []reports.Row
	for row, err := range reports.Read(f) {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestReportGolden decodes each row of the reports in testdata as the
// delivery ReportDelivery makes of it, and compares the events with the
// golden files; go test -update rewrites them.
func TestReportGolden(t *testing.T) {
	t.Parallel()
	for _, typ := range []reports.Type{reports.Paid, reports.Refunded, reports.CancelledRecurring} {
		t.Run(string(typ), func(t *testing.T) {
			var decoded []donorsync.Decoded
			for _, row := range reportRows(t, "report_"+string(typ)+".csv") {
				d, err := actblue.ReportDelivery("t", typ, &row)
				if err != nil {
					t.Fatal(err)
				}
				if d.Provider != actblue.Provider || d.Kind != "report:"+string(typ) || d.Tenant != "t" {
					t.Fatalf("delivery %s/%s of tenant %s", d.Provider, d.Kind, d.Tenant)
				}
				if strings.Contains(string(d.Body), "4242") || strings.Contains(string(d.Body), "12/29") {
					t.Fatalf("a payment instrument's column is in the delivery's body:\n%s", d.Body)
				}
				dec, err := newSource(t).Decode(d)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				decoded = append(decoded, dec)
			}
			golden.JSON(t, filepath.Join("testdata", "report_"+string(typ)+".golden"), decoded, *update)
		})
	}
}

// A row of a report is keyed as the webhook about the same line item or
// recurring gift is: the same donation, refund and commitment.
func TestReportKeysMatchWebhooks(t *testing.T) {
	t.Parallel()
	webhook := func(name string) donorsync.Decoded {
		dec, err := decode(t, fixture(t, name), "")
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	row := func(typ reports.Type, i int) donorsync.Decoded {
		r := reportRows(t, "report_"+string(typ)+".csv")[i]
		d, err := actblue.ReportDelivery("t", typ, &r)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := newSource(t).Decode(d)
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	gift, paid := webhook("contribution.json").Events[0], row(reports.Paid, 0).Events[0]
	if paid.Donation.ExternalID != gift.Donation.ExternalID || paid.Donation.OrderNumber != gift.Donation.OrderNumber ||
		!paid.Donation.PaidAt.Equal(gift.Donation.PaidAt) || !paid.Donation.Amount.Equal(gift.Donation.Amount) ||
		!paid.Donation.Net.Decimal.Equal(gift.Donation.Net.Decimal) || paid.Contact.Email != gift.Contact.Email || paid.Contact.Phone != gift.Contact.Phone {
		t.Errorf("paid row %+v\ndoes not describe the gift of the webhook %+v", paid.Donation, gift.Donation)
	}
	recurring, paid := webhook("recurring.json").Events[0], row(reports.Paid, 1).Events[0]
	if paid.Commitment == nil || paid.Commitment.ExternalID != recurring.Commitment.ExternalID || paid.Donation.CommitmentID != recurring.Donation.CommitmentID {
		t.Errorf("recurring paid row's commitment %+v, want the webhook's %+v", paid.Commitment, recurring.Commitment)
	}
	refund, refunded := webhook("refund.json").Events[0], row(reports.Refunded, 0).Events[0]
	if len(refunded.Adjustments) != 1 || refunded.Adjustments[0].Key != refund.Adjustments[0].Key ||
		!refunded.Adjustments[0].At.Equal(refund.Adjustments[0].At) || !refunded.Adjustments[0].Amount.Equal(refund.Adjustments[0].Amount) {
		t.Errorf("refunded row's adjustments %+v, want the webhook's %+v", refunded.Adjustments, refund.Adjustments)
	}
	cancel, cancelled := webhook("cancellation.json").Events[0], row(reports.CancelledRecurring, 0).Events[0]
	if cancelled.Commitment.ExternalID != cancel.Commitment.ExternalID || !cancelled.Commitment.CancelledAt.Equal(cancel.Commitment.CancelledAt) {
		t.Errorf("cancelled row's commitment %+v, want the webhook's %+v", cancelled.Commitment, cancel.Commitment)
	}
}

func TestReportDeliveryErrors(t *testing.T) {
	t.Parallel()
	row := reportRows(t, "report_paid_contributions.csv")[0]
	if _, err := actblue.ReportDelivery("t", reports.ManagedForm, &row); err == nil {
		t.Error("a managed-form row makes a delivery")
	}
	if _, err := actblue.ReportDelivery("t", reports.Paid, &reports.Row{LineitemID: "1"}); err == nil {
		t.Error("a Row not read from a report makes a delivery")
	}
	for _, tc := range []struct {
		name, kind, body, want string
	}{
		{"no line item", "report:paid_contributions", "Lineitem ID,Amount\n,5\n", "Lineitem ID"},
		{"no amount", "report:paid_contributions", "Lineitem ID,Amount\n7,\n", "Amount"},
		{"bad amount", "report:paid_contributions", "Lineitem ID,Amount\n7,five\n", "Amount"},
		{"no refund date", "report:refunded_contributions", "Lineitem ID,Amount\n7,5\n", "Refund Date"},
		{"no receipt", "report:cancelled_recurring_contributions", "Receipt ID,Cancelled On\n,2024-01-01 10:00:00\n", "Receipt ID"},
		{"two rows", "report:paid_contributions", "Lineitem ID,Amount\n7,5\n8,5\n", "more than one row"},
		{"no row", "report:paid_contributions", "Lineitem ID,Amount\n", "no row"},
		{"unknown report", "report:managed_form_contributions", "Lineitem ID,Amount\n7,5\n", "unknown report"},
	} {
		_, err := newSource(t).Decode(&donorsync.Delivery{Tenant: "t", Kind: tc.kind, Body: []byte(tc.body)})
		var de *donorsync.DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Decode error %v, want a DecodeError naming %q", tc.name, err, tc.want)
		}
		var fe *flex.Error
		if tc.want == "Lineitem ID" && !errors.As(err, &fe) {
			t.Errorf("%s: %v is not a *flex.Error", tc.name, err)
		}
	}
}
