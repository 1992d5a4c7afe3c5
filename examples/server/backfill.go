package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/donorsync/donorsync/actblue/reconcile"
)

// A backfill reconciles, with Apply, the days from a first day to today,
// once: its completion is recorded in a file, so that a restart does not
// repeat it. One stopped half-way (even by SIGKILL) runs again from the
// start at the next start; every row carries its own idempotency key, so
// that nothing is applied twice.
type backfill struct {
	from time.Time
	path string // the record of its completion

	mu   sync.Mutex
	done *backfillRecord // nil until completed
}

// backfillRecord is what the record of a completed backfill holds.
type backfillRecord struct {
	From        string    `json:"from"` // YYYY-MM-DD
	To          string    `json:"to"`   // exclusive
	CompletedAt time.Time `json:"completed_at"`
	Rows        int       `json:"rows"`
	Applied     int       `json:"applied"`
}

// backfillPath returns where the completion of a backfill into the
// database of c is recorded: beside the SQLite file, or
// donorsync.backfill.json for PostgreSQL.
func backfillPath(c *config) string {
	if c.postgres() {
		return "donorsync.backfill.json"
	}
	return c.db + ".backfill.json"
}

// newBackfill returns the backfill from the day from, recorded at path,
// done when path records a backfill from that day or an earlier one.
func newBackfill(from time.Time, path string, logger *slog.Logger) (*backfill, error) {
	b := &backfill{from: from, path: path}
	if err := tighten(logger, path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	var rec backfillRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		logger.Warn("the backfill's record cannot be read: the backfill runs again", "path", path, "err", err)
		return b, nil
	}
	if rec.From <= day(from) {
		b.done = &rec
	}
	return b, nil
}

// pending reports whether b is to run: asked for and not completed.
func (b *backfill) pending() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done == nil
}

// complete records that b has run, as rep says. A record that cannot be
// written is logged: the backfill then runs again at the next start.
func (b *backfill) complete(rep *reconcile.Report, logger *slog.Logger) {
	rec := &backfillRecord{From: day(rep.From), To: day(rep.To), CompletedAt: time.Now().UTC(), Rows: rep.Rows, Applied: rep.Applied}
	b.mu.Lock()
	b.done = rec
	b.mu.Unlock()
	data, err := json.MarshalIndent(rec, "", "  ")
	if err == nil {
		err = writePrivate(b.path, append(data, '\n'))
	}
	if err != nil {
		logger.Warn("the backfill's completion could not be recorded: it runs again at the next start", "path", b.path, "err", err)
		return
	}
	logger.Info("backfill complete", "from", rec.From, "to", rec.To, "rows", rec.Rows, "applied", rec.Applied, "record", b.path)
}

// record returns b's completion, nil when it has not completed.
func (b *backfill) record() *backfillRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}
