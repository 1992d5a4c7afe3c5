package reportstest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
)

// PaidHeader is a header of the paid and refunded reports, from the
// columns ActBlue documents, with some that identify a payment instrument
// or a document (a client must drop them).
var PaidHeader = []string{
	"Receipt ID", "Date", "Amount", "Recipient", "Recipient ID", "Lineitem ID",
	"Donor ID", "Donor First Name", "Donor Last Name", "Donor Addr1", "Donor Addr2",
	"Donor City", "Donor State", "Donor ZIP", "Donor Country", "Donor Occupation",
	"Donor Employer", "Donor Email", "Donor Phone", "Fee",
	"Recurring Total Months", "Recurrence Number", "Recur Weekly", "Recurring Type", "Recurring Pledged",
	"Payment ID", "Payment Date", "Check Number", "Check Date",
	"Refund ID", "Refund Date", "Reference Code", "Fundraising Page", "Comments",
	"Card Type", "Card Last Four", "Card Expiration", "AVS Result",
}

// CancelledHeader is a header of the cancelled-recurring report.
var CancelledHeader = []string{
	"Receipt ID", "Recurrence Amount", "Total Amount", "Initial Pledge Length",
	"Recurrence Frequency", "Initial Contribution Date", "Cancelled On",
	"Donor First Name", "Donor Last Name", "Donor Email", "Donor Phone",
}

// CSV writes a report as ActBlue does: a byte-order mark, header, then
// rows, quoted where needed.
func CSV(header []string, rows ...[]string) string {
	var b strings.Builder
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.Write(header)
	w.WriteAll(rows) // flushes
	return b.String()
}

// Paid returns a paid report of n generated rows, written as it is read:
// its size does not cost memory. Row i (from 1) is line item 1000000+i of
// 10.00 plus i cents, paid at 2024-01-01 12:00 Eastern plus i minutes, by
// donor i mod 5,000: each of the 5,000 donors has an email, a phone and an
// ActBlue donor id of its own.
func Paid(n int) io.Reader {
	g := &generated{n: n}
	g.w = csv.NewWriter(&g.buf)
	return g
}

type generated struct {
	n, i int
	buf  bytes.Buffer
	w    *csv.Writer
}

func (g *generated) Read(p []byte) (int, error) {
	for g.buf.Len() == 0 {
		switch {
		case g.i > g.n:
			return 0, io.EOF
		case g.i == 0:
			g.buf.WriteString("\uFEFF")
			g.w.Write(PaidHeader)
		default:
			g.w.Write(PaidRow(g.i))
		}
		g.i++
		g.w.Flush()
	}
	return g.buf.Read(p)
}

// PaidRow is row i of Paid, in the columns of PaidHeader.
func PaidRow(i int) []string {
	paid := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	date := paid.Format(time.DateTime)
	return []string{
		fmt.Sprint("AB", 500000+i/2), date, fmt.Sprintf("%d.%02d", 10+i/100%1000, i%100),
		"Acme for America", "12345", fmt.Sprint(1000000 + i),
		fmt.Sprint(9000 + i%5000), "Ada", "Lovelace", "1 Main St", "",
		"Springfield", "IL", "62701", "US", "Engineer",
		"Analytical Engines", fmt.Sprintf("ada%d@example.com", i%5000), fmt.Sprintf("510501%04d", i%5000), "0.40",
		"", "", "", "", "",
		fmt.Sprint(700000 + i), date, "", "",
		"", "", "ref", "main", "",
		"visa", "4242", "12/29", "Y",
	}
}
