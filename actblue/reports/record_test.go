package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// rowOpts compares Rows by what they say.
var rowOpts = cmpopts.IgnoreUnexported(Row{})

// A row's CSV is read back into the same row, without the columns that
// identify a payment instrument, and with what the report wrote as it
// wrote it.
func TestRowCSVReadsBack(t *testing.T) {
	t.Parallel()
	n := 0
	for row, err := range Read(strings.NewReader(odd)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		data := row.CSV()
		for _, secret := range []string{"4242", "12/29", "5555", "Card"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("row %s: %q in its CSV:\n%s", row.LineitemID, secret, data)
			}
		}
		if row.LineitemID == "103" && !bytes.Contains(data, []byte(`"1,000.50"`)) {
			t.Errorf("row 103: its CSV does not keep the amount as written:\n%s", data)
		}
		var again []Row
		for r, err := range Read(bytes.NewReader(data)) {
			if err != nil {
				t.Fatalf("row %s: reading its CSV back: %v", row.LineitemID, err)
			}
			again = append(again, r)
		}
		row.Line = 2
		if diff := cmp.Diff([]Row{row}, again, rowOpts); diff != "" {
			t.Errorf("row %s read back from its CSV (-want +got):\n%s", row.LineitemID, diff)
		}
	}
	if n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	if (&Row{}).CSV() != nil {
		t.Errorf("a Row not read from a report has a CSV")
	}
}
