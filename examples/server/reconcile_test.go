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
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reconcile"
	"github.com/donorsync/donorsync/actblue/reports"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
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
	if code != exitAgrees || !strings.Contains(out, "tenant default from 2019-06-01 to 2019-07-01: 1 rows; 1 ActBlue donations stored") || !strings.Contains(out, "No difference.") {
		t.Errorf("agreeing store: exit %d\n%s%s", code, out, errs)
	}

	// A gift missing here: listed, not applied.
	fake.setPaid(fixtureRow, missingRow)
	code, out, errs = reconcileCmd(t, env, june...)
	if code != exitDiffers || !strings.Contains(out, "1 differences: 1 missing") || !strings.Contains(out, "99999998") || !strings.Contains(out, "paid 25.00 on 2019-06-08 14:00 UTC") {
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
		if code != exitDiffers || !strings.Contains(out, "1 differences: 1 amount differs.") {
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
	if code, out, errs := reconcileCmd(t, env, june...); code != exitDiffers || !strings.Contains(out, "1 differences: 1 missing; 1 applied.") {
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
