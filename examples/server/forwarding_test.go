package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actblue/reports/reportstest"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/change"
)

// forwardSecret is the forwarding's secret the tests set in the
// environment.
const forwardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwRGVtb0ZvcndhcmQ="

// deliverAll delivers to the server at base fixtures of every provider
// and of several kinds: donations, a refund, a recurring commitment and
// its cancellation, an activity; and returns the line items and ids of
// the donations.
func deliverAll(t *testing.T, base string) []string {
	t.Helper()
	ab := actblue.Credential{Username: abUser, Password: abPass}
	var rs []*http.Request
	for _, f := range []string{"contribution", "refund", "recurring", "cancellation"} {
		r, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", ab, fixture(t, "actblue/testdata/"+f+".json"))
		rs = append(rs, r)
	}
	an, _ := anedot.NewRequest(t.Context(), base+"/webhooks/anedot/default", anedot.Credential{Token: secret}, fixture(t, "anedot/testdata/donation_completed.json"))
	rs = append(rs, an)
	for _, f := range []string{"donation", "signature"} {
		r, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/webhooks/actionnetwork/default/"+anToken,
			bytes.NewReader(fixture(t, "actionnetwork/testdata/"+f+".json")))
		rs = append(rs, r)
	}
	for _, r := range rs {
		if status, body := do(t, r); status != http.StatusOK {
			t.Fatalf("%s: %d %s", r.URL.Path, status, body)
		}
	}
	waitFor(t, base, "/api/default/deliveries?status=pending", func(items []map[string]any) bool { return len(items) == 0 })
	var ids []string
	for _, d := range waitFor(t, base, "/api/default/donations", func(items []map[string]any) bool { return len(items) >= 3 }) {
		ids = append(ids, d["external_id"].(string))
	}
	return ids
}

// storedChanges returns the changes the store at db holds for the
// tenant, by position.
func storedChanges(t *testing.T, db string) []change.Change {
	t.Helper()
	st, err := openExisting(t.Context(), db, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var all []change.Change
	for {
		var cs []change.Change
		err := st.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			cs, err = tx.Changes(t.Context(), tenant, int64(len(all)), 1000)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			return all
		}
		all = append(all, cs...)
	}
}

// checkForwarded checks that r was answered 2xx for each of the stored
// changes, each as it is stored, and for a donation.recorded of each
// donation of externalIDs; and that they came in order. It returns how
// many changes were delivered more than once.
func checkForwarded(t *testing.T, r *receiver, stored []change.Change, externalIDs []string, restarts bool) int {
	t.Helper()
	if len(stored) == 0 {
		t.Fatal("the store recorded no change")
	}
	r.waitDelivered(t, tenant, int64(len(stored)))
	got := r.delivered()[tenant]
	recorded := map[string]bool{}
	for i, c := range stored {
		if c.Position != int64(i+1) {
			t.Fatalf("stored change %d at position %d", i, c.Position)
		}
		want, _ := json.Marshal(c)
		if body, _ := json.Marshal(got[c.Position]); string(body) != string(want) {
			t.Errorf("change %d forwarded as\n%s\nstored as\n%s", c.Position, body, want)
		}
		if c.Kind == change.DonationRecorded {
			recorded[c.Donation.ExternalID] = true
		}
	}
	for _, id := range externalIDs {
		if !recorded[id] {
			t.Errorf("no donation.recorded forwarded for the donation %s", id)
		}
	}
	return checkOrder(t, r.received(), restarts)
}

