package reports

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// DefaultBaseURL is where ActBlue serves its CSV API.
const DefaultBaseURL = "https://secure.actblue.com"

// A Client requests ActBlue's CSV reports with one API credential. Its
// fields are read at its first request and must not change after; the
// zero value of each means its default. A Client may be used by several
// goroutines at once: they share its budget of requests.
type Client struct {
	UUID   string // the credential's client UUID
	Secret string // the credential's client secret

	BaseURL    string       // DefaultBaseURL when empty
	HTTPClient *http.Client // http.DefaultClient when nil

	// Budget requests to the API may start in any Window: 10 a minute by
	// default. Downloads, from ActBlue's storage, are not counted.
	Budget int
	Window time.Duration

	// PollInterval is the wait between two polls of a report being
	// written: 5 seconds by default.
	PollInterval time.Duration

	// Backoff is the first wait after a 429 or 5xx answer, doubled at each
	// attempt after it, with jitter, up to MaxBackoff: 2 seconds and 2
	// minutes by default. A longer Retry-After is honoured.
	Backoff, MaxBackoff time.Duration

	// Attempts bounds the tries at one request (6 by default), and the
	// fresh links asked for one report when they keep expiring.
	Attempts int

	// MaxPolls bounds the polls of one report before giving up: 720 by
	// default (an hour at the default interval).
	MaxPolls int

	// now and sleep are the clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	once   sync.Once
	budget budget
}

func (c *Client) init() {
	c.once.Do(func() {
		c.budget = budget{n: orDefault(c.Budget, 10), window: orDefault(c.Window, time.Minute)}
		if c.now == nil {
			c.now = time.Now
		}
		if c.sleep == nil {
			c.sleep = sleep
		}
	})
}

func (c *Client) baseURL() string         { return orDefault(c.BaseURL, DefaultBaseURL) }
func (c *Client) attempts() int           { return orDefault(c.Attempts, 6) }
func (c *Client) maxPolls() int           { return orDefault(c.MaxPolls, 720) }
func (c *Client) interval() time.Duration { return orDefault(c.PollInterval, 5*time.Second) }

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
