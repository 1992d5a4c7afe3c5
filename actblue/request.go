package actblue

import (
	"bytes"
	"context"
	"net/http"
)

// NewRequest returns a POST request carrying body to url with c's Basic-Auth
// credentials, as ActBlue sends it. Use it in tests and to try an endpoint.
func NewRequest(ctx context.Context, url string, c Credential, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "donorsync-test")
	r.SetBasicAuth(c.Username, c.Password)
	return r, nil
}
