package reports

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue/reports/reportstest"
)

// clock is a fake clock: sleeping moves it on at once.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
	starts []time.Time // when each HTTP request started
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

// RoundTrip notes when a request starts, by the fake clock.
func (c *clock) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.starts = append(c.starts, c.t)
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// newClient is a client of srv on a fake clock.
func newClient(srv *reportstest.Server) (*Client, *clock) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := &Client{
		UUID: "uuid", Secret: "secret", BaseURL: srv.URL,
		HTTPClient: &http.Client{Transport: clk},
		now:        clk.now, sleep: clk.sleep,
	}
	return c, clk
}

// collect reads every row and the last error.
func collect(c *Client, typ Type, from, to time.Time) ([]Row, error) {
	var rows []Row
	for row, err := range c.Rows(context.Background(), typ, from, to) {
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// newServer starts a fake of the API, closed when t ends.
func newServer(t *testing.T, opts reportstest.Options) *reportstest.Server {
	srv := reportstest.New(opts)
	t.Cleanup(srv.Close)
	return srv
}
