package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reconcile"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/jackc/pgx/v5"
)

// paidHeader is the header of the paid reports the fakes below serve.
var paidHeader = []string{"Lineitem ID", "Receipt ID", "Date", "Amount", "Donor First Name", "Donor Last Name", "Donor Email"}

// The fixture actblue/testdata/contribution.json is line item 99999999 of
// 50.00, paid 2019-06-07 15:49:33 Eastern: as the paid report says it.
var (
	fixtureRow = []string{"99999999", "AB1234567", "2019-06-07 15:49:33", "50.00", "Peter", "Gibbons", "Peter.Gibbons@Initech.example"}
	missingRow = []string{"99999998", "AB1234568", "2019-06-08 10:00:00", "25.00", "Joanna", "Smith", "joanna@example.org"}
)

// reportsFake is a fake of ActBlue's CSV API whose paid report can be
// changed between runs; the other reports are empty.
type reportsFake struct {
	*reportstest.Server
	mu   sync.Mutex
	paid [][]string
}

func newReportsFake(t *testing.T, opts reportstest.Options) *reportsFake {
	t.Helper()
	f := &reportsFake{}
	if opts.CSV == nil {
		opts.CSV = func(r reportstest.Report) io.Reader {
			if r.Type != string(reports.Paid) {
				return strings.NewReader(reportstest.CSV(paidHeader))
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			return strings.NewReader(reportstest.CSV(paidHeader, f.paid...))
		}
	}
	// Polls: 0, so that a report is written at once: the client's wait
	// between polls cannot be set from the environment.
	f.Server = reportstest.New(opts)
	t.Cleanup(f.Close)
	return f
}

func (f *reportsFake) setPaid(rows ...[]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paid = rows
}

// apiEnv returns the variables that point the reconciliations at url
// with the fake's credential.
func apiEnv(url string) map[string]string {
	return map[string]string{
		envClientUUID: "uuid", envClientSecret: "secret", envAPIURL: url,
		// Each run spends 6 requests; the tests run several a minute.
		envAPIBudget: "1000",
	}
}

func setAPIEnv(t *testing.T, url string) {
	for k, v := range apiEnv(url) {
		t.Setenv(k, v)
	}
}

// reconcileCmd runs the reconcile command with env and returns its exit
// status, its output and its errors.
func reconcileCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runReconcile(t.Context(), args, &stdout, &stderr, func(k string) string { return env[k] })
	return code, stdout.String(), stderr.String()
}

// sendFixture delivers actblue/testdata/contribution.json to the server
// at base.
func sendFixture(t *testing.T, base string) {
	t.Helper()
	r, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: abPass},
		fixture(t, "actblue/testdata/contribution.json"))
	if status, body := do(t, r); status != http.StatusOK || !strings.Contains(body, `"processed"`) {
		t.Fatalf("webhook: %d %s", status, body)
	}
}

func TestReconcileCommand(t *testing.T) {
	setEnv(t)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	base, _, stop := start(t, "-db", db, "-mode", "inline")
	defer stop()
	sendFixture(t, base)
	fake := newReportsFake(t, reportstest.Options{})
	env := apiEnv(fake.URL)
	june := []string{"-db", db, "-from", "2019-06-01", "-to", "2019-07-01"}

	// The store agrees with ActBlue, while the server runs.
	fake.setPaid(fixtureRow)
	code, out, errs := reconcileCmd(t, env, june...)
	if code != exitAgrees || !strings.Contains(out, "tenant default from 2019-06-01 to 2019-07-01: 1 row; 1 ActBlue donation stored") || !strings.Contains(out, "No difference.") {
		t.Errorf("agreeing store: exit %d\n%s%s", code, out, errs)
	}

	// A gift missing here: listed, not applied.
	fake.setPaid(fixtureRow, missingRow)
	code, out, errs = reconcileCmd(t, env, june...)
	if code != exitDiffers || !strings.Contains(out, "1 difference: 1 missing") || !strings.Contains(out, "99999998") || !strings.Contains(out, "paid 25.00 on 2019-06-08 14:00 UTC") {
		t.Errorf("a missing gift: exit %d, want 1\n%s%s", code, out, errs)
	}
	rep := reconcileJSON(t, env, exitDiffers, append(june, "-json")...)
	if rep.Counts[reconcile.Missing] != 1 || rep.Applied != 0 || len(rep.Differences) != 1 || rep.Differences[0].LineitemID != "99999998" || rep.Differences[0].Applied != "" {
		t.Errorf("a missing gift, as JSON: %+v", rep)
	}
	if donations := waitFor(t, base, "/api/default/donations", func([]map[string]any) bool { return true }); len(donations) != 1 {
		t.Errorf("without -apply, the store holds %d donations, want 1", len(donations))
	}

	// -apply applies it: the run still exits 1 (it found a difference),
	// the next one 0.
	rep = reconcileJSON(t, env, exitDiffers, append(june, "-json", "-apply")...)
	if rep.Counts[reconcile.Missing] != 1 || rep.Applied != 1 || rep.Differences[0].Applied != "processed" || rep.Differences[0].DeliveryID == "" {
		t.Errorf("-apply: %+v", rep)
	}
	if code, out, errs = reconcileCmd(t, env, append(june, "-apply")...); code != exitAgrees {
		t.Errorf("after -apply: exit %d, want 0\n%s%s", code, out, errs)
	}
	waitFor(t, base, "/api/default/donations", func(items []map[string]any) bool {
		return len(items) == 2 && items[1]["external_id"] == "99999998" && items[1]["amount"] == "25.00"
	})

	// Another amount here cannot be mended by applying the row: 1, run
	// after run.
	fake.setPaid([]string{"99999999", "AB1234567", "2019-06-07 15:49:33", "55.00", "Peter", "Gibbons", ""}, missingRow)
	for range 2 {
		code, out, errs = reconcileCmd(t, env, append(june, "-apply")...)
		if code != exitDiffers || !strings.Contains(out, "1 difference: 1 amount differs.") {
			t.Errorf("another amount here: exit %d, want 1\n%s%s", code, out, errs)
		}
	}
}

