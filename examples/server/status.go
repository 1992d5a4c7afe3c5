package main

import (
	"maps"
	"net/http"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue/reconcile"
)

// reconcileStatus is what the server's reconciliations have done since
// it started, as GET /api/{tenant}/reconciliation answers it.
type reconcileStatus struct {
	Enabled  bool            `json:"enabled"`
	Tenant   string          `json:"tenant,omitempty"`
	Every    string          `json:"every,omitempty"` // "" when there are no periodic runs
	Days     int             `json:"days"`
	Backfill *backfillStatus `json:"backfill,omitempty"`

	// Totals over the runs since the server started.
	Runs     int                    `json:"runs"`
	Failures int                    `json:"failures"`
	Rows     int                    `json:"rows"`
	Applied  int                    `json:"applied"`
	Counts   map[reconcile.Kind]int `json:"counts"`

	Last *runStatus `json:"last,omitempty"`
}

// backfillStatus tells where the backfill stands.
type backfillStatus struct {
	From      string          `json:"from"`
	Done      bool            `json:"done"`
	Completed *backfillRecord `json:"completed,omitempty"`
}

// runStatus is the outcome of one run.
type runStatus struct {
	Run        string                 `json:"run"` // "backfill" or "recent"
	From       string                 `json:"from"`
	To         string                 `json:"to"` // exclusive
	StartedAt  time.Time              `json:"started_at"`
	FinishedAt time.Time              `json:"finished_at"`
	Rows       int                    `json:"rows"`
	Stored     int                    `json:"stored"`
	Counts     map[reconcile.Kind]int `json:"counts"`
	Applied    int                    `json:"applied"`
	Error      string                 `json:"error,omitempty"`
}

// record adds the outcome of a run to the totals.
func (rc *reconciliation) record(run string, started time.Time, rep *reconcile.Report, err error) {
	last := &runStatus{
		Run: run, From: day(rep.From), To: day(rep.To), StartedAt: started.UTC(), FinishedAt: rc.now().UTC(),
		Rows: rep.Rows, Stored: rep.Stored, Counts: maps.Clone(rep.Counts), Applied: rep.Applied,
	}
	if err != nil {
		last.Error = err.Error()
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	s := &rc.status
	s.Runs++
	if err != nil {
		s.Failures++
	}
	s.Rows += rep.Rows
	s.Applied += rep.Applied
	if s.Counts == nil {
		s.Counts = map[reconcile.Kind]int{}
	}
	for k, n := range rep.Counts {
		s.Counts[k] += n
	}
	s.Last = last
}

// snapshot returns the status of rc; of reconciliations switched off when
// rc is nil.
func (rc *reconciliation) snapshot() reconcileStatus {
	if rc == nil {
		return reconcileStatus{Counts: map[reconcile.Kind]int{}}
	}
	rc.mu.Lock()
	s := rc.status
	s.Counts = maps.Clone(s.Counts)
	if s.Counts == nil {
		s.Counts = map[reconcile.Kind]int{}
	}
	rc.mu.Unlock()
	s.Enabled, s.Tenant, s.Days = true, rc.r.Tenant, rc.days
	if rc.every > 0 {
		s.Every = rc.every.String()
	}
	if rc.backfill != nil {
		rec := rc.backfill.record()
		s.Backfill = &backfillStatus{From: day(rc.backfill.from), Done: rec != nil, Completed: rec}
	}
	return s
}

// reconciliationStatus answers GET /api/{tenant}/reconciliation.
func (a *api) reconciliationStatus(w http.ResponseWriter, r *http.Request) error {
	if a.reconciliation != nil && r.PathValue("tenant") != a.reconciliation.r.Tenant {
		return donorsync.ErrNotFound
	}
	writeJSON(w, http.StatusOK, a.reconciliation.snapshot())
	return nil
}
