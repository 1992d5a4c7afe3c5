package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/store/sqlite"
)

// ops runs an operator command as the binary would, and returns its exit
// status and output.
func ops(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := runOps(context.Background(), args[0], args[1:], &out, &errs, os.Getenv)
	return code, out.String(), errs.String()
}

func TestOperatorCommands(t *testing.T) {
	setEnv(t)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	base, _, stop := start(t, "-db", db, "-mode", "inline")
	defer stop()
	testOperatorCommands(t, base, db)
}

func TestOperatorCommandsPostgres(t *testing.T) {
	url := postgresURL(t)
	setEnv(t)
	base, _, stop := start(t, "-db", url, "-credentials", filepath.Join(t.TempDir(), "credentials.json"), "-mode", "inline")
	defer stop()
	testOperatorCommands(t, base, url)
}

// testOperatorCommands sends a gift and a delivery that cannot be
// applied to a running server, and reads and replays them with the
// operator commands against its database.
func testOperatorCommands(t *testing.T, base, db string) {
	sendFixture(t, base)
	bad, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: abPass},
		fixture(t, "actblue/testdata/bad_amount.json"))
	if code, body := do(t, bad); code != http.StatusOK || !strings.Contains(body, `"quarantined"`) {
		t.Fatalf("bad delivery: %d %s", code, body)
	}

	code, out, errs := ops(t, "status", "-db", db)
	if code != 0 || !regexp.MustCompile(`actblue +\d+s ago`).MatchString(out) || !strings.Contains(out, "Last 24 hours: processed 1, quarantined 1") ||
		!strings.Contains(out, "anedot         never") || strings.Contains(out, "no ActBlue delivery") {
		t.Errorf("status: exit %d\n%s%s", code, out, errs)
	}

	code, out, errs = ops(t, "deliveries", "-db", db, "-status", "quarantined", "-json")
	var listed []deliveryView
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed) != 1 || listed[0].Error == "" || listed[0].Key == "" {
		t.Fatalf("deliveries -status quarantined: exit %d, %v\n%s%s", code, err, out, errs)
	}
	id := listed[0].ID
	if code, out, _ = ops(t, "deliveries", "-db", db); code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "ATTEMPTS") {
		t.Errorf("deliveries: exit %d, want a header and 2 lines\n%s", code, out)
	}
	if code, out, _ = ops(t, "deliveries", "-db", db, "-provider", "anedot"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("deliveries -provider anedot: exit %d, want the header alone\n%s", code, out)
	}

	if code, out, errs = ops(t, "replay", "-db", db, id); code != 0 || out != id+": quarantined: "+listed[0].Error+"\n" {
		t.Errorf("replay %s: exit %d\n%s%s", id, code, out, errs)
	}
	if code, out, errs = ops(t, "replay", "-db", db, "-status", "quarantined", "-since", "1h"); code != 0 || out != "replayed 1 quarantined deliveries\n" {
		t.Errorf("replay -status quarantined: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = ops(t, "show", "-db", db, "-body", id)
	if code != 0 || !strings.Contains(out, "Attempt 1:") || !strings.Contains(out, "Attempt 2:") || !strings.Contains(out, `"lineitems"`) {
		t.Errorf("show -body: exit %d, want its two earlier attempts and its body\n%s%s", code, out, errs)
	}

	for _, args := range [][]string{
		{"show", "-db", db},
		{"show", "-db", db, "dl_missing"},
		{"deliveries", "-db", db, "-since", "yesterday"},
		{"replay", "-db", db},
		{"status", "-db", filepath.Join(t.TempDir(), "missing.db")},
	} {
		if code, _, errs := ops(t, args...); code != exitError || errs == "" {
			t.Errorf("%q: exit %d, want 2 with a message", args, code)
		}
	}
}

func TestDeliveriesCommandFilters(t *testing.T) {
	db := filepath.Join(t.TempDir(), "donorsync.db")
	st, err := sqlite.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two Anedot deliveries, far apart: 120 report rows between them.
	others := map[int]string{0: "anedot", 121: "anedot", 122: "actblue"} // providers of deliveries without a kind
	if err := st.Update(t.Context(), func(tx donorsync.Tx) error {
		for i := range 123 {
			d := &donorsync.Delivery{ID: fmt.Sprintf("dl_%04d", i), Tenant: tenant, Provider: "actblue", Kind: "report:paid_contributions",
				Key: fmt.Sprint("k", i), Body: []byte("{}"), ReceivedAt: time.Now(), Status: donorsync.Processed}
			if p, ok := others[i]; ok {
				d.Provider, d.Kind = p, ""
			}
			if _, err := tx.RecordDelivery(t.Context(), d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-provider", "anedot"}, "dl_0121,dl_0000"},
		{[]string{"-provider", "anedot", "-oldest"}, "dl_0000,dl_0121"},
		{[]string{"-provider", "anedot", "-limit", "1"}, "dl_0121"},
		{[]string{"-provider", "anedot", "-after", "dl_0121"}, "dl_0000"},
		{[]string{"-provider", "actblue", "-kind", "-"}, "dl_0122"},
		{[]string{"-kind", "report:*", "-limit", "2", "-after", "dl_0003"}, "dl_0002,dl_0001"},
	} {
		code, out, errs := ops(t, append([]string{"deliveries", "-db", db, "-json"}, tc.args...)...)
		var listed []deliveryView
		if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil {
			t.Fatalf("deliveries %q: exit %d, %v\n%s%s", tc.args, code, err, out, errs)
		}
		var ids []string
		for _, d := range listed {
			ids = append(ids, d.ID)
		}
		if got := strings.Join(ids, ","); got != tc.want {
			t.Errorf("deliveries %q: %s, want %s", tc.args, got, tc.want)
		}
	}
	if code, _, errs := ops(t, "deliveries", "-db", db, "-limit", "0"); code != exitError || !strings.Contains(errs, "-limit") {
		t.Errorf("deliveries -limit 0: exit %d, %s", code, errs)
	}
}
