package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Type is the kind of a report: its csv_type.
type Type string

// The reports ActBlue writes.
const (
	Paid               Type = "paid_contributions"                // line items paid in the range
	Refunded           Type = "refunded_contributions"            // line items refunded in the range
	CancelledRecurring Type = "cancelled_recurring_contributions" // recurring series cancelled in the range
	ManagedForm        Type = "managed_form_contributions"        // gifts through forms the entity manages
)

// request asks for a report of the days [start, end) and returns its id.
func (c *Client) request(ctx context.Context, typ Type, start, end time.Time) (string, error) {
	body, err := json.Marshal(map[string]string{
		"csv_type":         string(typ),
		"date_range_start": start.Format(time.DateOnly),
		"date_range_end":   end.Format(time.DateOnly),
	})
	if err != nil {
		return "", err
	}
	resp, err := c.send(ctx, "request", true, func() (*http.Request, error) {
		req, err := c.apiRequest(ctx, http.MethodPost, "/api/v1/csvs", bytes.NewReader(body))
		if req != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	})
	if err != nil {
		return "", err
	}
	var answer struct{ ID string }
	if err := decode(resp, &answer); err != nil || answer.ID == "" {
		return "", fmt.Errorf("reports: request: no report id in the answer (%v)", err)
	}
	return answer.ID, nil
}

// await polls report id until it is complete, and returns its download
// link.
func (c *Client) await(ctx context.Context, id string) (string, error) {
	for range c.maxPolls() {
		resp, err := c.send(ctx, "poll", true, func() (*http.Request, error) {
			return c.apiRequest(ctx, http.MethodGet, "/api/v1/csvs/"+url.PathEscape(id), nil)
		})
		if err != nil {
			return "", err
		}
		var answer struct {
			Status      string
			DownloadURL string `json:"download_url"`
		}
		if err := decode(resp, &answer); err != nil {
			return "", fmt.Errorf("reports: poll %s: %w", id, err)
		}
		switch {
		case answer.Status == "failed":
			return "", fmt.Errorf("%w: report %s", ErrReportFailed, id)
		case answer.Status == "complete" && answer.DownloadURL != "":
			return answer.DownloadURL, nil
		}
		if err := c.sleep(ctx, c.interval()); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("reports: report %s still not written after %d polls", id, c.maxPolls())
}

// download opens link, a pre-signed storage link: no credential is sent.
// A link that has expired gives errExpired.
func (c *Client) download(ctx context.Context, link string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, "download", false, func() (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	})
	if err != nil {
		if se, ok := err.(*StatusError); ok && expired(se.StatusCode) {
			return nil, fmt.Errorf("%w: %w", errExpired, err)
		}
		return nil, err
	}
	return resp.Body, nil
}

func (c *Client) apiRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL()+path, body)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	req.SetBasicAuth(c.UUID, c.Secret)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// decode reads resp's JSON body into v, at most 1 MiB of it, and closes it.
func decode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