// reconcileJSON runs the reconcile command, which must exit with want,
// and reads its JSON report.
func reconcileJSON(t *testing.T, env map[string]string, want int, args ...string) reconcile.Report {
	t.Helper()
	code, out, errs := reconcileCmd(t, env, args...)
	var rep reconcile.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != want {
		t.Fatalf("exit %d, want %d; JSON %v:\n%s%s", code, want, err, out, errs)
	}
	return rep
}

func TestReconcileCommandErrors(t *testing.T) {
	setEnv(t)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	_, _, stop := start(t, "-db", db)
	stop()
	fake := newReportsFake(t, reportstest.Options{})
	june := []string{"-db", db, "-from", "2019-06-01", "-to", "2019-07-01"}
	refused := apiEnv(fake.URL)
	refused[envClientSecret] = "wrong"
	noSecret := apiEnv(fake.URL)
	delete(noSecret, envClientSecret)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"refused credential", refused, june, "refused the API credential"},
		{"no credential", map[string]string{}, june, "set DONORSYNC_ACTBLUE_CLIENT_UUID and DONORSYNC_ACTBLUE_CLIENT_SECRET"},
		{"no secret", noSecret, june, "credential is missing: DONORSYNC_ACTBLUE_CLIENT_SECRET not set; set DONORSYNC_ACTBLUE_CLIENT_UUID and"},
		{"bad API URL", map[string]string{envClientUUID: "uuid", envClientSecret: "secret", envAPIURL: "secure.actblue.com"}, june, "DONORSYNC_ACTBLUE_API_URL"},
		{"bad budget", map[string]string{envClientUUID: "uuid", envClientSecret: "secret", envAPIBudget: "0"}, june, "DONORSYNC_ACTBLUE_API_BUDGET"},
		{"bad date", apiEnv(fake.URL), []string{"-db", db, "-from", "2019-13-01"}, `-from is "2019-13-01": want a date written YYYY-MM-DD`},
		{"from after to", apiEnv(fake.URL), []string{"-db", db, "-from", "2019-07-01", "-to", "2019-06-01"}, "is not before -to"},
		{"bad flag", apiEnv(fake.URL), []string{"-db", db, "-since", "2019-06-01"}, "flag provided but not defined: -since"},
		{"no database", apiEnv(fake.URL), []string{"-db", db + ".typo"}, "no database at " + db + ".typo"},
	} {
		code, out, errs := reconcileCmd(t, tc.env, tc.args...)
		if code != exitError || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, want 2 with %q; output %q, errors:\n%s", tc.name, code, tc.want, out, errs)
		}
	}
	if _, err := os.Stat(db + ".typo"); err == nil {
		t.Error("the reconcile command created a database at a mistyped path")
	}
	if code, _, errs := reconcileCmd(t, nil, "-h"); code != exitAgrees || !strings.Contains(errs, "Exit status: 0 when nothing differs") {
		t.Errorf("-h: exit %d\n%s", code, errs)
	}
}