func TestForwarding(t *testing.T) {
	setEnv(t)
	t.Setenv(envForwardSecret, forwardSecret)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	r := newReceiver(t, forwardSecret, nil)
	base, out, stop := start(t, "-db", db, "-forward", r.URL+"/donorsync?token=receiver-token")
	defer stop()
	if !strings.Contains(out.String(), "Forwarding every change to "+r.URL+"/donorsync?…") || strings.Contains(out.String(), forwardSecret) {
		t.Errorf("the start-up text does not tell the forwarding, or shows its secret from the environment:\n%s", out.String())
	}
	ids := deliverAll(t, base)
	// Each fixture again: a repeat changes nothing, and records no change.
	deliverAll(t, base)
	stored := storedChanges(t, db)
	kinds := map[change.Kind]bool{}
	for _, c := range stored {
		kinds[c.Kind] = true
	}
	for _, k := range []change.Kind{change.ContactCreated, change.DonationRecorded, change.DonationStatusChanged,
		change.CommitmentCreated, change.CommitmentCancelled, change.ActivityRecorded} {
		if !kinds[k] {
			t.Errorf("no %s among the %d changes stored", k, len(stored))
		}
	}
	if repeats := checkForwarded(t, r, stored, ids, false); repeats != 0 || len(r.received()) != len(stored) {
		t.Errorf("%d requests for %d changes, %d repeated", len(r.received()), len(stored), repeats)
	}
}

// TestForwardingReceiverDown: a receiver that fails (500), then is slower
// than -forward-timeout, then answers, gets every change, in order.
func TestForwardingReceiverDown(t *testing.T) {
	setEnv(t)
	t.Setenv(envForwardSecret, forwardSecret)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	const fail, slow = 4, 3
	r := newReceiver(t, forwardSecret, failThenSlow(fail, slow))
	base, logs := startForwarding(t, db, r.URL, "-mode", "inline")
	ids := deliverAll(t, base)
	stored := storedChanges(t, db)
	if repeats := checkForwarded(t, r, stored, ids, false); repeats != 0 {
		t.Errorf("%d changes delivered twice", repeats)
	}
	if extra := len(r.received()) - len(stored); extra != fail+slow {
		t.Errorf("%d requests beyond one a change, want the %d that failed", extra, fail+slow)
	}
	for _, want := range []string{"answered 500 Internal Server Error", "Client.Timeout exceeded"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not say %q", want)
		}
	}
	if strings.Contains(logs.String(), "Gibbons") || strings.Contains(logs.String(), "initech") {
		t.Errorf("the log shows donor data:\n%s", logs.String())
	}
}

// startForwarding starts the server with a store at db, forwarding to
// url with short timeouts and retries, and returns its address and log.
func startForwarding(t *testing.T, db, url string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	base, _, logs, stop := startLogged(t, append([]string{"-db", db, "-forward", url,
		"-forward-timeout", "300ms", "-forward-retry-max", "100ms"}, args...)...)
	t.Cleanup(stop)
	return base, logs
}

// TestForwardingPostgres forwards the changes of a PostgreSQL store.
func TestForwardingPostgres(t *testing.T) {
	url := postgresURL(t)
	setEnv(t)
	t.Setenv(envForwardSecret, forwardSecret)
	r := newReceiver(t, forwardSecret, failThenSlow(2, 1))
	base, _ := startForwarding(t, url, r.URL, "-credentials", filepath.Join(t.TempDir(), "credentials.json"))
	ids := deliverAll(t, base)
	checkForwarded(t, r, storedChanges(t, url), ids, false)
}

