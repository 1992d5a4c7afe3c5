package reports

import (
	"errors"
	"fmt"
	"io"
)

// MaxRowBytes bounds a row of a report, and its header: a longer one ends
// the reading with an error wrapping ErrRowTooLong, so that a report costs
// memory for one row at a time, whatever it holds.
const MaxRowBytes = 1 << 20

// ErrRowTooLong is wrapped by the error of a row longer than MaxRowBytes.
var ErrRowTooLong = errors.New("reports: row too long")

// rowLimit lets through at most MaxRowBytes past the start of the row
// being read (mark), plus the read-ahead of the CSV reader's buffer.
type rowLimit struct {
	r    io.Reader
	read int64 // bytes let through
	mark int64 // where the row being read starts
}

// readAhead is what a csv.Reader's bufio.Reader may hold beyond its row.
const readAhead = 4096

func (l *rowLimit) Read(p []byte) (int, error) {
	room := l.mark + MaxRowBytes + readAhead - l.read
	if room <= 0 {
		return 0, fmt.Errorf("%w: more than %d bytes", ErrRowTooLong, MaxRowBytes)
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}
