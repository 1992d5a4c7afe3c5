package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/donorsync/donorsync"
)

// deliveryView is a delivery as the operator commands print it in JSON.
type deliveryView struct {
	ID            string              `json:"id"`
	Provider      string              `json:"provider"`
	Kind          string              `json:"kind,omitempty"`
	Key           string              `json:"key"`
	ReceivedAt    time.Time           `json:"received_at"`
	Status        string              `json:"status"`
	DuplicateOf   string              `json:"duplicate_of,omitempty"`
	Attempts      int                 `json:"attempts"`
	Error         string              `json:"error,omitempty"`
	UpdatedAt     time.Time           `json:"updated_at"`
	NextAttemptAt *time.Time          `json:"next_attempt_at,omitempty"`
	History       []donorsync.Attempt `json:"history,omitempty"`
	Body          string              `json:"body,omitempty"`
}

func viewOf(d *donorsync.Delivery, body bool) deliveryView {
	v := deliveryView{ID: d.ID, Provider: d.Provider, Kind: d.Kind, Key: d.Key, ReceivedAt: d.ReceivedAt,
		Status: string(d.Status), DuplicateOf: d.DuplicateOf, Attempts: d.Attempts, Error: d.Error,
		UpdatedAt: d.UpdatedAt, History: d.History}
	if !d.NextAttemptAt.IsZero() {
		v.NextAttemptAt = &d.NextAttemptAt
	}
	if body {
		v.Body = string(d.Body)
	}
	return v
}

// writeDelivery writes d for people: its fields, its history, and with
// body its raw body.
func writeDelivery(w io.Writer, d *donorsync.Delivery, body bool) error {
	var b strings.Builder
	line := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-14s %s\n", name+":", v)
		}
	}
	line("Delivery", d.ID)
	line("Provider", d.Provider)
	line("Kind", d.Kind)
	line("Key", d.Key)
	line("Received", d.ReceivedAt.UTC().Format(time.RFC3339))
	line("Status", fmt.Sprintf("%s after %d attempts, at %s", d.Status, d.Attempts, d.UpdatedAt.UTC().Format(time.RFC3339)))
	line("Duplicate of", d.DuplicateOf)
	line("Error", d.Error)
	if !d.NextAttemptAt.IsZero() {
		line("Next attempt", d.NextAttemptAt.UTC().Format(time.RFC3339))
	}
	for i, a := range d.History {
		line(fmt.Sprintf("Attempt %d", i+1), fmt.Sprintf("%s at %s %s", a.Status, a.At.UTC().Format(time.RFC3339), a.Error))
	}
	line("Body", fmt.Sprintf("%d bytes", len(d.Body)))
	if body {
		b.WriteString("\n")
		b.Write(d.Body)
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// decoders returns the server's sources with throwaway credentials: they
// decode deliveries as the server does, and authenticate no request.
func decoders() (map[string]donorsync.Source, error) {
	c := &credentials{generated: map[string]bool{}}
	var all []string
	for _, f := range fields {
		all = append(all, f.env)
	}
	if err := c.generate(all); err != nil {
		return nil, err
	}
	list, err := newSources(c)
	if err != nil {
		return nil, err
	}
	out := map[string]donorsync.Source{}
	for _, s := range list {
		out[s.Provider()] = s
	}
	return out, nil
}

// replayOne replays the delivery id and prints its outcome.
func replayOne(ctx context.Context, w io.Writer, g *donorsync.Ingester, sources map[string]donorsync.Source, tenant, id string) error {
	var d *donorsync.Delivery
	err := g.Store.View(ctx, func(tx donorsync.Tx) error {
		var err error
		d, err = tx.Delivery(ctx, tenant, id)
		return err
	})
	if err != nil {
		return err
	}
	src := sources[d.Provider]
	if src == nil {
		return fmt.Errorf("no source decodes deliveries of %q", d.Provider)
	}
	if d, err = g.Replay(ctx, src, tenant, id); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s: %s%s\n", d.ID, d.Status, suffix(": ", d.Error))
	return err
}

// replayAll replays the deliveries of status received since from, of
// every provider, and prints how many.
func replayAll(ctx context.Context, w io.Writer, g *donorsync.Ingester, sources map[string]donorsync.Source, tenant string,
	status donorsync.DeliveryStatus, from time.Time) error {
	total := 0
	for _, p := range []string{"actblue", "anedot", "actionnetwork"} {
		n, err := g.ReplayAll(ctx, sources[p], tenant, status, from)
		total += n
		if err != nil {
			return fmt.Errorf("%s: %w (%d replayed before)", p, err, total)
		}
	}
	_, err := fmt.Fprintf(w, "replayed %d %s deliveries\n", total, status)
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// shorten cuts s to n runes, marking the cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
