package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reconcile"
)

// The exit statuses of the reconcile command.
const (
	exitAgrees  = 0 // ActBlue and the store agree
	exitDiffers = 1 // they differ, whether the differences were applied or not
	exitError   = 2 // bad flags, credentials refused, store errors, ...
)

// reconcileConfig is what the flags of the reconcile command say.
type reconcileConfig struct {
	db, tenant  string
	from, to    time.Time
	apply, json bool
}

const reconcileUsage = `Usage: server reconcile [-from YYYY-MM-DD] [-to YYYY-MM-DD] [-apply] [-json] [-db PATH|URL] [-tenant T]

Compares ActBlue's paid, refunded and cancelled-recurring reports of the
days from -from (inclusive) to -to (exclusive) with the store, line item by
line item, and prints the differences; with -apply, journals and applies
the rows the store is missing, each once however often it is run. It may
run while the server runs, against the same -db.

The ActBlue API credential comes from DONORSYNC_ACTBLUE_CLIENT_UUID and
DONORSYNC_ACTBLUE_CLIENT_SECRET; DONORSYNC_ACTBLUE_API_URL changes where the
API is (default https://secure.actblue.com) and DONORSYNC_ACTBLUE_API_BUDGET
the requests a minute it is sent (default 10).

Exit status: 0 when nothing differs, 1 when something differs (applied or
not), 2 on an error.

`

// parseReconcileFlags reads the flags of the reconcile command from args,
// and those args leave unset from their variables (see parseWithEnv);
// today is the day of their defaults, in ActBlue's calendar.
func parseReconcileFlags(args []string, stderr io.Writer, getenv func(string) string, today time.Time) (*reconcileConfig, error) {
	var c reconcileConfig
	var from, to string
	fs := flag.NewFlagSet("server reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, reconcileUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&from, "from", today.AddDate(0, 0, -7).Format(time.DateOnly), "first day, inclusive (YYYY-MM-DD, ActBlue's calendar, US Eastern)")
	fs.StringVar(&to, "to", today.AddDate(0, 0, 1).Format(time.DateOnly), "day after the last, exclusive: tomorrow includes today")
	fs.BoolVar(&c.apply, "apply", false, "journal and apply the rows that mend missing gifts, refunds and cancellations")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON instead of a table")
	fs.StringVar(&c.db, "db", "donorsync.db", "the server's SQLite file, or a postgres:// URL")
	fs.StringVar(&c.tenant, "tenant", tenant, "the tenant ActBlue's deliveries are received as")
	o, err := parseWithEnv(fs, args, getenv)
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.from, err = parseDay(o.of("from"), from); err != nil {
		return nil, err
	}
	if c.to, err = parseDay(o.of("to"), to); err != nil {
		return nil, err
	}
	if !c.from.Before(c.to) {
		return nil, fmt.Errorf("%s %s is not before %s %s: -to is exclusive", o.of("from"), from, o.of("to"), to)
	}
	if c.tenant == "" {
		return nil, errors.New("-tenant is empty")
	}
	return &c, nil
}

// runReconcile runs the reconcile command and returns its exit status.
// The report goes to stdout; errors and the log to stderr.
func runReconcile(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := parseReconcileFlags(args, stderr, getenv, actBlueDay(time.Now()))
	if errors.Is(err, flag.ErrHelp) {
		return exitAgrees
	}
	if err == nil {
		var rep *reconcile.Report
		if rep, err = reconcileOnce(ctx, c, stderr, getenv); err == nil {
			if err = writeReport(stdout, rep, c.json); err == nil && rep.Differs() {
				return exitDiffers
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "server reconcile:", err)
		return exitError
	}
	return exitAgrees
}

// reconcileOnce opens the store, reads the credential and reconciles the
// days c says.
func reconcileOnce(ctx context.Context, c *reconcileConfig, stderr io.Writer, getenv func(string) string) (*reconcile.Report, error) {
	client, err := reportsClient(getenv)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	st, err := openExisting(ctx, c.db, logger)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	g := &donorsync.Ingester{Store: st, Logger: logger, RecordChanges: recordsChanges(getenv)}
	r := &reconcile.Reconciler{Reports: client, Ingester: g, Tenant: c.tenant, Apply: c.apply}
	rep, err := r.Run(ctx, c.from, c.to)
	err = explain(err)
	if err != nil && rep != nil && rep.Applied > 0 {
		err = fmt.Errorf("%w (%d rows were applied before it; run again to finish)", err, rep.Applied)
	}
	return rep, err
}

// openExisting opens the database of a server. Unlike the server, it does
// not create a SQLite file: a mistyped path is an error, not a new
// database.
func openExisting(ctx context.Context, db string, logger *slog.Logger) (store, error) {
	c := &config{db: db}
	if !c.postgres() {
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: give the server's -db", db)
		}
	}
	st, _, err := openStore(ctx, c, logger)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c.name(), err)
	}
	return st, nil
}

// writeReport writes rep as a table, or as indented JSON.
func writeReport(w io.Writer, rep *reconcile.Report, asJSON bool) error {
	if !asJSON {
		return rep.WriteTable(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
