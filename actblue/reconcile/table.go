package reconcile

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
)

// WriteTable writes r for people: a line of totals, then a table of the
// differences listed, one per line.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ActBlue reports of tenant %s from %s to %s: %s; %s stored for those days.\n",
		r.Tenant, r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), plural(r.Rows, "row"), plural(r.Stored, "ActBlue donation"))
	if !r.Differs() {
		b.WriteString("No difference.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "%s: %s", plural(r.Total(), "difference"), r.counts())
	if r.Applied > 0 {
		fmt.Fprintf(&b, "; %d applied", r.Applied)
	}
	b.WriteString(".\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DIFFERENCE\tLINE ITEM\tRECEIPT\tACTBLUE\tHERE\tAPPLIED")
	for _, d := range r.Differences {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Kind, dash(d.LineitemID), dash(d.ReceiptID), d.ActBlue, d.Here, dash(string(d.Applied)))
	}
	tw.Flush()
	if n := r.Total() - len(r.Differences); n > 0 {
		fmt.Fprintf(&b, "… and %d more.\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// counts lists the counts of the kinds found, in the order of Kinds.
func (r *Report) counts() string {
	var parts []string
	for _, k := range Kinds {
		if n := r.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(k), "_", " ")))
		}
	}
	return strings.Join(parts, ", ")
}

// String formats f for a table: "paid 25.00 on 2026-01-02 15:04 UTC",
// or "-" for nil.
func (f *Facts) String() string {
	if f == nil {
		return "-"
	}
	s := f.Status
	if !f.Amount.IsZero() {
		s += " " + money(f.Amount)
	}
	if !f.Date.IsZero() {
		s += " on " + f.Date.UTC().Format("2006-01-02 15:04 MST")
	}
	return strings.TrimSpace(s)
}

// money writes an amount with cents, or exactly when it has more digits.
func money(d decimal.Decimal) string {
	if d.Exponent() < -2 {
		return d.String()
	}
	return d.StringFixed(2)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
