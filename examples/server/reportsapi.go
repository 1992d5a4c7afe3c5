package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync/actblue/reports"
)

// The variables that give the ActBlue CSV API credential, for the
// reconcile command, -reconcile-every and -backfill-from.
const (
	envClientUUID   = "DONORSYNC_ACTBLUE_CLIENT_UUID"
	envClientSecret = "DONORSYNC_ACTBLUE_CLIENT_SECRET"
	envAPIURL       = "DONORSYNC_ACTBLUE_API_URL"
	envAPIBudget    = "DONORSYNC_ACTBLUE_API_BUDGET"
)

// reportsClient returns a client of ActBlue's CSV API with the credential
// getenv gives. Both halves of the credential must be set; the API's
// address and the budget of requests a minute may be.
func reportsClient(getenv func(string) string) (*reports.Client, error) {
	c := &reports.Client{UUID: getenv(envClientUUID), Secret: getenv(envClientSecret), BaseURL: getenv(envAPIURL)}
	var missing []string
	if c.UUID == "" {
		missing = append(missing, envClientUUID)
	}
	if c.Secret == "" {
		missing = append(missing, envClientSecret)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the ActBlue API credential is missing: %s not set; set %s and %s to the client UUID and secret of a credential made in the ActBlue dashboard (Admin > API Credentials)",
			strings.Join(missing, " and "), envClientUUID, envClientSecret)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%s is %q: want an http:// or https:// URL such as %s", envAPIURL, c.BaseURL, reports.DefaultBaseURL)
		}
	}
	if s := getenv(envAPIBudget); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s is %q: want a whole number of requests a minute, at least 1", envAPIBudget, s)
		}
		c.Budget = n
	}
	return c, nil
}

// explain adds to an error of a reconciliation what to do about it when
// ActBlue refused the credential.
func explain(err error) error {
	if errors.Is(err, reports.ErrUnauthorized) {
		return fmt.Errorf("ActBlue refused the API credential: check %s and %s (the credential may have been revoked): %w", envClientUUID, envClientSecret, err)
	}
	return err
}

// eastern is ActBlue's calendar: its reports are of days in US Eastern
// time. The time zone database is embedded (donorsync/flex imports
// time/tzdata), so loading it does not fail; UTC is the fallback if it
// ever does.
var eastern = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// actBlueDay returns the day t falls on in ActBlue's calendar, as
// midnight UTC.
func actBlueDay(t time.Time) time.Time {
	y, m, d := t.In(eastern).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseDay reads a day written YYYY-MM-DD, set by origin (a flag, as
// "-from", or a variable).
func parseDay(origin, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is %q: want a date written YYYY-MM-DD", origin, s)
	}
	return t, nil
}
