package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/change"
)

// envForwardSecret names the variable that sets the secret the forwarded
// changes are signed with, in place of the one the credentials file keeps.
const envForwardSecret = "DONORSYNC_FORWARD_SECRET"

// envForwardURL is another name of DONORSYNC_FORWARD, which -forward's
// variable takes precedence over.
const envForwardURL = "DONORSYNC_FORWARD_URL"

// forwardLease is how long a cursor of the forwarding Feed stays leased
// without renewal: the changes a process that died was forwarding are
// taken up again that long after, as its deliveries are (see serve).
const forwardLease = 10 * time.Second

// recordsChanges reports whether getenv turns the server's forwarding on
// (DONORSYNC_FORWARD, or DONORSYNC_FORWARD_URL): the commands that write
// to the store beside the server (reconcile -apply, replay) then record
// the changes they make, for the server to forward.
func recordsChanges(getenv func(string) string) bool {
	return getenv(envName("forward")) != "" || getenv(envForwardURL) != ""
}

// A forwarder posts each change to a receiver as a Standard Webhooks
// request: the change's JSON, signed with key (see signWebhook).
type forwarder struct {
	url    string
	host   string // the receiver, named in errors without the URL's path and query
	key    []byte
	client *http.Client
	now    func() time.Time
}

// newForwarder returns a forwarder to target that gives up on a request
// after timeout and follows no redirect.
func newForwarder(target *url.URL, key []byte, timeout time.Duration) *forwarder {
	return &forwarder{
		url: target.String(), host: target.Scheme + "://" + target.Host, key: key, now: time.Now,
		client: &http.Client{
			Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// forward posts c. An answer other than 2xx, a timeout or a connection
// error is an error, which says neither the body sent nor the answer's.
func (f *forwarder) forward(ctx context.Context, c change.Change) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("forward: encode change %s: %w", c.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("forward to %s: %w", f.host, err)
	}
	timestamp := f.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "donorsync")
	req.Header.Set("webhook-id", c.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(timestamp, 10))
	req.Header.Set("webhook-signature", signWebhook(f.key, c.ID, timestamp, body))
	resp, err := f.client.Do(req)
	if err != nil {
		// A *url.Error names the whole URL, which may hold a token.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("forward to %s: %w", f.host, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("forward to %s: answered %s", f.host, resp.Status)
	}
	return nil
}

// newForwarding returns the Feed that forwards the changes of st as cfg
// says, signed with the secret creds keep.
func newForwarding(cfg *config, st donorsync.Store, creds *credentials, logger *slog.Logger) (*donorsync.Feed, error) {
	origin := creds.path + ": forward_secret"
	if creds.fromEnv[envForwardSecret] {
		origin = envForwardSecret
	}
	key, err := parseWebhookSecret(origin, creds.ForwardSecret)
	if err != nil {
		return nil, err
	}
	f := newForwarder(cfg.forward, key, cfg.forwardTimeout)
	retryMax := cfg.forwardRetryMax
	return &donorsync.Feed{
		Store: st, Name: cfg.forwardName, Handle: f.forward, Lease: forwardLease, Logger: logger,
		Backoff: func(attempts int) time.Duration { return min(donorsync.DefaultBackoff(attempts), retryMax) },
	}, nil
}

// parseForward checks the flags of the forwarding, -forward's URL among
// them (raw); o says where they were set.
func (c *config) parseForward(raw string, o origins) error {
	if c.forwardTimeout <= 0 {
		return fmt.Errorf("%s is %v: want a duration above 0", o.of("forward-timeout"), c.forwardTimeout)
	}
	if c.forwardRetryMax <= 0 {
		return fmt.Errorf("%s is %v: want a duration above 0", o.of("forward-retry-max"), c.forwardRetryMax)
	}
	if c.forwardName == "" {
		return fmt.Errorf("%s is empty: want the name the forwarding's cursor is kept under", o.of("forward-name"))
	}
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not the value: a URL may hold a token.
		return fmt.Errorf("%s is not an http:// or https:// URL with a host", o.of("forward"))
	}
	c.forward = u
	return nil
}
