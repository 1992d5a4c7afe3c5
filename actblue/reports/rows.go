package reports

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"
)

// MaxDays is the longest span one report covers: a longer range is
// requested as several reports, one after the other.
const MaxDays = 180

// Rows yields the rows of the reports of type typ for the days from
// (inclusive) to to (exclusive), read in the calendar of each; their
// clock is ignored. A range over MaxDays days is requested in spans of
// MaxDays. A row whose typed column could not be read comes with a
// [*FieldError], and the rows after it follow; any other error is the
// last thing yielded. Stopping early leaves the rest unrequested.
func (c *Client) Rows(ctx context.Context, typ Type, from, to time.Time) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		c.init()
		start, end := day(from), day(to)
		if !start.Before(end) {
			yield(Row{}, fmt.Errorf("%w: %s is not before %s", ErrInvalidRange,
				start.Format(time.DateOnly), end.Format(time.DateOnly)))
			return
		}
		for s := start; s.Before(end); s = s.AddDate(0, 0, MaxDays) {
			e := s.AddDate(0, 0, MaxDays)
			if e.After(end) {
				e = end
			}
			if !c.report(ctx, typ, s, e, yield) {
				return
			}
		}
	}
}

// day is the calendar day of t, as midnight UTC.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// report yields the rows of one report, and reports whether to go on.
func (c *Client) report(ctx context.Context, typ Type, start, end time.Time, yield func(Row, error) bool) bool {
	id, err := c.request(ctx, typ, start, end)
	if err != nil {
		yield(Row{}, err)
		return false
	}
	for fresh := 1; ; fresh++ {
		link, err := c.await(ctx, id)
		if err != nil {
			yield(Row{}, err)
			return false
		}
		body, err := c.download(ctx, link)
		if errors.Is(err, errExpired) && fresh < c.attempts() {
			continue // poll again for a fresh link
		}
		if err != nil {
			yield(Row{}, err)
			return false
		}
		defer body.Close()
		for row, err := range Read(body) {
			if !yield(row, err) {
				return false
			}
			var fe *FieldError
			if err != nil && !errors.As(err, &fe) {
				return false
			}
		}
		return true
	}
}
