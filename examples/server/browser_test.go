package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/store/sqlite"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// needChromium skips the test when Chromium is missing, unless
// DONORSYNC_REQUIRE_CHROMIUM=1 (as CI sets it): then it fails.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	const install = "install Debian's chromium package (apt-get install chromium) to run it"
	if os.Getenv("DONORSYNC_REQUIRE_CHROMIUM") == "1" {
		t.Fatalf("DONORSYNC_REQUIRE_CHROMIUM=1 and %s is missing: %s", chromiumPath, install)
	}
	t.Skipf("browser test skipped: %s is missing; %s, and set DONORSYNC_REQUIRE_CHROMIUM=1 to make its absence fail", chromiumPath, install)
}

// journalDead journals, into the SQLite database at db, a valid ActBlue
// delivery of each fixture with status Dead, as if every attempt to
// apply it had failed, and returns their ids.
func journalDead(t *testing.T, db string, fixtures ...string) []string {
	t.Helper()
	st, err := sqlite.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	for _, f := range fixtures {
		d := &donorsync.Delivery{
			ID: donorsync.NewID("dl"), Tenant: tenant, Provider: "actblue", Key: "browser:" + f, Body: fixture(t, f),
			ReceivedAt: time.Now(), UpdatedAt: time.Now(), Status: donorsync.Dead, Attempts: 8, Error: "the store was down",
		}
		if err := st.Update(t.Context(), func(tx donorsync.Tx) error {
			_, err := tx.RecordDelivery(t.Context(), d)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

// browser starts a headless Chromium of its own (its own profile, so its
// own cookies) and returns a context to drive it.
func browser(t *testing.T) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return ctx
}

// TestBrowserReplaysADeadDelivery drives Chromium through what an
// operator does with a dead delivery: log in through the form, see it on
// the overview, open it, replay it, see it processed; then again with
// JavaScript disabled.
func TestBrowserReplaysADeadDelivery(t *testing.T) {
	needChromium(t)
	setEnv(t)
	db := filepath.Join(t.TempDir(), "donorsync.db")
	ids := journalDead(t, db, "actblue/testdata/contribution.json", "actblue/testdata/recurring.json")
	base, _, stop := start(t, "-db", db)
	defer stop()

	t.Run("JavaScript", func(t *testing.T) {
		operate(t, &tab{t: t, ctx: browser(t)}, base, ids[0], false)
	})
	t.Run("NoJavaScript", func(t *testing.T) {
		b := &tab{t: t, ctx: browser(t)}
		b.do("disable JavaScript", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
		operate(t, b, base, ids[1], true)
	})
}

// A tab drives a browser's tab, failing the test at the first error.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

// text is the visible text of the first element sel (a CSS selector)
// matches.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("the text of %s: %v (at %s)", sel, err, b.location())
	}
	return s
}

func (b *tab) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

// operate logs in, finds the dead delivery id from the overview, opens
// it, replays it and checks it processed. With checkBody it also opens
// its body, masked.
func operate(t *testing.T, b *tab, base, id string, checkBody bool) {
	b.do("log in",
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS("#token")), // sent to the login form
		chromedp.SendKeys(chromedp.CSS("#token"), admin),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.alerts")),
	)
	if text := b.text("section.alerts"); b.location() != base+"/admin/" || !strings.Contains(text, "dead deliver") {
		t.Fatalf("after logging in, at %s the overview says:\n%s", b.location(), text)
	}
	b.do("see the dead deliveries",
		chromedp.Click(chromedp.CSS(`section.alerts a[href*="status=dead"]`)),
		chromedp.WaitVisible(chromedp.CSS("form.filters")),
	)
	if text := b.text("main table"); !strings.Contains(text, id) || !strings.Contains(text, "the store was down") {
		t.Fatalf("the dead deliveries do not list %s:\n%s", id, text)
	}
	b.do("open the delivery",
		chromedp.Click(chromedp.CSS(`a[href$="/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#status")),
	)
	if status, text := b.text("#status"), b.text("main"); status != "dead" || !strings.Contains(text, "Not in the store: donation") {
		t.Fatalf("the delivery's page: status %q\n%s", status, text)
	}
	b.do("replay it",
		chromedp.Click(chromedp.CSS(`form[action$="/replay"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role=status]`)),
	)
	status, text := b.text("#status"), b.text("main")
	if status != "processed" || !strings.Contains(text, "Replayed: the delivery is now processed.") || strings.Contains(text, "Not in the store") {
		t.Fatalf("after the replay, at %s: status %q\n%s", b.location(), status, text)
	}
	if loc := b.location(); !strings.HasPrefix(loc, base+"/admin/deliveries/default/"+id) {
		t.Errorf("after the replay the browser is at %s", loc)
	}
	if !checkBody {
		return
	}
	b.do("show the body",
		chromedp.Click(chromedp.CSS(`a[href="?body=1#body"]`)),
		chromedp.WaitVisible(chromedp.CSS("pre")),
	)
	if text := b.text("pre"); !strings.Contains(text, `"email": "•••"`) || strings.Contains(text, "samir@example.org") ||
		!strings.Contains(text, `"orderNumber": "AB3000001"`) {
		t.Errorf("the masked body:\n%s", text)
	}
}
