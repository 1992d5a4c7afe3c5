package main

import (
	"bytes"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// getenvOf returns a getenv that reads env.
func getenvOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// helpOf returns what -h writes for the server (no command) or the
// command given.
func helpOf(t *testing.T, command ...string) string {
	t.Helper()
	var out bytes.Buffer
	var err error
	if len(command) == 0 {
		_, err = parseFlags([]string{"-h"}, getenvOf(nil), &out)
	} else {
		_, err = parseReconcileFlags([]string{"-h"}, &out, getenvOf(nil), actBlueDay(time.Now()))
	}
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	return out.String()
}

// flagsIn returns the flags -h lists in help, by name, with the line
// that describes each.
func flagsIn(help string) map[string]string {
	flags := map[string]string{}
	lines := strings.Split(help, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "  -") || i+1 == len(lines) {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "  -"), " ")
		flags[name] = lines[i+1]
	}
	return flags
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{
		"addr":            "DONORSYNC_ADDR",
		"read-timeout":    "DONORSYNC_READ_TIMEOUT",
		"reconcile-every": "DONORSYNC_RECONCILE_EVERY",
	} {
		if got := envName(flag); got != want {
			t.Errorf("envName(%q) = %q, want %q", flag, got, want)
		}
	}
}

func TestHelpNamesTheVariableOfEachFlag(t *testing.T) {
	for _, command := range [][]string{nil, {"reconcile"}} {
		flags := flagsIn(helpOf(t, command...))
		if len(flags) < 6 {
			t.Errorf("%v -h lists %d flags:\n%v", command, len(flags), flags)
		}
		for name, usage := range flags {
			if !strings.Contains(usage, "[$"+envName(name)+"]") {
				t.Errorf("%v -h: -%s does not name %s: %q", command, name, envName(name), usage)
			}
		}
	}
}

// TestFlagVariablesAreNotCredentials: no flag's variable is one of the
// credentials' or of ActBlue's API, which mean something else.
func TestFlagVariablesAreNotCredentials(t *testing.T) {
	taken := map[string]bool{envClientUUID: true, envClientSecret: true, envAPIURL: true, envAPIBudget: true, envAnedotSecrets: true}
	for _, f := range fields {
		taken[f.env] = true
	}
	for _, command := range [][]string{nil, {"reconcile"}} {
		for name := range flagsIn(helpOf(t, command...)) {
			if taken[envName(name)] {
				t.Errorf("%v -%s is set by %s, a variable that means something else", command, name, envName(name))
			}
		}
	}
}

func TestEveryFlagFromTheEnvironment(t *testing.T) {
	env := map[string]string{
		"DONORSYNC_ADDR":              "0.0.0.0:8080",
		"DONORSYNC_DB":                "/data/donorsync.db",
		"DONORSYNC_MODE":              "inline",
		"DONORSYNC_HEADER_TIMEOUT":    "2s",
		"DONORSYNC_READ_TIMEOUT":      "1m",
		"DONORSYNC_CREDENTIALS":       "/run/secrets/donorsync.json",
		"DONORSYNC_PRINT_CREDENTIALS": "true",
		"DONORSYNC_NEW_CREDENTIALS":   "1",
		"DONORSYNC_RECONCILE_EVERY":   "12h",
		"DONORSYNC_RECONCILE_DAYS":    "5",
		"DONORSYNC_BACKFILL_FROM":     "2024-01-01",
		"DONORSYNC_METRICS_ADDR":      "127.0.0.1:9090",
		"DONORSYNC_FORWARD":           "https://crm.example/hooks/donorsync",
		"DONORSYNC_FORWARD_NAME":      "crm",
		"DONORSYNC_FORWARD_TIMEOUT":   "30s",
		"DONORSYNC_FORWARD_RETRY_MAX": "1m",
	}
	// Each flag -h lists is among them: a flag added is tested here.
	for name := range flagsIn(helpOf(t)) {
		if _, ok := env[envName(name)]; !ok {
			t.Errorf("-%s: add %s to this test", name, envName(name))
		}
	}
	c, err := parseFlags(nil, getenvOf(env), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		addr: "0.0.0.0:8080", db: "/data/donorsync.db", mode: "inline", credPath: "/run/secrets/donorsync.json",
		headerTimeout: 2 * time.Second, readTimeout: time.Minute, printCredentials: true, newCredentials: true,
		reconcileEvery: 12 * time.Hour, reconcileDays: 5, backfillFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		metricsAddr: "127.0.0.1:9090",
		forward:     &url.URL{Scheme: "https", Host: "crm.example", Path: "/hooks/donorsync"}, forwardName: "crm",
		forwardTimeout: 30 * time.Second, forwardRetryMax: time.Minute,
	}
	if diff := cmp.Diff(want, *c, cmp.AllowUnexported(config{})); diff != "" {
		t.Errorf("config from the environment (-want +got):\n%s", diff)
	}
}