// TestForwardSecretGenerated: without DONORSYNC_FORWARD_SECRET, the
// secret is generated, for an existing database too, kept with the other
// credentials and printed once; -print-credentials prints it again.
func TestForwardSecretGenerated(t *testing.T) {
	setEnv(t)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	base, _, stop := start(t, "-db", db, "-mode", "inline")
	sendFixture(t, base)
	stop()

	r := newReceiver(t, specSecret, nil)
	args := []string{"-db", db, "-mode", "inline", "-forward", r.URL}
	_, out, stop := start(t, args...)
	stop()
	data, err := os.ReadFile(db + ".credentials.json")
	if err != nil {
		t.Fatal(err)
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if _, err := parseWebhookSecret("generated", c.ForwardSecret); err != nil {
		t.Fatalf("credentials file %s: %v", data, err)
	}
	if !strings.Contains(out.String(), "signed as Standard Webhooks says with the secret "+c.ForwardSecret+"\n") {
		t.Errorf("the generated secret is not printed:\n%s", out.String())
	}
	for _, s := range []string{abPass, admin} {
		if strings.Contains(out.String(), s) {
			t.Errorf("generating the forwarding's secret printed another secret:\n%s", out.String())
		}
	}

	// The next start signs with it, and does not print it.
	r = newReceiver(t, c.ForwardSecret, nil)
	args[len(args)-1] = r.URL
	base, out, stop = start(t, args...)
	defer stop()
	if strings.Contains(out.String(), c.ForwardSecret) || !strings.Contains(out.String(), "with the secret <in "+db+".credentials.json>") {
		t.Errorf("second start:\n%s", out.String())
	}
	r2, _ := actblue.NewRequest(t.Context(), base+"/webhooks/actblue/default", actblue.Credential{Username: abUser, Password: abPass},
		bytes.Replace(fixture(t, "actblue/testdata/contribution.json"), []byte(`"lineitemId": 99999999`), []byte(`"lineitemId": 12345`), 1))
	if status, body := do(t, r2); status != http.StatusOK {
		t.Fatalf("webhook: %d %s", status, body)
	}
	r.waitDelivered(t, tenant, 1)
	_, out, stopPrinted := start(t, "-db", db+"-other", "-credentials", db+".credentials.json", "-print-credentials", "-forward", r.URL)
	stopPrinted()
	if !strings.Contains(out.String(), c.ForwardSecret) {
		t.Errorf("-print-credentials does not print the forwarding's secret:\n%s", out.String())
	}
}

func TestForwardFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-forward", "crm.example/hook"}, "-forward is not an http:// or https:// URL"},
		{[]string{"-forward", "ftp://crm.example/hook?token=t0ken"}, "-forward is not an http:// or https:// URL"},
		{[]string{"-forward-timeout", "0s"}, "-forward-timeout is 0s"},
		{[]string{"-forward-retry-max", "-1s"}, "-forward-retry-max is -1s"},
		{[]string{"-forward-name", ""}, "-forward-name is empty"},
	} {
		_, err := parseFlags(tc.args, func(string) string { return "" }, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "t0ken") {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	c, err := parseFlags([]string{"-forward", "https://crm.example/hook"}, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil || c.forward.String() != "https://crm.example/hook" || c.forwardName != "forward" || c.forwardTimeout != 15*time.Second {
		t.Errorf("-forward: %+v, %v", c, err)
	}
}

// TestForwardingReconcileCommand: with DONORSYNC_FORWARD set, what the
// reconcile command applies beside the server is forwarded too, as the
// replays of the replay command would be.
func TestForwardingReconcileCommand(t *testing.T) {
	setEnv(t)
	t.Setenv(envForwardSecret, forwardSecret)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	r := newReceiver(t, forwardSecret, nil)
	t.Setenv("DONORSYNC_FORWARD", r.URL)
	base, _, stop := start(t, "-db", db, "-mode", "inline")
	defer stop()
	sendFixture(t, base)
	fake := newReportsFake(t, reportstest.Options{})
	fake.setPaid(fixtureRow, missingRow)
	env := apiEnv(fake.URL)
	env["DONORSYNC_FORWARD"] = r.URL
	if code, out, errs := reconcileCmd(t, env, "-db", db, "-from", "2019-06-01", "-to", "2019-07-01", "-apply"); code != exitDiffers {
		t.Fatalf("reconcile: exit %d, want 1\n%s%s", code, out, errs)
	}
	checkForwarded(t, r, storedChanges(t, db), []string{fixtureRow[0], missingRow[0]}, false)

	c := newOps("replay", io.Discard)
	if _, err := c.parse([]string{"-db", db}, getenvOf(env)); err != nil || !c.recordChanges {
		t.Errorf("the replay command records no change with DONORSYNC_FORWARD set (%v)", err)
	}
}