// TestReconcileEvery: a gift in ActBlue's paid report, never delivered by
// webhook, appears in the store through the periodic reconciliation.
func TestReconcileEvery(t *testing.T) {
	setEnv(t)
	fake := newReportsFake(t, reportstest.Options{})
	setAPIEnv(t, fake.URL)
	today := actBlueDay(time.Now())
	gift := []string{"77777777", "AB7777777", today.Format(time.DateOnly) + " 00:30:00", "12.34", "Ada", "Lovelace", "ada@example.org"}
	base, out, logs, stop := startLogged(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"), "-reconcile-every", "200ms")
	defer stop()
	if !strings.Contains(out.String(), "Reconciling with ActBlue's reports: today and the 3 days before it, at start and every 200ms.") {
		t.Errorf("start-up text:\n%s", out.String())
	}
	// The first run, at start, finds the store in agreement; the gift
	// comes in a later one.
	waitForLog(t, logs, "reconciled with ActBlue's reports")
	fake.setPaid(gift)
	donations := waitFor(t, base, "/api/default/donations", func(items []map[string]any) bool { return len(items) == 1 })
	if d := donations[0]; d["external_id"] != "77777777" || d["amount"] != "12.34" || d["provider"] != "actblue" {
		t.Errorf("donation %v", d)
	}
	waitForLog(t, logs, "missing=1")
	var line string
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "missing=1") {
			line = l
		}
	}
	for _, want := range []string{"level=INFO", "run=recent", "tenant=default", "rows=1", "not_refunded=0", "amount_differs=0", "applied=1",
		"from=" + today.AddDate(0, 0, -3).Format(time.DateOnly), "to=" + today.AddDate(0, 0, 1).Format(time.DateOnly)} {
		if !strings.Contains(line, want) {
			t.Errorf("the log line of the run that applied the gift lacks %q:\n%s", want, line)
		}
	}
	for _, r := range fake.Reports() {
		if !r.Start.Equal(today.AddDate(0, 0, -3)) || !r.End.Equal(today.AddDate(0, 0, 1)) {
			t.Errorf("report %s of %v to %v; want the 3 days before today, and today", r.Type, r.Start, r.End)
		}
	}
	status := reconciliationStatus(t, base)
	if !status.Enabled || status.Runs < 2 || status.Failures != 0 || status.Applied != 1 || status.Counts[reconcile.Missing] != 1 ||
		status.Every != "200ms" || status.Days != 3 || status.Last == nil || status.Last.Run != "recent" {
		t.Errorf("status %+v", status)
	}
}

// TestReconcileEveryKeepsRunning: a run that fails is logged, and the
// next one runs all the same.
func TestReconcileEveryKeepsRunning(t *testing.T) {
	setEnv(t)
	fake := newReportsFake(t, reportstest.Options{})
	setAPIEnv(t, fake.URL)
	t.Setenv(envClientSecret, "revoked")
	base, _, logs, stop := startLogged(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"), "-reconcile-every", "100ms", "-reconcile-days", "0")
	defer stop()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(logs.String(), "reconciliation with ActBlue's reports failed") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 2 failed runs logged:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "refused the API credential") {
		t.Errorf("the failures are not logged as warnings with their cause:\n%s", logs.String())
	}
	status := reconciliationStatus(t, base)
	if status.Failures < 2 || status.Last == nil || !strings.Contains(status.Last.Error, "refused") || status.Last.From != day(actBlueDay(time.Now())) {
		t.Errorf("status %+v", status)
	}
	if status, body := get(t, base+"/healthz", ""); status != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz after failed runs: %d %q", status, body)
	}
}

func TestReconcileFlags(t *testing.T) {
	setEnv(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-reconcile-every", "24h"}, "-reconcile-every and -backfill-from read ActBlue's reports: the ActBlue API credential is missing: DONORSYNC_ACTBLUE_CLIENT_UUID and DONORSYNC_ACTBLUE_CLIENT_SECRET not set"},
		{[]string{"-backfill-from", "2024-01-01"}, "DONORSYNC_ACTBLUE_CLIENT_UUID and DONORSYNC_ACTBLUE_CLIENT_SECRET"},
		{[]string{"-backfill-from", "01/01/2024"}, `-backfill-from is "01/01/2024": want a date written YYYY-MM-DD`},
		{[]string{"-backfill-from", "2999-01-01"}, "is after today"},
		{[]string{"-reconcile-every", "-1h"}, "-reconcile-every is -1h0m0s"},
		{[]string{"-reconcile-days", "-1"}, "-reconcile-days is -1"},
		{[]string{"reconcilee"}, `unexpected argument "reconcilee"`},
	} {
		err := run(t.Context(), append([]string{"-db", filepath.Join(dir, "donorsync.db")}, tc.args...), io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "donorsync.db")); err == nil {
		t.Error("a refused start created the database")
	}
	// Off, the status says so.
	base, _, stop := start(t, "-db", filepath.Join(dir, "donorsync.db"))
	defer stop()
	if status := reconciliationStatus(t, base); status.Enabled || status.Runs != 0 {
		t.Errorf("status without reconciliations %+v", status)
	}
	if code, _ := get(t, base+"/api/default/reconciliation", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("status with a wrong token: %d", code)
	}
}

