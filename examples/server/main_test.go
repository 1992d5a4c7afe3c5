package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/anedot"
)

// long runs the long versions of the reliability tests:
// go test ./examples/server -run Kill -long
var long = flag.Bool("long", false, "run the long versions of the reliability tests")

// Secrets of at least minStrength bits, as the server requires of the
// environment.
const (
	abUser  = "demo-000001"
	abPass  = "DemoPasswordDemoPassword"
	secret  = "demo-anedot-secret-0123456789"
	anToken = "demoActionNetworkToken-0123456789"
	admin   = "demo-admin-token-0123456789"
)

func setEnv(t *testing.T) {
	t.Setenv("DONORSYNC_ACTBLUE_USER", abUser)
	t.Setenv("DONORSYNC_ACTBLUE_PASSWORD", abPass)
	t.Setenv("DONORSYNC_ANEDOT_SECRET", secret)
	t.Setenv("DONORSYNC_ACTIONNETWORK_TOKEN", anToken)
	t.Setenv("DONORSYNC_ADMIN_TOKEN", admin)
}

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func do(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	r, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, r)
}

// waitFor polls the read API until cond holds for the listing at path.
func waitFor(t *testing.T, base, path string, cond func(items []map[string]any) bool) []map[string]any {
	t.Helper()
	// Long enough for the lease of a killed worker (10 s) to lapse on a
	// loaded machine.
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body := get(t, base+path, admin)
		var res struct {
			Items []map[string]any `json:"items"`
		}
		if status == http.StatusOK && json.Unmarshal([]byte(body), &res) == nil && cond(res.Items) {
			return res.Items
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never satisfied the condition; last answer %d with %d items: %.300s", path, status, len(res.Items), body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer that a server's log may write while a
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func start(t *testing.T, args ...string) (string, *bytes.Buffer, func()) {
	t.Helper()
	base, out, _, stop := startLogged(t, args...)
	return base, out, stop
}

// startLogged starts the server and returns its address, its start-up
// text, its log and the function that stops it.
func startLogged(t *testing.T, args ...string) (string, *bytes.Buffer, *lockedBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	logs := &lockedBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &out, logs, ready) }()
	select {
	case addr := <-ready:
		return "http://" + addr, &out, logs, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("server stopped: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	return "", nil, nil, nil
}

func TestServerAllProvidersQueued(t *testing.T) {
	setEnv(t)
	dir := t.TempDir()
	base, out, stop := start(t, "-db", filepath.Join(dir, "donorsync.db"))
	defer stop()
	for _, want := range []string{abUser, "/webhooks/actblue/default", "/webhooks/anedot/default",
		"/webhooks/actionnetwork/default/<$DONORSYNC_ACTIONNETWORK_TOKEN>", "queued mode", "-print-credentials"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up text lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{abPass, secret, anToken, admin} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("start-up text shows the secret %q from the environment unasked:\n%s", secret, out.String())
		}
	}

	ab, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: abPass},
		fixture(t, "actblue/testdata/contribution.json"))
	an, _ := anedot.NewRequest(t.Context(), base+"/webhooks/anedot/default", anedot.Credential{Token: secret}, fixture(t, "anedot/testdata/donation_completed.json"))
	osdi, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/webhooks/actionnetwork/default/"+anToken,
		bytes.NewReader(fixture(t, "actionnetwork/testdata/donation.json")))
	for _, r := range []*http.Request{ab, an, osdi} {
		if status, body := do(t, r); status != http.StatusOK || !strings.Contains(body, `"pending"`) {
			t.Errorf("%s: %d %s, want 200 pending", r.URL.Path, status, body)
		}
	}
	bad, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: "wrong"}, []byte("{}"))
	if status, _ := do(t, bad); status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", status)
	}

	donations := waitFor(t, base, "/api/default/donations", func(items []map[string]any) bool { return len(items) == 3 })
	providers := map[any]bool{}
	for _, d := range donations {
		providers[d["provider"]] = true
		if d["contact_id"] == "" || d["amount"] == "" || d["status"] != "completed" {
			t.Errorf("donation %v", d)
		}
	}
	if len(providers) != 3 {
		t.Errorf("donations from %v, want all three providers", providers)
	}
	contacts := waitFor(t, base, "/api/default/contacts", func(items []map[string]any) bool { return len(items) == 3 })
	if c := contacts[0]; c["emails"] == nil || c["address"] == nil || c["sources"] == nil {
		t.Errorf("contact %v", c)
	}
	deliveries := waitFor(t, base, "/api/default/deliveries?status=processed", func(items []map[string]any) bool { return len(items) == 3 })

	// Replay one delivery: idempotent.
	r, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, fmt.Sprintf("%s/api/default/deliveries/%s/replay", base, deliveries[0]["id"]), nil)
	r.Header.Set("Authorization", "Bearer "+admin)
	if status, body := do(t, r); status != http.StatusOK || !strings.Contains(body, `"processed"`) {
		t.Errorf("replay: %d %s", status, body)
	}
	waitFor(t, base, "/api/default/donations", func(items []map[string]any) bool { return len(items) == 3 })

	if status, _ := get(t, base+"/api/default/donations", "wrong"); status != http.StatusUnauthorized {
		t.Errorf("read API with a wrong token: %d", status)
	}
	if status, _ := get(t, base+"/api/default/donations?limit=0", admin); status != http.StatusBadRequest {
		t.Errorf("read API with a bad limit: %d", status)
	}
	if status, body := get(t, base+"/healthz", ""); status != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz: %d %q", status, body)
	}
}

