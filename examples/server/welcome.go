package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// welcome is what the start-up text tells.
type welcome struct {
	addr        string
	cfg         *config
	creds       *credentials
	reconciling string // what the reconciliations do; "" when off
}

// show returns the value of the credential set by env when it may be
// printed: asked for with -print-credentials, generated at this start, or
// not a secret. Otherwise it says where the value is kept.
func (w welcome) show(env string) string {
	for _, f := range fields {
		if f.env != env {
			continue
		}
		if !f.secret || w.cfg.printCredentials || w.creds.generated[env] {
			return *f.get(w.creds)
		}
		if w.creds.fromEnv[env] {
			return "<$" + env + ">"
		}
		return "<in " + w.creds.path + ">"
	}
	return ""
}

// shownURL writes u without what may be secret in it: its user and
// password, its query.
func shownURL(u *url.URL) string {
	v := *u
	v.User, v.Fragment = nil, ""
	if v.RawQuery != "" {
		v.RawQuery = "…"
	}
	return v.String()
}

// moreAnedotSecrets returns the lines that tell the Anedot secret tokens
// accepted beside the first: each one when -print-credentials asks for
// them, else how many there are and where they are kept.
func (w welcome) moreAnedotSecrets() string {
	more := w.creds.AnedotSecrets
	where := "<in " + w.creds.path + ">"
	if w.creds.fromEnv[envAnedotSecrets] {
		where = "<$" + envAnedotSecrets + ">"
	}
	switch {
	case len(more) == 0:
		return "  Other webhooks' secret tokens: add them to " + envAnedotSecrets + " (comma-separated) or to anedot_secrets in " + w.creds.path + "\n"
	case !w.cfg.printCredentials:
		return fmt.Sprintf("  Secret token: %d more %s\n", len(more), where)
	}
	var lines strings.Builder
	for _, s := range more {
		fmt.Fprintf(&lines, "  Secret token: %s\n", s)
	}
	return lines.String()
}

// printed reports whether any secret is shown.
func (w welcome) printed() bool {
	return w.cfg.printCredentials || len(w.creds.generated) > 0
}

// printWelcome writes where the server listens and what to give each
// platform. Secrets are written only when generated at this start or
// when -print-credentials asks for them.
func printWelcome(out io.Writer, w welcome) {
	base := "http://" + w.addr
	store := "SQLite file " + w.cfg.db
	if w.cfg.postgres() {
		store = "PostgreSQL"
	}
	fmt.Fprintf(out, "donorsync is listening on %s (%s, %s mode)\n", w.addr, store, w.cfg.mode)
	if w.reconciling != "" {
		fmt.Fprintf(out, "Reconciling with ActBlue's reports: %s.\n", w.reconciling)
	}
	if u := w.cfg.forward; u != nil {
		fmt.Fprintf(out, "Forwarding every change to %s (as %q), signed as Standard Webhooks says with the secret %s\n",
			shownURL(u), w.cfg.forwardName, w.show(envForwardSecret))
	}
	fmt.Fprintf(out, "Credentials are kept in %s, readable by its owner only, or set by DONORSYNC_* variables.\n", w.creds.path)
	if w.printed() {
		fmt.Fprintln(out, "Put the server behind HTTPS before giving these URLs to the platforms.")
	} else {
		fmt.Fprintln(out, "Secrets are not shown: start with -print-credentials to show them.")
	}
	fmt.Fprintf(out, `
ActBlue (Integrations > Webhooks; types ActBlue Default, Default Refunds, Default Cancellations; one URL for all):
  Endpoint URL: %s/webhooks/actblue/%s
  Username:     %s
  Password:     %s

Anedot (one webhook per template type, all to this URL, each with its own secret token):
  URL:          %s/webhooks/anedot/%s
  Secret token: %s
%s
Action Network (API & Sync > Webhooks; trigger "All actions plus uploads"; the URL is the credential):
  URL:          %s/webhooks/actionnetwork/%s/%s

Operator pages (sign in with the admin token): %s/admin/
Read API (Authorization: Bearer <admin token>):
  curl -H 'Authorization: Bearer %s' %s/api/%s/donations

Send sample deliveries:
  go run ./examples/send -url %s -actblue-user '%s' -actblue-password '%s' -anedot-secret '%s' -actionnetwork-token '%s'
`,
		base, tenant, w.show("DONORSYNC_ACTBLUE_USER"), w.show("DONORSYNC_ACTBLUE_PASSWORD"),
		base, tenant, w.show("DONORSYNC_ANEDOT_SECRET"), w.moreAnedotSecrets(),
		base, tenant, w.show("DONORSYNC_ACTIONNETWORK_TOKEN"),
		base, w.show("DONORSYNC_ADMIN_TOKEN"), base, tenant,
		base, w.show("DONORSYNC_ACTBLUE_USER"), w.show("DONORSYNC_ACTBLUE_PASSWORD"), w.show("DONORSYNC_ANEDOT_SECRET"), w.show("DONORSYNC_ACTIONNETWORK_TOKEN"))
}