func reconciliationStatus(t *testing.T, base string) reconcileStatus {
	t.Helper()
	code, body := get(t, base+"/api/default/reconciliation", admin)
	var s reconcileStatus
	if err := json.Unmarshal([]byte(body), &s); err != nil || code != http.StatusOK {
		t.Fatalf("reconciliation status: %d %v %s", code, err, body)
	}
	return s
}

// waitForLog waits until the log holds want.
func waitForLog(t *testing.T, logs fmt.Stringer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q:\n%s", want, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBackfillSurvivesKill builds the server, starts it with
// -backfill-from against a fake serving a large paid report, kills it
// (SIGKILL) once some donations are stored, restarts it, and checks that
// the backfill completes with every line item stored and journaled once,
// then that a further start does not repeat it.
func TestBackfillSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	setEnv(t)
	const n = 20_000
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	fake := newReportsFake(t, reportstest.Options{CSV: func(r reportstest.Report) io.Reader {
		// reportstest.Paid's rows are paid from 2024-01-01 on, within the
		// first span of 180 days.
		if r.Type == string(reports.Paid) && r.Start.Equal(jan) {
			return reportstest.Paid(n)
		}
		return strings.NewReader(reportstest.CSV(reportstest.PaidHeader))
	}})
	setAPIEnv(t, fake.URL)
	dir := t.TempDir()
	bin := buildServer(t, dir)
	db := filepath.Join(dir, "donorsync.db")
	record := db + ".backfill.json"
	args := []string{"-db", db, "-backfill-from", "2024-01-01"}

	began := time.Now()
	p := launchServer(t, bin, args...)
	// Kill it well into the backfill: a thousand donations stored.
	waitFor(t, p.base, "/api/default/donations?limit=1000", func(items []map[string]any) bool { return len(items) == 1000 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	if _, err := os.Stat(record); err == nil {
		t.Fatalf("the backfill completed in %v, before the kill", time.Since(began))
	}
	before := storedLineItems(t, db)
	t.Logf("killed after %v with %d of %d donations stored", time.Since(began), len(before), n)
	if len(before) < 1000 || len(before) >= n {
		t.Fatalf("%d donations stored at the kill, want a thousand or more, but not all", len(before))
	}

	p = launchServer(t, bin, args...)
	// About 10 s on an idle machine; generous for a loaded one.
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(p.logs.String(), "backfill complete") {
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatalf("the backfill did not complete after the restart:\n%s", p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := reconciliationStatus(t, p.base); s.Backfill == nil || !s.Backfill.Done || s.Backfill.Completed.Applied != n-len(before) || s.Runs != 1 || s.Every != "" {
		t.Errorf("status after the backfill %+v, backfill %+v", s, s.Backfill)
	}
	stopProcess(t, p)
	t.Logf("backfill complete %v after the first start", time.Since(began))
	if want := fmt.Sprintf("applied=%d", n-len(before)); !strings.Contains(p.logs.String(), want) {
		t.Errorf("the restarted backfill's log lacks %q (what the first did not store):\n%s", want, p.logs.String())
	}
	checkBackfilled(t, db, n)
	var rec backfillRecord
	if data, err := os.ReadFile(record); err != nil || json.Unmarshal(data, &rec) != nil || rec.From != "2024-01-01" || rec.Rows != n {
		t.Errorf("backfill record %+v (%v)", rec, err)
	}
	if m := mode(t, record); m != 0o600 {
		t.Errorf("backfill record mode %v, want 0600", m)
	}

	// A further start does not repeat the backfill.
	asked := len(fake.Reports())
	p = launchServer(t, bin, args...)
	time.Sleep(300 * time.Millisecond)
	stopProcess(t, p)
	if !strings.Contains(p.out.String(), "backfill from 2024-01-01 (done, recorded in "+record+")") {
		t.Errorf("start-up text after the backfill:\n%s", p.out.String())
	}
	if got := len(fake.Reports()); got != asked {
		t.Errorf("a start after the backfill asked for %d reports", got-asked)
	}
}

// stopProcess stops a server started by launchServer, and waits for it.
func stopProcess(t *testing.T, p *process) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.copied // Wait closes the pipe
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("server: %v\n%s", err, p.logs.String())
	}
}

// openDB opens the SQLite database of a server that is not running.
func openDB(t *testing.T, db string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// storedLineItems returns how many donations the database holds of each
// ActBlue line item.
func storedLineItems(t *testing.T, db string) map[string]int {
	t.Helper()
	st := openDB(t, db)
	seen := map[string]int{}
	page := donorsync.Page{Limit: 1000}
	for {
		var ds []donation.Donation
		if err := st.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			ds, err = tx.Donations(t.Context(), tenant, page)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			seen[d.ExternalID]++
		}
		if len(ds) < page.Limit {
			return seen
		}
		page.After = ds[len(ds)-1].ID
	}
}

// checkBackfilled checks that the database holds line items 1000001 to
// 1000000+n once each, each applied from one delivery of the paid report.
func checkBackfilled(t *testing.T, db string, n int) {
	t.Helper()
	stored := storedLineItems(t, db)
	if len(stored) != n {
		t.Errorf("%d line items stored, want %d", len(stored), n)
	}
	for id, k := range stored {
		if k != 1 {
			t.Errorf("line item %s stored %d times", id, k)
		}
	}
	keys := map[string]int{}
	st := openDB(t, db)
	f := donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1000}}
	for {
		var ds []*donorsync.Delivery
		if err := st.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			ds, err = tx.Deliveries(t.Context(), tenant, f)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			keys[d.Key]++
			if d.Status != donorsync.Processed {
				t.Errorf("delivery %s (%s): %s %s", d.ID, d.Key, d.Status, d.Error)
			}
		}
		if len(ds) < f.Limit {
			break
		}
		f.After = ds[len(ds)-1].ID
	}
	if len(keys) != n {
		t.Errorf("%d delivery keys journaled, want %d", len(keys), n)
	}
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("report:paid_contributions:%d", 1_000_000+i)
		if keys[key] != 1 {
			t.Errorf("delivery %s journaled %d times, want once", key, keys[key])
		}
		if stored[fmt.Sprint(1_000_000+i)] != 1 {
			t.Errorf("line item %d not stored", 1_000_000+i)
		}
	}
}