func TestServerInlineKeepsGeneratedCredentials(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "donorsync.db")
	_, out, stop := start(t, "-db", db, "-mode", "inline")
	stop()
	data, err := os.ReadFile(db + ".credentials.json")
	if err != nil {
		t.Fatal(err)
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil || len(c.ActBluePassword) != 24 || len(c.ActionNetworkToken) < 22 || c.AdminToken == "" || c.AnedotSecret == "" {
		t.Fatalf("saved credentials %s (%v)", data, err)
	}
	if fi, _ := os.Stat(db + ".credentials.json"); fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(out.String(), c.ActBluePassword) {
		t.Error("generated password not printed")
	}
	// A second start reuses them, without printing them.
	_, out, stop = start(t, "-db", db, "-mode", "inline")
	stop()
	for _, secret := range []string{c.ActBluePassword, c.AnedotSecret, c.ActionNetworkToken, c.AdminToken} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("second start printed the secret %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), db+".credentials.json") {
		t.Errorf("second start does not say where the credentials are:\n%s", out.String())
	}
	// -print-credentials prints them, unchanged.
	base, out, stop := start(t, "-db", db, "-mode", "inline", "-print-credentials")
	defer stop()
	for _, secret := range []string{c.ActBluePassword, c.AnedotSecret, c.ActionNetworkToken, c.AdminToken} {
		if !strings.Contains(out.String(), secret) {
			t.Errorf("-print-credentials does not print %q:\n%s", secret, out.String())
		}
	}
	r, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: c.ActBlueUser, Password: c.ActBluePassword},
		fixture(t, "actblue/testdata/contribution.json"))
	if status, body := do(t, r); status != http.StatusOK || !strings.Contains(body, `"processed"`) {
		t.Errorf("inline mode: %d %s, want processed", status, body)
	}
	if _, _, err := func() (string, *bytes.Buffer, error) {
		return "", nil, run(context.Background(), []string{"-mode", "sideways"}, io.Discard, io.Discard, nil)
	}(); err == nil {
		t.Error("-mode sideways accepted")
	}
}

// buildServer builds the server into dir and returns its path.
func buildServer(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "server")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// A process is a server started from its binary.
type process struct {
	cmd    *exec.Cmd
	base   string        // its URL
	out    *lockedBuffer // its start-up text
	logs   *lockedBuffer // its log
	copied chan struct{} // closed once out has all the process wrote
}

// launchServer starts the server bin with args on a free port, in the
// test's environment, and returns once it listens.
func launchServer(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{cmd: exec.Command(bin, append([]string{"-addr", addr}, args...)...), base: "http://" + addr,
		out: &lockedBuffer{}, logs: &lockedBuffer{}, copied: make(chan struct{})}
	stdout, _ := p.cmd.StdoutPipe()
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		fmt.Fprintln(p.out, sc.Text())
		if strings.HasPrefix(sc.Text(), "donorsync is listening") {
			break
		}
	}
	go func() {
		defer close(p.copied)
		// The scanner may have read past the line above.
		for sc.Scan() {
			fmt.Fprintln(p.out, sc.Text())
		}
		io.Copy(p.out, stdout)
	}()
	return p
}

// TestKillDuringLoad builds the server, kills it (SIGKILL) while a client
// sends deliveries, restarts it, and checks that every acknowledged
// delivery is stored and applied.
func TestKillDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	setEnv(t)
	dir := t.TempDir()
	bin := buildServer(t, dir)
	db := filepath.Join(dir, "donorsync.db")
	launch := func() *process { return launchServer(t, bin, "-db", db) }
	acked, rounds := killDuringLoad(t, launch)

	p := launch()
	defer stopProcess(t, p)
	waitFor(t, p.base, "/api/default/deliveries?status=pending&limit=1000", func(items []map[string]any) bool { return len(items) == 0 })
	stored := map[string]bool{}
	after := ""
	for {
		page := waitFor(t, p.base, "/api/default/donations?limit=1000&after="+after, func([]map[string]any) bool { return true })
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			stored[d["external_id"].(string)] = true
		}
		after = page[len(page)-1]["id"].(string)
	}
	for _, id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged delivery of line item %s is not in the store", id)
		}
	}
	t.Logf("%d deliveries acknowledged across %d kills; %d stored and applied", len(acked), rounds, len(stored))
}

