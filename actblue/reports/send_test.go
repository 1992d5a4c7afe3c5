package reports

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue/reports/reportstest"
)

func TestRowsHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{Polls: 3, Limit: 2, RetryAfter: "60"})
	c, clk := newClient(srv)
	if _, err := collect(c, Paid, date(2024, 1, 1), date(2024, 2, 1)); err != nil {
		t.Fatal(err)
	}
	long := 0
	for _, d := range clk.sleeps {
		if d >= 60*time.Second {
			long++
		}
	}
	if long != 2 {
		t.Errorf("sleeps = %v, want two of at least Retry-After (60s)", clk.sleeps)
	}
}

func TestRowsBacksOffOnUnavailable(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{Unavailable: 3})
	c, clk := newClient(srv)
	c.Backoff, c.MaxBackoff = time.Second, 3*time.Second
	if _, err := collect(c, Paid, date(2024, 1, 1), date(2024, 2, 1)); err != nil {
		t.Fatal(err)
	}
	// Waits of 1s, 2s and 3s (capped), each with a random half kept.
	ceilings := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if len(clk.sleeps) != 3 {
		t.Fatalf("sleeps = %v, want 3", clk.sleeps)
	}
	for i, d := range clk.sleeps {
		if d < ceilings[i]/2 || d > ceilings[i] {
			t.Errorf("wait %d = %v, want between %v and %v", i, d, ceilings[i]/2, ceilings[i])
		}
	}
}

func TestRowsGivesUpAfterAttempts(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{Unavailable: 100})
	c, _ := newClient(srv)
	c.Attempts = 4
	_, err := collect(c, Paid, date(2024, 1, 1), date(2024, 2, 1))
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 || se.Op != "request" {
		t.Fatalf("err = %v, want the 503 of the request", err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4 (the attempts)", n)
	}
}

func TestRowsKeepsToTheBudget(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{Polls: 20})
	c, clk := newClient(srv)
	c.Budget, c.PollInterval = 4, time.Second
	if _, err := collect(c, Paid, date(2024, 1, 1), date(2024, 2, 1)); err != nil {
		t.Fatal(err)
	}
	// Every request but the download (the last) is to the API: no five
	// of them may start within a minute.
	api := clk.starts[:len(clk.starts)-1]
	if len(api) != 22 {
		t.Fatalf("%d API requests, want 22", len(api))
	}
	for i := 4; i < len(api); i++ {
		if d := api[i].Sub(api[i-4]); d < time.Minute {
			t.Errorf("requests %d and %d started %v apart: 5 in less than a minute", i-4, i, d)
		}
	}
}

func TestRowsStopsWithTheContext(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{Polls: 1000})
	c, clk := newClient(srv)
	ctx, cancel := context.WithCancel(context.Background())
	sleep := clk.sleep
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if len(clk.sleeps) == 3 {
			cancel()
		}
		return sleep(ctx, d)
	}
	var err error
	for _, err = range c.Rows(ctx, Paid, date(2024, 1, 1), date(2024, 2, 1)) {
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := len(srv.Requests()); n != 5 {
		t.Errorf("%d requests, want 5 (a request and 4 polls)", n)
	}
}

func TestDownloadSendsNoCredential(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reportstest.Options{})
	c, _ := newClient(srv)
	c.init()
	link, err := c.await(context.Background(), mustRequest(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, srv.URL+"/download/") {
		t.Fatalf("link = %q", link)
	}
	body, err := c.download(context.Background(), link)
	if err != nil {
		t.Fatal(err) // the fake answers 400 to a credential
	}
	body.Close()
	if _, err := c.download(context.Background(), link); !errors.Is(err, errExpired) {
		t.Errorf("a link used twice: err = %v, want errExpired", err)
	}
}

func mustRequest(t *testing.T, c *Client) string {
	t.Helper()
	id, err := c.request(context.Background(), Paid, date(2024, 1, 1), date(2024, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	c := &Client{Backoff: time.Millisecond, MaxBackoff: time.Millisecond}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.now = clk.now
	for v, want := range map[string]time.Duration{
		"30":                            30 * time.Second,
		"Thu, 01 Jan 2026 00:02:00 GMT": 2 * time.Minute,
		"86400":                         time.Hour, // at most
		"soon":                          time.Millisecond,
		"":                              time.Millisecond,
	} {
		if got := c.backoff(0, v); got < want/2 || got > want {
			t.Errorf("backoff with Retry-After %q = %v, want %v", v, got, want)
		}
	}
}
