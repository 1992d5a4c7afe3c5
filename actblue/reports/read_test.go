package reports

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

func TestReadCancelledRecurring(t *testing.T) {
	t.Parallel()
	in := reportstest.CSV(reportstest.CancelledHeader,
		[]string{"AB7", "$25.00", "75.00", "12", "monthly", "2024-01-15 09:30:00", "2024-07-01 18:05:00", "Ann", "Lee", "ann@example.com", "5105016227"})
	var rows []Row
	for row, err := range Read(strings.NewReader(in)) {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	want := []Row{{
		Line: 2, ReceiptID: "AB7",
		RecurrenceAmount: decimal.RequireFromString("25"), TotalAmount: decimal.RequireFromString("75"),
		InitialPledgeLength: "12", RecurrenceFrequency: "monthly",
		InitialContributionDate: time.Date(2024, 1, 15, 14, 30, 0, 0, time.UTC), // EST
		CancelledOn:             time.Date(2024, 7, 1, 22, 5, 0, 0, time.UTC),   // EDT
		Donor:                   Donor{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", Phone: "5105016227"},
	}}
	if diff := cmp.Diff(want, rows, rowOpts); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestReadFieldErrors(t *testing.T) {
	t.Parallel()
	in := reportstest.CSV([]string{"Lineitem ID", "Amount", "Date", "Recurrence Number"},
		[]string{"1", "ten", "2024-01-01 10:00:00", "x"},
		[]string{"2", "10.00", "yesterday", "1"},
		[]string{"3", "10.00", "2024-01-01 10:00:00", "2"},
	)
	var ids []string
	var cols []string
	for row, err := range Read(strings.NewReader(in)) {
		ids = append(ids, row.LineitemID)
		var fe *FieldError
		for _, e := range unwrapAll(err) {
			if errors.As(e, &fe) {
				cols = append(cols, fe.Column)
			} else {
				t.Errorf("err = %v, want only *FieldError", e)
			}
		}
	}
	if want := []string{"1", "2", "3"}; !cmp.Equal(ids, want) {
		t.Errorf("ids = %q, want %q: rows after a bad value follow", ids, want)
	}
	if want := []string{"Amount", "Recurrence Number", "Date"}; !cmp.Equal(cols, want) {
		t.Errorf("bad columns = %q, want %q", cols, want)
	}
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func TestReadBadCSV(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "\uFEFF", "a,b\n1,2,3\n", "a\n\"open\n"} {
		var err error
		for _, err = range Read(strings.NewReader(in)) {
		}
		if err == nil {
			t.Errorf("Read(%q): no error", in)
		}
	}
}

// TestRowsMemoryIsFlat streams a report of 200,000 rows through the
// client: the heap in use after reading most of them is about what it
// was after the first few.
func TestRowsMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 rows")
	}
	const n = 200_000
	srv := newServer(t, reportstest.Options{
		CSV: func(reportstest.Report) io.Reader { return reportstest.Paid(n) },
	})
	c, _ := newClient(srv)
	var first, last uint64
	count := 0
	for row, err := range c.Rows(t.Context(), Paid, date(2024, 1, 1), date(2024, 2, 1)) {
		if err != nil {
			t.Fatal(err)
		}
		count++
		if _, ok := row.Get("Card Last Four"); ok {
			t.Fatal("Card Last Four reached a row")
		}
		switch count {
		case 1000:
			first = heapInUse()
		case n - 1000:
			last = heapInUse()
		}
	}
	if count != n {
		t.Fatalf("%d rows, want %d", count, n)
	}
	if last > first+4<<20 {
		t.Errorf("heap in use grew from %d to %d bytes over %d rows", first, last, n-2000)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func BenchmarkRead(b *testing.B) {
	const n = 10_000
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		for _, err := range Read(reportstest.Paid(n)) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d rows", count)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// A row over MaxRowBytes ends the reading with ErrRowTooLong, having cost
// about that much memory; rows before it are read, and a long row within
// the bound is too.
func TestReadRowTooLong(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxRowBytes-100)
	huge := io.MultiReader(
		strings.NewReader("Lineitem ID,Comments\n1,\""+long+"\"\n2,\""),
		infinite('y'),
	)
	var ids []string
	var last error
	for row, err := range Read(huge) {
		if err != nil {
			last = err
			break
		}
		ids = append(ids, row.LineitemID)
	}
	if !errors.Is(last, ErrRowTooLong) || len(ids) != 1 {
		t.Fatalf("rows %v, error %v; want row 1 then ErrRowTooLong", ids, last)
	}
	header := io.MultiReader(strings.NewReader("Lineitem ID,"), infinite('h'))
	for _, err := range Read(header) {
		if !errors.Is(err, ErrRowTooLong) {
			t.Fatalf("an endless header: %v, want ErrRowTooLong", err)
		}
	}
}

// infinite is an endless stream of one byte.
type infinite byte

func (b infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
