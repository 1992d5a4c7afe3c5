package reports

import (
	"bytes"
	"encoding/csv"
)

// A record is a row as the report wrote it, without the columns dropped
// as rows are read.
type record struct {
	header []string // shared by the rows of a report
	values []string
}

// CSV returns r as a report of its own: a header line and r's line, as
// ActBlue wrote them, without the columns dropped as rows are read. Read
// reads it back into r (but for Line). It returns nil for a Row that Read
// did not yield.
func (r *Row) CSV() []byte {
	if r.rec == nil {
		return nil
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(r.rec.header)
	w.Write(r.rec.values)
	w.Flush() // writes to a bytes.Buffer do not fail
	return b.Bytes()
}