// TestReconcileCommandPostgres runs the reconcile command against the
// PostgreSQL database of a running server.
func TestReconcileCommandPostgres(t *testing.T) {
	url := postgresURL(t)
	setEnv(t)
	dir := t.TempDir()
	base, _, stop := start(t, "-db", url, "-credentials", filepath.Join(dir, "credentials.json"), "-mode", "inline")
	defer stop()
	sendFixture(t, base)
	fake := newReportsFake(t, reportstest.Options{})
	fake.setPaid(fixtureRow, missingRow)
	env := apiEnv(fake.URL)
	june := []string{"-db", url, "-from", "2019-06-01", "-to", "2019-07-01", "-apply"}
	if code, out, errs := reconcileCmd(t, env, june...); code != exitDiffers || !strings.Contains(out, "1 difference: 1 missing; 1 applied.") {
		t.Errorf("first run: exit %d, want 1\n%s%s", code, out, errs)
	}
	if code, out, errs := reconcileCmd(t, env, june...); code != exitAgrees {
		t.Errorf("second run: exit %d, want 0\n%s%s", code, out, errs)
	}
	waitFor(t, base, "/api/default/donations", func(items []map[string]any) bool { return len(items) == 2 })
}

// postgresURL returns the URL of a schema of its own on the PostgreSQL
// server of DONORSYNC_POSTGRES_URL, dropped when the test ends. Without
// the variable the test skips, unless DONORSYNC_REQUIRE_POSTGRES is set.
func postgresURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("DONORSYNC_POSTGRES_URL")
	if url == "" && os.Getenv("DONORSYNC_REQUIRE_POSTGRES") != "" {
		t.Fatal("DONORSYNC_POSTGRES_URL is not set, and DONORSYNC_REQUIRE_POSTGRES says the PostgreSQL tests must run")
	}
	if url == "" {
		t.Skip("PostgreSQL tests skipped: set DONORSYNC_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	schema := fmt.Sprintf("donorsync_server_%d", time.Now().UnixNano())
	admin, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}
