package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/actblue"
)

// sendGiftAndWrongPassword sends an ActBlue gift, and one with a wrong
// password.
func sendGiftAndWrongPassword(t *testing.T, base string) {
	t.Helper()
	gift, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: abPass},
		fixture(t, "actblue/testdata/contribution.json"))
	if status, body := do(t, gift); status != http.StatusOK {
		t.Fatalf("gift: %d %s", status, body)
	}
	wrong, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: "wrong-password-wrong-password"},
		fixture(t, "actblue/testdata/contribution.json"))
	if status, _ := do(t, wrong); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d; want 401", status)
	}
}

// checkMetrics checks that body is the exposition of the requests of
// sendGiftAndWrongPassword, inline, with the journal's gauges and Go's.
func checkMetrics(t *testing.T, body string) {
	t.Helper()
	for _, want := range []string{
		`donorsync_webhook_requests_total{auth_failure="",code="200",outcome="processed",provider="actblue"} 1`,
		`donorsync_webhook_requests_total{auth_failure="wrong_credential",code="401",outcome="unauthorized",provider="actblue"} 1`,
		`donorsync_deliveries_applied_total{mode="inline",provider="actblue",status="processed"} 1`,
		`donorsync_deliveries_dead_total{provider="actblue"} 0`,
		`donorsync_journal_backlog_deliveries{status="pending"} 0`,
		`donorsync_journal_recent_deliveries{status="processed"} 1`,
		`donorsync_journal_last_received_age_seconds{provider="actblue",tenant="default"} `,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%.3000s", want, body)
		}
	}
}

func TestMetricsBehindTheAdminToken(t *testing.T) {
	setEnv(t)
	base, _, stop := start(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"), "-mode", "inline")
	defer stop()
	sendGiftAndWrongPassword(t, base)
	for _, token := range []string{"", "not-the-admin-token"} {
		if status, body := get(t, base+"/metrics", token); status != http.StatusUnauthorized || strings.Contains(body, "donorsync_") {
			t.Errorf("GET /metrics with token %q: %d %.100s; want 401 and no metrics", token, status, body)
		}
	}
	status, body := get(t, base+"/metrics", admin)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics with the admin token: %d %.300s", status, body)
	}
	checkMetrics(t, body)
}

func TestMetricsOnTheirOwnAddress(t *testing.T) {
	setEnv(t)
	base, _, logs, stop := startLogged(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"), "-mode", "inline",
		"-metrics-addr", "127.0.0.1:0")
	defer stop()
	m := regexp.MustCompile(`url=(http://\S+/metrics)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no metrics URL in the log:\n%s", logs.String())
	}
	sendGiftAndWrongPassword(t, base)
	status, body := get(t, m[1], "")
	if status != http.StatusOK {
		t.Fatalf("GET %s without a token: %d %.300s; want 200", m[1], status, body)
	}
	checkMetrics(t, body)
	if status, _ := get(t, base+"/metrics", admin); status != http.StatusNotFound {
		t.Errorf("GET /metrics on -addr with -metrics-addr set: %d; want 404", status)
	}
}
