package donorsync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/observe"
)

// An Ingester is the sync engine: it journals deliveries and applies their
// events to a Store. All matching, merging and status logic lives here,
// once, whatever the store.
//
// The zero value is not usable: set Store. An Ingester is safe for
// concurrent use; do not change its fields after first use, and do not
// copy it.
type Ingester struct {
	// Store holds the journal and the records. Required.
	Store Store

	// Policy decides which stored contact a delivery's donor is.
	// Nil means dedup.DefaultPolicy.
	Policy dedup.Policy

	// Logger receives one record per failure. Nil means slog.Default().
	Logger *slog.Logger

	// Now is the engine's clock. Nil means time.Now.
	Now func() time.Time

	// ConflictRetries is how many times a transaction that lost a race
	// (ErrConflict) is retried. Zero means 10.
	ConflictRetries int

	// MaxAttempts is how many times applying a delivery is tried before it
	// is moved to Dead. Zero means 8.
	MaxAttempts int

	// Backoff returns how long to wait before the next attempt after the
	// given number of failed ones. Nil means DefaultBackoff.
	Backoff func(attempts int) time.Duration

	// RecordChanges turns the change feed on: every record the Ingester
	// creates or changes appends a change to its tenant's feed, in the
	// same transaction (see package change, and Feed to consume it).
	RecordChanges bool

	// Observer is told what the Ingester, and the Handlers and Workers
	// that use it, do (see package observe). Nil means no observation,
	// at no cost.
	Observer observe.Observer

	modelOnce sync.Once
	model     batch.Model // what Store declares, read once

	group committer  // group commit of Receive's and Enqueue's transactions
	ahead *readAhead // its Workers' batches prepared ahead, when the model allows
}

// DefaultBackoff waits 2^(attempts-1) seconds, at most an hour: 1 s, 2 s,
// 4 s, ... 2 min 8 s after the eighth failure.
func DefaultBackoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	if attempts > 13 {
		return time.Hour
	}
	return min(time.Duration(1<<(attempts-1))*time.Second, time.Hour)
}

// execution returns the model the Store declares, and the read-ahead
// pipeline it allows (nil when none), chosen once.
func (g *Ingester) execution() (batch.Model, *readAhead) {
	g.modelOnce.Do(func() {
		g.model = batch.ModelOf(g.Store)
		if g.model.ReadAhead && g.model.Writers <= 1 {
			g.ahead = &readAhead{g: g, model: g.model}
		}
	})
	return g.model, g.ahead
}

func (g *Ingester) backoff(attempts int) time.Duration {
	if g.Backoff != nil {
		return g.Backoff(attempts)
	}
	return DefaultBackoff(attempts)
}

func (g *Ingester) maxAttempts() int {
	if g.MaxAttempts <= 0 {
		return 8
	}
	return g.MaxAttempts
}

func (g *Ingester) policy() dedup.Policy {
	if g.Policy == nil {
		return dedup.DefaultPolicy{}
	}
	return g.Policy
}

func (g *Ingester) logger() *slog.Logger {
	if g.Logger == nil {
		return slog.Default()
	}
	return g.Logger
}

func (g *Ingester) now() time.Time {
	if g.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return g.Now().UTC().Truncate(time.Microsecond)
}

// update runs fn in a store transaction, retrying when it loses a race.
func (g *Ingester) update(ctx context.Context, fn func(Tx) error) error {
	retries := g.ConflictRetries
	if retries <= 0 {
		retries = 10
	}
	for attempt := 0; ; attempt++ {
		err := g.Store.Update(ctx, fn)
		if err == nil || !errors.Is(err, ErrConflict) || attempt >= retries {
			return err
		}
		// Back off a little, more each time, so that racing transactions
		// spread out.
		t := time.NewTimer(time.Duration(attempt+1) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// text makes s safe to store in any text column: valid UTF-8, no NUL.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// logError returns a log attribute for err that carries no personal data:
// an error that can log itself (a *DecodeError, a *flex.Error) does so;
// others are engine or store errors, logged as text.
func logError(err error) slog.Attr {
	var lv slog.LogValuer
	if errors.As(err, &lv) {
		return slog.Any("error", lv)
	}
	return slog.String("error", err.Error())
}

// NewID returns a new random identifier with the given prefix, such as
// "ct_0192f1c3a4b5e6f7a8b9c0d1e2f3a4b5". Identifiers of one prefix sort by
// creation time to the millisecond.
func NewID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms.
		panic("donorsync: crypto/rand failed: " + err.Error())
	}
	ms := strconv.FormatInt(time.Now().UnixMilli(), 16)
	for len(ms) < 12 {
		ms = "0" + ms
	}
	return prefix + "_" + ms + hex.EncodeToString(b[:])
}
