package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// send does one call, retrying it on 429 and 5xx answers and on network
// errors, up to c.Attempts tries. A call to the API (api) waits for the
// budget before each try. It returns the first answer below 400; the
// caller closes its body.
func (c *Client) send(ctx context.Context, op string, api bool, newReq func() (*http.Request, error)) (*http.Response, error) {
	var last error
	for attempt := range c.attempts() {
		if api {
			if err := c.budget.wait(ctx, c.now, c.sleep); err != nil {
				return nil, err
			}
		}
		req, err := newReq()
		if err != nil {
			return nil, err
		}
		resp, err := c.httpClient().Do(req)
		var retryAfter string
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			last = fmt.Errorf("reports: %s: %w", op, err)
		case resp.StatusCode < 400:
			return resp, nil
		default:
			retryAfter = resp.Header.Get("Retry-After")
			last = statusError(op, resp)
			if !retryable(resp.StatusCode) {
				return nil, last
			}
		}
		if attempt+1 == c.attempts() {
			break
		}
		if err := c.sleep(ctx, c.backoff(attempt, retryAfter)); err != nil {
			return nil, err
		}
	}
	return nil, last
}

func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// statusError reads the start of resp's body into a *StatusError, and
// closes it.
func statusError(op string, resp *http.Response) *StatusError {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return &StatusError{Op: op, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(b))}
}

// backoff is the wait after the failed try number attempt (from 0):
// Backoff doubled at each try, capped at MaxBackoff, of which a random
// half is kept (jitter); no less than Retry-After (at most an hour).
func (c *Client) backoff(attempt int, retryAfter string) time.Duration {
	base := orDefault(c.Backoff, 2*time.Second)
	ceiling := orDefault(c.MaxBackoff, 2*time.Minute)
	d := ceiling
	if attempt < 30 && base<<attempt < ceiling {
		d = base << attempt
	}
	d = d/2 + rand.N(d/2+1)
	return max(d, min(c.retryAfter(retryAfter), time.Hour))
}

// retryAfter is the wait a Retry-After header asks for: seconds or an
// HTTP date. Zero when there is none.
func (c *Client) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(c.now())
	}
	return 0
}

// errExpired is the answer of a download link that no longer works.
var errExpired = errors.New("reports: download link expired")

// expired reports whether a download answered code because its link has
// expired (storage answers 403 to an expired pre-signed link) or was
// already used.
func expired(code int) bool {
	return code == http.StatusForbidden || code == http.StatusNotFound || code == http.StatusGone
}
