package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// config is what the flags say.
type config struct {
	addr, db, mode, credPath         string
	headerTimeout, readTimeout       time.Duration
	printCredentials, newCredentials bool

	reconcileEvery time.Duration
	reconcileDays  int
	backfillFrom   time.Time // zero: no backfill

	metricsAddr string // "": /metrics on addr, behind the admin token

	forward         *url.URL // nil: no forwarding
	forwardName     string   // the consumer name of the forwarding's cursor
	forwardTimeout  time.Duration
	forwardRetryMax time.Duration
}

const usage = `Usage: server [flags]
       server reconcile [-from YYYY-MM-DD] [-to YYYY-MM-DD] [-apply] [-json] [-db PATH|URL] [-tenant T]
       server status | deliveries | show | replay [flags]   (operator commands; -h for each)

A donorsync receiver for ActBlue, Anedot and Action Network (tenant
"default"). The webhook credentials are generated on first start and kept
in -credentials; these variables, where set, take precedence:
DONORSYNC_ACTBLUE_USER, DONORSYNC_ACTBLUE_PASSWORD, DONORSYNC_ANEDOT_SECRET,
DONORSYNC_ACTIONNETWORK_TOKEN, DONORSYNC_ADMIN_TOKEN, and with -forward
DONORSYNC_FORWARD_SECRET. The secret tokens of more Anedot webhooks (one per
template type) go in DONORSYNC_ANEDOT_SECRETS, comma-separated, or in
anedot_secrets in the credentials file.

-forward posts every change to the records to a URL, signed as Standard
Webhooks says (docs/forwarding.md).

-reconcile-every, -backfill-from and the reconcile command read ActBlue's
reports with the CSV API credential in DONORSYNC_ACTBLUE_CLIENT_UUID and
DONORSYNC_ACTBLUE_CLIENT_SECRET; DONORSYNC_ACTBLUE_API_URL (default
https://secure.actblue.com) and DONORSYNC_ACTBLUE_API_BUDGET (requests a
minute, default 10) are optional. "server reconcile -h" describes the
command; "go doc ./examples/server" all of it.

Each flag may also be set by the variable named beside it, DONORSYNC_ and
the flag in upper snake case; a flag given wins over its variable.

Flags:
`

// parseFlags reads the server's flags from args, and those args leave
// unset from their variables (see parseWithEnv); -h and errors in args
// are written to output.
func parseFlags(args []string, getenv func(string) string, output io.Writer) (*config, error) {
	var c config
	var backfillFrom, forward string
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		io.WriteString(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.db, "db", "donorsync.db", "SQLite file, or a postgres:// URL")
	fs.StringVar(&c.mode, "mode", "queued", "inline (apply before answering) or queued (answer once journaled; a worker applies)")
	fs.DurationVar(&c.headerTimeout, "header-timeout", 5*time.Second, "time allowed to read a request's headers")
	fs.DurationVar(&c.readTimeout, "read-timeout", 15*time.Second, "time allowed to read a whole request; slower clients are dropped")
	fs.StringVar(&c.credPath, "credentials", "", "file that keeps the generated credentials (default: the SQLite file + .credentials.json, or donorsync.credentials.json)")
	fs.BoolVar(&c.printCredentials, "print-credentials", false, "print the credentials at start (they are printed unasked only when generated)")
	fs.BoolVar(&c.newCredentials, "new-credentials", false, "generate the credentials missing for an existing database (every platform must then be given the new ones)")
	fs.DurationVar(&c.reconcileEvery, "reconcile-every", 0, "reconcile the recent days with ActBlue's reports, applying what is missing, at start and this long after each run (0: never)")
	fs.IntVar(&c.reconcileDays, "reconcile-days", 3, "the recent days -reconcile-every reconciles: today and this many days before it")
	fs.StringVar(&backfillFrom, "backfill-from", "", "reconcile from this day (YYYY-MM-DD) to today once, at the first start, applying what is missing")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve GET /metrics on this address, without authentication (default: on -addr, with the admin token)")
	fs.StringVar(&forward, "forward", "", "POST every change to this `URL`, signed as Standard Webhooks says (see docs/forwarding.md)")
	fs.StringVar(&c.forwardName, "forward-name", "forward", "the name the forwarding's place in the change feed is kept under")
	fs.DurationVar(&c.forwardTimeout, "forward-timeout", 15*time.Second, "time allowed to each forwarding request; slower answers are failures, tried again")
	fs.DurationVar(&c.forwardRetryMax, "forward-retry-max", 5*time.Minute, "the longest wait before a change whose forwarding failed is tried again")
	from, err := parseWithEnv(fs, args, getenv)
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (commands, given first: reconcile, status, deliveries, show, replay)", fs.Arg(0))
	}
	if forward == "" && getenv(envForwardURL) != "" {
		forward, from["forward"] = getenv(envForwardURL), envForwardURL
	}
	if err := c.parseForward(forward, from); err != nil {
		return nil, err
	}
	if c.mode != "inline" && c.mode != "queued" {
		return nil, fmt.Errorf("%s is %q: want inline or queued", from.of("mode"), c.mode)
	}
	if err := c.parseReconcile(backfillFrom, from); err != nil {
		return nil, err
	}
	if c.credPath == "" {
		c.credPath = "donorsync.credentials.json"
		if !c.postgres() {
			c.credPath = c.db + ".credentials.json"
		}
	}
	return &c, nil
}

// parseReconcile checks the flags of the background reconciliations;
// o says where they were set.
func (c *config) parseReconcile(backfillFrom string, o origins) error {
	if c.reconcileEvery < 0 {
		return fmt.Errorf("%s is %v: want a duration, or 0 for never", o.of("reconcile-every"), c.reconcileEvery)
	}
	if c.reconcileDays < 0 {
		return fmt.Errorf("%s is %d: want 0 (today only) or more", o.of("reconcile-days"), c.reconcileDays)
	}
	if backfillFrom == "" {
		return nil
	}
	from, err := parseDay(o.of("backfill-from"), backfillFrom)
	if err != nil {
		return err
	}
	if from.After(actBlueDay(time.Now())) {
		return fmt.Errorf("%s %s is after today", o.of("backfill-from"), backfillFrom)
	}
	c.backfillFrom = from
	return nil
}

// reconciles reports whether c asks for reconciliations in the background.
func (c *config) reconciles() bool {
	return c.reconcileEvery > 0 || !c.backfillFrom.IsZero()
}

func (c *config) postgres() bool {
	return strings.HasPrefix(c.db, "postgres://") || strings.HasPrefix(c.db, "postgresql://")
}

// name names the database in messages, without a URL's password.
func (c *config) name() string {
	if c.postgres() {
		return "the PostgreSQL database"
	}
	return "SQLite file " + c.db
}