// TestKillDuringLoadForwarding: as TestKillDuringLoad, with -forward on.
// After the restart, the receiver has got every change the store
// recorded, and with them a donation.recorded of each acknowledged
// delivery; a kill repeats at most the batch of changes in hand.
func TestKillDuringLoadForwarding(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	setEnv(t)
	t.Setenv(envForwardSecret, forwardSecret)
	dir := t.TempDir()
	bin := buildServer(t, dir)
	db := filepath.Join(dir, "donorsync.db")
	r := newReceiver(t, forwardSecret, nil)
	launch := func() *process { return launchServer(t, bin, "-db", db, "-forward", r.URL) }
	acked, rounds := killDuringLoad(t, launch)
	before := len(r.received())

	p := launch()
	defer stopProcess(t, p)
	waitFor(t, p.base, "/api/default/deliveries?status=pending&limit=1000", func(items []map[string]any) bool { return len(items) == 0 })
	stored := storedChanges(t, db)
	repeats := checkForwarded(t, r, stored, acked, true)
	// The Feed reads 100 changes at a time.
	if repeats > 100*rounds {
		t.Errorf("%d changes forwarded again after %d kills, more than a batch a kill", repeats, rounds)
	}
	t.Logf("%d deliveries acknowledged across %d kills; %d changes, %d forwarded before the restart; %d requests in all, %d repeating a change",
		len(acked), rounds, len(stored), before, len(r.received()), repeats)
}

// killDuringLoad launches the server and kills it (SIGKILL) while four
// clients send it ActBlue deliveries, of line items of their own, a few
// rounds over; it returns the line items of the deliveries acknowledged
// and the number of rounds.
func killDuringLoad(t *testing.T, launch func() *process) ([]string, int) {
	t.Helper()
	template := fixture(t, "actblue/testdata/contribution.json")
	cred := actblue.Credential{Username: abUser, Password: abPass}
	var mu sync.Mutex
	var acked []string
	send := func(base string, id int) bool {
		body := bytes.Replace(template, []byte(`"lineitemId": 99999999`), fmt.Appendf(nil, `"lineitemId": %d`, id), 1)
		r, _ := actblue.NewRequest(context.Background(), base+"/webhooks/actblue/default", cred, body)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			mu.Lock()
			acked = append(acked, fmt.Sprint(id))
			mu.Unlock()
		}
		return true
	}

	rounds, load := 2, 1500*time.Millisecond
	if *long {
		rounds, load = 10, 5*time.Second
	}
	for round := range rounds {
		p := launch()
		var wg sync.WaitGroup
		for c := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					if !send(p.base, 1_000_000*(round+1)+10_000*c+i) {
						return
					}
				}
			})
		}
		time.Sleep(load)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		p.cmd.Wait()
	}
	t.Logf("%d deliveries acknowledged", len(acked))
	if len(acked) < 10 {
		t.Fatalf("only %d deliveries acknowledged before the kills", len(acked))
	}
	return acked, rounds
}

// TestSlowAndOversizedClients: a client that trickles its headers or body
// is dropped; an oversized body gets 413; normal deliveries meanwhile
// are unaffected.
func TestSlowAndOversizedClients(t *testing.T) {
	setEnv(t)
	base, _, stop := start(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"), "-header-timeout", "300ms", "-read-timeout", "600ms", "-mode", "inline")
	defer stop()
	host := strings.TrimPrefix(base, "http://")
	cred := actblue.Credential{Username: abUser, Password: abPass}

	slow := func(partial string) chan time.Duration {
		dropped := make(chan time.Duration, 1)
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		go func() {
			defer conn.Close()
			io.WriteString(conn, partial)
			// Never finish; wait for the server to hang up.
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, conn)
			dropped <- time.Since(start)
		}()
		return dropped
	}
	slowHeaders := slow("POST /webhooks/actblue/default HTTP/1.1\r\nHost: x\r\nContent-")
	slowBody := slow("POST /webhooks/actblue/default HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"donor\":")

	// Normal traffic meanwhile.
	for i := range 5 {
		body := bytes.Replace(fixture(t, "actblue/testdata/contribution.json"), []byte(`"lineitemId": 99999999`), fmt.Appendf(nil, `"lineitemId": %d`, i), 1)
		r, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", cred, body)
		if status, body := do(t, r); status != http.StatusOK {
			t.Errorf("normal delivery during slow clients: %d %s", status, body)
		}
	}
	big := bytes.Repeat([]byte("x"), 2<<20)
	r, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", cred, big)
	if status, _ := do(t, r); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", status)
	}
	for name, ch := range map[string]chan time.Duration{"headers": slowHeaders, "body": slowBody} {
		select {
		case took := <-ch:
			if took > 5*time.Second {
				t.Errorf("slow %s dropped after %v", name, took)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("a client trickling its %s was never dropped", name)
		}
	}
}

func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	for _, tc := range []struct {
		env  string
		want int
	}{{"", gcPercent}, {"200", 100}, {"off", 100}} {
		debug.SetGCPercent(100)
		tuneGC(func(name string) string {
			if name == "GOGC" {
				return tc.env
			}
			return ""
		})
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: the collector's target is %d, want %d", tc.env, got, tc.want)
		}
	}
}