func TestFlagsWinOverVariables(t *testing.T) {
	env := map[string]string{"DONORSYNC_ADDR": "0.0.0.0:8080", "DONORSYNC_DB": "env.db", "DONORSYNC_PRINT_CREDENTIALS": "true"}
	c, err := parseFlags([]string{"-addr", "127.0.0.1:9", "-print-credentials=false"}, getenvOf(env), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:9" || c.printCredentials || c.db != "env.db" || c.credPath != "env.db.credentials.json" {
		t.Errorf("addr %q, print-credentials %v, db %q, credentials %q: want the flags' addr and print-credentials, the variable's db",
			c.addr, c.printCredentials, c.db, c.credPath)
	}
	// An empty variable is unset.
	if c, err := parseFlags(nil, getenvOf(map[string]string{"DONORSYNC_MODE": ""}), &bytes.Buffer{}); err != nil || c.mode != "queued" {
		t.Errorf("empty DONORSYNC_MODE: %v, mode %q", err, c.mode)
	}
}

// TestForwardURLVariable: DONORSYNC_FORWARD_URL is another name of
// DONORSYNC_FORWARD, which wins when both are set, as -forward wins over
// both; errors name the variable the value came from.
func TestForwardURLVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"DONORSYNC_FORWARD_URL": "https://a.example/h"}, nil, "https://a.example/h"},
		{map[string]string{"DONORSYNC_FORWARD_URL": "https://a.example/h", "DONORSYNC_FORWARD": "https://b.example/h"}, nil, "https://b.example/h"},
		{map[string]string{"DONORSYNC_FORWARD_URL": "https://a.example/h"}, []string{"-forward", "https://c.example/h"}, "https://c.example/h"},
	} {
		c, err := parseFlags(tc.args, getenvOf(tc.env), &bytes.Buffer{})
		if err != nil {
			t.Errorf("%v %v: %v", tc.env, tc.args, err)
			continue
		}
		if c.forward == nil || c.forward.String() != tc.want {
			t.Errorf("%v %v: forward %v, want %s", tc.env, tc.args, c.forward, tc.want)
		}
	}
	// The commands that write beside the server record their changes
	// under either name.
	for _, env := range []string{"DONORSYNC_FORWARD", "DONORSYNC_FORWARD_URL"} {
		if !recordsChanges(getenvOf(map[string]string{env: "https://a.example/h"})) {
			t.Errorf("%s set: the commands would not record the changes they make", env)
		}
	}
	if recordsChanges(getenvOf(map[string]string{})) {
		t.Error("no forwarding: the commands would record changes no one forwards")
	}
	_, err := parseFlags(nil, getenvOf(map[string]string{"DONORSYNC_FORWARD_URL": "ftp://a.example"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "DONORSYNC_FORWARD_URL is not an http") {
		t.Errorf("DONORSYNC_FORWARD_URL=ftp://a.example: %v, want an error naming the variable", err)
	}
}

func TestBadVariablesAreNamed(t *testing.T) {
	for env, want := range map[string]string{
		"DONORSYNC_READ_TIMEOUT":      `DONORSYNC_READ_TIMEOUT is "soon": want a duration`,
		"DONORSYNC_PRINT_CREDENTIALS": `DONORSYNC_PRINT_CREDENTIALS is "soon": want true or false`,
		"DONORSYNC_RECONCILE_DAYS":    `DONORSYNC_RECONCILE_DAYS is "soon": want an int`,
		"DONORSYNC_MODE":              `DONORSYNC_MODE is "soon": want inline or queued`,
		"DONORSYNC_BACKFILL_FROM":     `DONORSYNC_BACKFILL_FROM is "soon": want a date`,
	} {
		_, err := parseFlags(nil, getenvOf(map[string]string{env: "soon"}), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=soon: %v, want an error with %q", env, err, want)
		}
	}
	// Values of the right type that the server refuses.
	for _, tc := range []struct{ env, value, want string }{
		{"DONORSYNC_RECONCILE_EVERY", "-1h", "DONORSYNC_RECONCILE_EVERY is -1h0m0s"},
		{"DONORSYNC_RECONCILE_DAYS", "-1", "DONORSYNC_RECONCILE_DAYS is -1"},
		{"DONORSYNC_BACKFILL_FROM", "2999-01-01", "DONORSYNC_BACKFILL_FROM 2999-01-01 is after today"},
	} {
		_, err := parseFlags(nil, getenvOf(map[string]string{tc.env: tc.value}), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: %v, want an error with %q", tc.env, tc.value, err, tc.want)
		}
	}
}

func TestReconcileFlagsFromTheEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "donorsync.db")
	env := map[string]string{
		"DONORSYNC_DB": db, "DONORSYNC_FROM": "2019-06-01", "DONORSYNC_TO": "2019-07-01",
		"DONORSYNC_APPLY": "true", "DONORSYNC_JSON": "true", "DONORSYNC_TENANT": "acme",
	}
	for name := range flagsIn(helpOf(t, "reconcile")) {
		if _, ok := env[envName(name)]; !ok {
			t.Errorf("reconcile -%s: add %s to this test", name, envName(name))
		}
	}
	c, err := parseReconcileFlags([]string{"-to", "2019-06-15"}, &bytes.Buffer{}, getenvOf(env), actBlueDay(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	want := reconcileConfig{db: db, tenant: "acme", apply: true, json: true,
		from: time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2019, 6, 15, 0, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, *c, cmp.AllowUnexported(reconcileConfig{})); diff != "" {
		t.Errorf("reconcile config from the environment and -to (-want +got):\n%s", diff)
	}
	// The command reads the server's DONORSYNC_DB: here, no database yet.
	env[envClientUUID], env[envClientSecret] = "uuid", "secret"
	if code, _, errs := reconcileCmd(t, env); code != exitError || !strings.Contains(errs, "no database at "+db) {
		t.Errorf("DONORSYNC_DB=%s: exit %d, want 2 naming it:\n%s", db, code, errs)
	}
	env["DONORSYNC_FROM"] = "June"
	if code, _, errs := reconcileCmd(t, env); code != exitError || !strings.Contains(errs, `DONORSYNC_FROM is "June"`) {
		t.Errorf("DONORSYNC_FROM=June: exit %d, want 2 naming it:\n%s", code, errs)
	}
}

// TestServerFromTheEnvironment starts the server with its database, its
// credentials file and its mode set by variables alone.
func TestServerFromTheEnvironment(t *testing.T) {
	setEnv(t)
	dir := t.TempDir()
	t.Setenv("DONORSYNC_DB", filepath.Join(dir, "data.db"))
	t.Setenv("DONORSYNC_CREDENTIALS", filepath.Join(dir, "secrets.json"))
	t.Setenv("DONORSYNC_MODE", "inline")
	t.Setenv("DONORSYNC_ADMIN_TOKEN", "") // generated, and so saved
	_, out, stop := start(t)
	stop()
	if !strings.Contains(out.String(), "inline mode") || !strings.Contains(out.String(), filepath.Join(dir, "data.db")) {
		t.Errorf("start-up text does not tell the database and mode of the variables:\n%s", out.String())
	}
	for _, name := range []string{"data.db", "secrets.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
