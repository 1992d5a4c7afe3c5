package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/donorsync/donorsync"
)

// cmdStatus prints what the operator page shows at a glance.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c := newOps("status", stderr)
	if _, err := c.parse(args, getenv); err != nil {
		return err
	}
	g, closeStore, err := c.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	now := time.Now().UTC()
	st, err := g.JournalStats(ctx, c.tenant, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	last := map[string]time.Time{}
	for _, f := range st.Last {
		last[f.Provider] = f.ReceivedAt
	}
	if c.json {
		return writeIndented(stdout, map[string]any{"tenant": c.tenant, "at": now, "last_received": last,
			"last_24h": st.Received, "backlog": st.Backlog, "oldest_pending": st.OldestPending})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Tenant %s at %s\n\nLast delivery received:\n", c.tenant, now.Format("2006-01-02 15:04 MST"))
	for _, p := range []string{"actblue", "anedot", "actionnetwork"} {
		fmt.Fprintf(&b, "  %-14s %s\n", p, ago(last[p], now))
	}
	if at := last["actblue"]; now.Sub(at) > 24*time.Hour {
		b.WriteString("  ! no ActBlue delivery for 24 hours\n")
	}
	fmt.Fprintf(&b, "\nLast 24 hours: %s\n", counts(st.Received))
	fmt.Fprintf(&b, "Backlog: %s", counts(st.Backlog))
	if !st.OldestPending.IsZero() {
		fmt.Fprintf(&b, "; the oldest received %s", ago(st.OldestPending, now))
	}
	b.WriteString("\nRejected requests are counted by the running server: see /admin/ or /metrics.\n")
	_, err = io.WriteString(stdout, b.String())
	return err
}

// cmdDeliveries lists deliveries, newest first unless -oldest.
func cmdDeliveries(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c := newOps("deliveries", stderr)
	var f donorsync.DeliveryFilter
	var status, since string
	var oldest bool
	c.fs.StringVar(&status, "status", "", "only deliveries of this status (pending, processed, duplicate, quarantined, failed, dead)")
	c.fs.StringVar(&f.Provider, "provider", "", "only deliveries of this platform")
	c.fs.StringVar(&f.Kind, "kind", "", `only deliveries of this kind: "-" for those without one, "report:*" for the rows of ActBlue's reports`)
	c.fs.StringVar(&since, "since", "24h", "only deliveries received since: a duration before now, a day or an RFC 3339 time")
	c.fs.BoolVar(&oldest, "oldest", false, "list the oldest first")
	c.fs.StringVar(&f.After, "after", "", "only deliveries listed after this id: older ones, or newer with -oldest (the next page)")
	c.fs.IntVar(&f.Limit, "limit", 50, "at most this many")
	o, err := c.parse(args, getenv)
	if err != nil {
		return err
	}
	if f.Limit < 1 {
		return errors.New("-limit: want 1 or more")
	}
	if f.Since, err = parseSince(o.of("since"), since, time.Now()); err != nil {
		return err
	}
	f.Status, f.NewestFirst = donorsync.DeliveryStatus(status), !oldest
	ds, err := c.deliveries(ctx, stderr, f)
	if err != nil {
		return err
	}
	if c.json {
		views := make([]deliveryView, len(ds))
		for i, d := range ds {
			views[i] = viewOf(d, false)
		}
		return writeIndented(stdout, views)
	}
	return deliveryTable(stdout, ds)
}

// deliveries lists the deliveries of c's tenant that f selects.
func (c *opsConfig) deliveries(ctx context.Context, stderr io.Writer, f donorsync.DeliveryFilter) ([]*donorsync.Delivery, error) {
	g, closeStore, err := c.open(ctx, stderr)
	if err != nil {
		return nil, err
	}
	defer closeStore()
	var ds []*donorsync.Delivery
	err = g.Store.View(ctx, func(tx donorsync.Tx) error {
		ds, err = tx.Deliveries(ctx, c.tenant, f)
		return err
	})
	return ds, err
}

// deliveryTable writes deliveries one per line.
func deliveryTable(w io.Writer, ds []*donorsync.Delivery) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tPROVIDER\tKIND\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tERROR")
	for _, d := range ds {
		next := "-"
		if !d.NextAttemptAt.IsZero() && (d.Status == donorsync.Failed || d.Status == donorsync.Pending) {
			next = d.NextAttemptAt.UTC().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.ReceivedAt.UTC().Format(time.DateTime), d.Provider,
			orDash(d.Kind), d.Status, d.Attempts, next, orDash(shorten(d.Error, 60)))
	}
	return tw.Flush()
}

// cmdShow prints one delivery, its history and, with -body, its body.
func cmdShow(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c := newOps("show", stderr)
	var body bool
	c.fs.BoolVar(&body, "body", false, "print the raw body too")
	if _, err := c.parse(args, getenv); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return errors.New("give the id of one delivery")
	}
	g, closeStore, err := c.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	var d *donorsync.Delivery
	if err := g.Store.View(ctx, func(tx donorsync.Tx) error {
		d, err = tx.Delivery(ctx, c.tenant, c.fs.Arg(0))
		return err
	}); err != nil {
		return err
	}
	if c.json {
		return writeIndented(stdout, viewOf(d, body))
	}
	return writeDelivery(stdout, d, body)
}

// cmdReplay applies one delivery again, or every delivery of a status
// received since a time.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	c := newOps("replay", stderr)
	var status, since string
	c.fs.StringVar(&status, "status", "", "replay every delivery of this status (dead, quarantined, failed) instead of one")
	c.fs.StringVar(&since, "since", "", "with -status: only those received since (24h, a day or an RFC 3339 time)")
	o, err := c.parse(args, getenv)
	if err != nil {
		return err
	}
	if (status == "") == (c.fs.NArg() != 1) {
		return errors.New("give the id of one delivery, or -status")
	}
	from, err := parseSince(o.of("since"), since, time.Now())
	if err != nil {
		return err
	}
	g, closeStore, err := c.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	sources, err := decoders()
	if err != nil {
		return err
	}
	if status != "" {
		return replayAll(ctx, stdout, g, sources, c.tenant, donorsync.DeliveryStatus(status), from)
	}
	return replayOne(ctx, stdout, g, sources, c.tenant, c.fs.Arg(0))
}
