package admin

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/donorsync/donorsync/observe"
)

// recentView is what a Recent counted, as the at-a-glance page shows it.
type recentView struct {
	Since   time.Time
	Rows    []requestRow
	Applied []AppliedCount
}

// A requestRow is a count of requests a provider's Handler answered the
// same way.
type requestRow struct {
	Provider string
	Answer   string // "200 processed", "401 wrong credential"
	Count    int
	Refused  bool // not journaled
	count    RequestCount
}

func newRecentView(c Counts) recentView {
	v := recentView{Since: c.Since, Applied: c.Applied}
	for _, rc := range c.Requests {
		v.Rows = append(v.Rows, requestRow{
			Provider: rc.Provider, Answer: answer(rc), Count: rc.Count, Refused: rc.Status >= 400, count: rc,
		})
	}
	return v
}

// causes says what the outcomes of refused requests mean.
var causes = map[observe.Outcome]string{
	observe.TooLarge:    "body too large",
	observe.WrongMethod: "not a POST",
	observe.Unreadable:  "body unreadable",
	observe.Busy:        "too many bodies in flight",
	observe.Unavailable: "store did not journal in time",
}

// answer writes how a request was answered: its status and its outcome,
// or for a 401 its cause.
func answer(rc RequestCount) string {
	what := string(rc.Outcome)
	switch {
	case rc.Outcome == observe.Unauthorized:
		what = "unauthorized"
		if rc.AuthFailure != "" {
			what = strings.ReplaceAll(string(rc.AuthFailure), "_", " ")
		}
	case causes[rc.Outcome] != "":
		what = causes[rc.Outcome]
	}
	return fmt.Sprintf("%d %s", rc.Status, what)
}

// alerts says what needs attention among the requests: credentials
// refused, a store that did not journal in time.
func (v recentView) alerts() []alert {
	var as []alert
	for _, row := range v.Rows {
		rc := row.count
		switch {
		case rc.AuthFailure == observe.WrongCredential:
			as = append(as, alert{Text: fmt.Sprintf("%d %s %s refused with a wrong credential since %s: check the credential the platform was given.",
				rc.Count, rc.Provider, plural(rc.Count, "request", "requests"), when(v.Since))})
		case rc.AuthFailure == observe.UnknownTenant:
			as = append(as, alert{Text: fmt.Sprintf("%d %s %s named an unknown tenant since %s: check the webhook's URL.",
				rc.Count, rc.Provider, plural(rc.Count, "request", "requests"), when(v.Since))})
		case rc.Status == http.StatusServiceUnavailable && rc.Outcome == observe.Unavailable:
			as = append(as, alert{Text: fmt.Sprintf("%d %s %s answered 503 since %s: the store did not journal them in time (the platform retries).",
				rc.Count, rc.Provider, plural(rc.Count, "request", "requests"), when(v.Since))})
		}
	}
	return as
}
