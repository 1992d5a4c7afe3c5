package reports

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
)

// Read yields the rows of a report read from r, such as a CSV downloaded
// from the ActBlue dashboard, as they are read: the first line is its
// header, a byte-order mark before it is skipped. A row whose typed
// column could not be read comes with a [*FieldError], and the rows after
// it follow; an error reading the CSV is the last thing yielded, such as
// one wrapping ErrRowTooLong for a row over MaxRowBytes.
func Read(r io.Reader) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		limit := &rowLimit{r: skipBOM(r)}
		cr := csv.NewReader(limit)
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			yield(Row{}, fmt.Errorf("reports: reading the header: %w", err))
			return
		}
		cols := layout(header)
		for {
			limit.mark = cr.InputOffset()
			rec, err := cr.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Row{}, fmt.Errorf("reports: %w", err))
				return
			}
			line, _ := cr.FieldPos(0)
			row, err := cols.row(line, rec)
			if !yield(row, err) {
				return
			}
		}
	}
}

// skipBOM returns r without the UTF-8 byte-order mark it may begin with.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\uFEFF" {
		br.Discard(3)
	}
	return br
}

// A column is where the value of a column of the CSV goes.
type column struct {
	name  string
	field *field // nil: to Row.Other
	drop  bool
}

// columns are a report's columns, and the headers of those it keeps.
type columns struct {
	list []column
	kept []string
}

// layout maps each header to its place in a Row.
func layout(header []string) *columns {
	cols := &columns{list: make([]column, len(header))}
	taken := map[string]bool{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		key := strings.ToLower(name)
		c := column{name: name, drop: dropped(name)}
		if f, ok := fields[key]; ok && !taken[key] {
			taken[key] = true
			c.field, c.drop = &f, false
		}
		cols.list[i] = c
		if !c.drop {
			cols.kept = append(cols.kept, h)
		}
	}
	return cols
}

// row reads the record that starts on line into a Row.
func (cols *columns) row(line int, rec []string) (Row, error) {
	row := Row{Line: line, rec: &record{header: cols.kept, values: make([]string, 0, len(cols.kept))}}
	var errs []error
	for i, v := range rec {
		c := cols.list[i]
		if !c.drop {
			row.rec.values = append(row.rec.values, v)
		}
		switch {
		case c.drop:
		case c.field != nil:
			if !c.field.set(&row, v) {
				errs = append(errs, &FieldError{Line: line, Column: c.name, Value: v, Want: c.field.want})
			}
		default:
			row.Other = append(row.Other, Column{Name: c.name, Value: v})
		}
	}
	return row, errors.Join(errs...)
}
