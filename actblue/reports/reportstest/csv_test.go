package reportstest

import (
	"slices"
	"testing"
)

// TestPaidRowDonors checks that the rows of Paid are given by 5,000
// donors who share no email, phone or donor id, so that a store receiving
// them matches each row to its donor alone.
func TestPaidRowDonors(t *testing.T) {
	const donors = 5000
	columns := []string{"Donor ID", "Donor Email", "Donor Phone"}
	for _, name := range columns {
		col := slices.Index(PaidHeader, name)
		seen := make(map[string]int, donors)
		for i := 1; i <= donors; i++ {
			v := PaidRow(i)[col]
			if j, ok := seen[v]; ok {
				t.Fatalf("rows %d and %d share the %s %q", j, i, name, v)
			}
			seen[v] = i
			if again := PaidRow(i + donors)[col]; again != v {
				t.Errorf("row %d has the %s %q, row %d %q: want the same donor", i, name, v, i+donors, again)
			}
		}
	}
}
