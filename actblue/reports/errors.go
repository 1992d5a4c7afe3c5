package reports

import (
	"errors"
	"fmt"
	"net/http"
)

var (
	// ErrUnauthorized is wrapped by the error of a request ActBlue answered
	// 401: the client UUID or secret is wrong, or was revoked.
	ErrUnauthorized = errors.New("reports: ActBlue refused the API credential")

	// ErrInvalidRange is wrapped by the error of a request ActBlue answered
	// 422: the date range is not one it accepts.
	ErrInvalidRange = errors.New("reports: ActBlue refused the date range")

	// ErrReportFailed is wrapped by the error of a report whose status
	// ended "failed".
	ErrReportFailed = errors.New("reports: ActBlue could not write the report")
)

// StatusError is an answer of ActBlue that ends a request: one that is
// not retried (such as 401 or 422), or the last of the attempts at one
// that is (429, 5xx).
type StatusError struct {
	Op         string // "request", "poll" or "download"
	StatusCode int
	Body       string // the start of the answer's body
}

// Error implements error.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("reports: %s: %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Is reports 401 as [ErrUnauthorized] and 422 as [ErrInvalidRange].
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrInvalidRange:
		return e.StatusCode == http.StatusUnprocessableEntity
	}
	return false
}

// FieldError is a value of a typed column that could not be read. The
// row is still yielded with it, its other fields read.
type FieldError struct {
	Line   int // the line of the CSV where the row starts
	Column string
	Value  string
	Want   string // what the column holds: "money", "time", "integer"
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("reports: line %d: column %q: %q is not a %s", e.Line, e.Column, e.Value, e.Want)
}
