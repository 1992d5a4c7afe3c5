package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
)

// The operator commands read and replay what the server's store holds,
// against the same -db, while the server runs: status, deliveries, show
// and replay.

const opsUsage = `Usage:
  server status [-db PATH|URL] [-tenant T] [-json]
  server deliveries [-status S] [-provider P] [-kind K] [-since 24h] [-oldest] [-after ID] [-limit 50] [-json] [-db ...] [-tenant T]
  server show [-body] [-json] [-db ...] [-tenant T] ID
  server replay [-db ...] [-tenant T] ID
  server replay -status dead|quarantined|failed [-since 24h] [-db ...] [-tenant T]

status prints what the operator page shows at a glance: the last delivery of
each platform, the last 24 hours by status, and the backlog. deliveries lists
deliveries, newest first (oldest first with -oldest), filtered by the store;
-after the last id listed gives the next page. show prints one, with its
history and, with -body, its raw body; replay applies one delivery again, or
every delivery of a status received since a time. Exit status: 0, or 2 on an
error.

`

// opsConfig is what the flags common to the operator commands say.
type opsConfig struct {
	db, tenant    string
	json          bool
	recordChanges bool // the server forwards changes (see recordsChanges)
	fs            *flag.FlagSet
}

// newOps returns the flag set of the operator command name with the
// common flags, which parse then reads.
func newOps(name string, stderr io.Writer) *opsConfig {
	c := &opsConfig{fs: flag.NewFlagSet("server "+name, flag.ContinueOnError)}
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() {
		io.WriteString(stderr, opsUsage)
		c.fs.PrintDefaults()
	}
	c.fs.StringVar(&c.db, "db", "donorsync.db", "the server's SQLite file, or a postgres:// URL")
	c.fs.StringVar(&c.tenant, "tenant", tenant, "the tenant")
	c.fs.BoolVar(&c.json, "json", false, "print JSON")
	return c
}

// parse reads the flags from args, and those args leave unset from their
// variables (see parseWithEnv).
func (c *opsConfig) parse(args []string, getenv func(string) string) (origins, error) {
	o, err := parseWithEnv(c.fs, args, getenv)
	c.recordChanges = recordsChanges(getenv)
	if err == nil && c.tenant == "" {
		err = errors.New("-tenant is empty")
	}
	return o, err
}

// runOps runs the operator command name and returns its exit status.
func runOps(ctx context.Context, name string, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := map[string]func(context.Context, []string, io.Writer, io.Writer, func(string) string) error{
		"status": cmdStatus, "deliveries": cmdDeliveries, "show": cmdShow, "replay": cmdReplay,
	}[name]
	err := cmd(ctx, args, stdout, stderr, getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "server %s: %v\n", name, err)
		return exitError
	}
	return 0
}

// open opens the store of c with an Ingester whose log goes to stderr.
func (c *opsConfig) open(ctx context.Context, stderr io.Writer) (*donorsync.Ingester, func(), error) {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	st, err := openExisting(ctx, c.db, logger)
	if err != nil {
		return nil, nil, err
	}
	return &donorsync.Ingester{Store: st, Logger: logger, RecordChanges: c.recordChanges}, func() { st.Close() }, nil
}

// writeJSON writes v as indented JSON.
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseSince reads a time given as a duration before now (24h), a day
// (2026-01-02) or an RFC 3339 time; "" is the zero time.
func parseSince(origin, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is %q: want a duration before now (24h), a day (2026-01-02) or an RFC 3339 time", origin, s)
}

// ago writes how long before now t was: "3m ago"; "never" for zero.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// counts writes counts by status in a fixed order: "processed 3, failed 1".
func counts(m map[donorsync.DeliveryStatus]int) string {
	var parts []string
	for _, s := range []donorsync.DeliveryStatus{donorsync.Processed, donorsync.Pending, donorsync.Duplicate,
		donorsync.Quarantined, donorsync.Failed, donorsync.Dead} {
		if n := m[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
