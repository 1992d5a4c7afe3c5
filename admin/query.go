package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
)

// errBadRequest marks the errors of a request's parameters: the answer
// is 400 with the error's message, which names the parameter.
var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBadRequest}, args...)...)
}

// maxLimit is the largest ?limit= a listing takes.
const maxLimit = 1000

// page reads ?after= and ?limit= (1 to 1000, 100 when absent).
func page(q url.Values) (donorsync.Page, error) {
	p := donorsync.Page{After: q.Get("after"), Limit: 100}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return p, badRequest("limit: want a whole number from 1 to %d", maxLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// parseSince reads a time written in RFC 3339 ("2025-03-01T00:00:00Z")
// or as a duration before now ("24h", "90m", "7d"). Empty and "all" mean
// the zero time: since the start.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := parseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, badRequest("since: want a time such as 2025-03-01T00:00:00Z or a duration such as 24h or 7d")
	}
	return now.Add(-d), nil
}

// parseDuration reads a Go duration, or a whole number of days ("7d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 100_000 {
			return 0, errors.New("not a number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// statuses are the delivery statuses, in the order the pages list them.
var statuses = []donorsync.DeliveryStatus{
	donorsync.Pending, donorsync.Processed, donorsync.Duplicate,
	donorsync.Failed, donorsync.Quarantined, donorsync.Dead,
}

// parseStatus reads a delivery status; empty means every status.
func parseStatus(s string) (donorsync.DeliveryStatus, error) {
	if s == "" {
		return "", nil
	}
	for _, st := range statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", badRequest("status: want one of pending, processed, duplicate, failed, quarantined, dead")
}

// A deliveryQuery selects deliveries of a tenant. Its DeliveryFilter's
// Kind is ?kind= as given: "-" (donorsync.NoKind) for deliveries without
// one, "report:*" for those whose kind starts with "report:".
type deliveryQuery struct {
	donorsync.DeliveryFilter
	SinceArg string // ?since= as given
}

// parseDeliveryQuery reads ?status=, ?provider=, ?kind=, ?since=,
// ?order=, ?after= and ?limit=; since is the ?since= to use when absent,
// and newest whether to list newest first when ?order= is absent.
func parseDeliveryQuery(r *http.Request, now time.Time, since string, newest bool) (deliveryQuery, error) {
	q := r.URL.Query()
	var dq deliveryQuery
	var err error
	if dq.Page, err = page(q); err != nil {
		return dq, err
	}
	if dq.Status, err = parseStatus(q.Get("status")); err != nil {
		return dq, err
	}
	if q.Has("since") {
		since = q.Get("since")
	}
	dq.SinceArg = since
	if dq.Since, err = parseSince(since, now); err != nil {
		return dq, err
	}
	if dq.NewestFirst, err = parseOrder(q.Get("order"), newest); err != nil {
		return dq, err
	}
	dq.Provider, dq.Kind = q.Get("provider"), q.Get("kind")
	return dq, nil
}

// parseOrder reads ?order=, newest or oldest (first), and reports whether
// it is newest first; empty means the caller's default, newest.
func parseOrder(s string, newest bool) (bool, error) {
	switch s {
	case "":
		return newest, nil
	case "newest":
		return true, nil
	case "oldest":
		return false, nil
	}
	return false, badRequest("order: want newest or oldest")
}

// order is the ?order= of q.
func (q deliveryQuery) order() string {
	if q.NewestFirst {
		return "newest"
	}
	return "oldest"
}
