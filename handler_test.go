package donorsync_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/lograte"
	"github.com/donorsync/donorsync/memstore"
)

// recorder is a slog.Handler that keeps every record, and signals each.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
	added   chan struct{}
}

func newRecorder() *recorder { return &recorder{added: make(chan struct{}, 1)} }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec.Clone())
	r.mu.Unlock()
	select {
	case r.added <- struct{}{}:
	default:
	}
	return nil
}

// lines returns the records with the message msg.
func (r *recorder) lines(msg string) []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []slog.Record
	for _, rec := range r.records {
		if rec.Message == msg {
			out = append(out, rec)
		}
	}
	return out
}

// sum adds up the integer attribute key of the records with message msg.
func (r *recorder) sum(msg, key string) int64 {
	var n int64
	for _, rec := range r.lines(msg) {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				n += a.Value.Int64()
			}
			return true
		})
	}
	return n
}

// waitFor waits until cond holds, failing the test after a long while.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for !cond() {
		select {
		case <-r.added:
		case <-timeout:
			t.Fatalf("never logged: %s", what)
		}
	}
}

// attr returns the value of the attribute key of rec.
func attr(rec slog.Record, key string) slog.Value {
	var v slog.Value
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

// watchedBody is a request body that counts its reads and, when gate is
// set, signals the first read and waits for gate to be closed.
type watchedBody struct {
	r       io.Reader
	reads   atomic.Int32
	started chan struct{}
	gate    chan struct{}
}

func newWatchedBody(s string) *watchedBody {
	return &watchedBody{r: strings.NewReader(s), started: make(chan struct{})}
}

func (b *watchedBody) Read(p []byte) (int, error) {
	if b.reads.Add(1) == 1 {
		close(b.started)
		if b.gate != nil {
			<-b.gate
		}
	}
	return b.r.Read(p)
}

func post(h http.Handler, body io.Reader, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", body)
	r.RemoteAddr = "192.0.2.7:4321"
	if token != "" {
		r.Header.Set("X-Token", token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerAuthenticatesBeforeReadingTheBody(t *testing.T) {
	t.Parallel()
	h := &donorsync.Handler{Source: &decodingSource{}, Ingester: &donorsync.Ingester{Store: memstore.New(), Logger: quiet}, Logger: quiet}
	body := newWatchedBody(strings.Repeat("x", 1000))
	if w := post(h, body, "wrong"); w.Code != http.StatusUnauthorized {
		t.Fatalf("answer %d, want 401", w.Code)
	}
	if n := body.reads.Load(); n != 0 {
		t.Errorf("the body of a request without credentials was read %d times before the 401", n)
	}
}

func TestHandlerCapsBodiesInFlight(t *testing.T) {
	t.Parallel()
	h := &donorsync.Handler{Source: &decodingSource{}, Ingester: &donorsync.Ingester{Store: memstore.New(), Logger: quiet},
		Logger: quiet, MaxBodyBytes: 100, MaxBytesInFlight: 100, RetryAfter: 3 * time.Second}
	// A body of unknown length reserves MaxBodyBytes: the whole cap.
	held := newWatchedBody("held")
	held.gate = make(chan struct{})
	answered := make(chan int)
	go func() { answered <- post(h, held, "secret").Code }()
	<-held.started

	refused := newWatchedBody("refused")
	w := post(h, refused, "secret")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "3" {
		t.Errorf("with the cap full: answer %d Retry-After %q, want 503 with Retry-After 3", w.Code, w.Header().Get("Retry-After"))
	}
	if n := refused.reads.Load(); n != 0 {
		t.Errorf("a body beyond the cap was read (%d reads)", n)
	}

	close(held.gate)
	if code := <-answered; code != http.StatusOK {
		t.Errorf("the request holding the cap: answer %d, want 200", code)
	}
	if w := post(h, newWatchedBody("after"), "secret"); w.Code != http.StatusOK {
		t.Errorf("once the cap is released: answer %d %s, want 200", w.Code, w.Body)
	}
}

// slowBody sends its bytes in chunks, sleeping before each: a slow upload.
type slowBody struct {
	chunks []string
	pause  time.Duration
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(b.chunks) == 0 {
		return 0, io.EOF
	}
	time.Sleep(b.pause)
	n := copy(p, b.chunks[0])
	b.chunks = b.chunks[1:]
	return n, nil
}

func TestDeadlineStartsAtTheEndOfTheUpload(t *testing.T) {
	t.Parallel()
	h := &donorsync.Handler{Source: giftSource(), Ingester: &donorsync.Ingester{Store: memstore.New(), Logger: quiet},
		Logger: quiet, Deadline: 20 * time.Millisecond}
	// The upload takes ten times the deadline; the store is healthy.
	body := &slowBody{chunks: []string{"sl", "ow", "ly"}, pause: 70 * time.Millisecond}
	if w := post(h, body, "secret"); w.Code != http.StatusOK {
		t.Errorf("a slow upload to a healthy store: answer %d %s, want 200", w.Code, w.Body)
	}
}

func TestRejectionsAreSummarised(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	h := &donorsync.Handler{Source: &decodingSource{}, Ingester: &donorsync.Ingester{Store: memstore.New(), Logger: quiet},
		Logger: slog.New(rec)}
	const n = 200
	for range n {
		if w := post(h, strings.NewReader("x"), "wrong"); w.Code != http.StatusUnauthorized {
			t.Fatalf("answer %d, want 401", w.Code)
		}
	}
	const summary = "donorsync: webhook requests rejected"
	rec.waitFor(t, "a summary of every rejection", func() bool { return rec.sum(summary, "unauthorized") == n })
	debug := rec.lines("donorsync: webhook rejected")
	if len(debug) != n {
		t.Errorf("%d Debug lines for %d rejections, want one each", len(debug), n)
	}
	for _, d := range debug {
		if d.Level != slog.LevelDebug || attr(d, "remote").String() != "192.0.2.7:4321" || attr(d, "cause").String() != "unauthorized" {
			t.Fatalf("rejection logged at %v with remote %q and cause %q", d.Level, attr(d, "remote"), attr(d, "cause"))
		}
	}
	// At most one summary a second: 200 rejections sent at once take a
	// few, not one per rejection.
	if s := rec.lines(summary); len(s) > 5 || s[0].Level != slog.LevelWarn {
		t.Errorf("%d summaries (first at %v) for %d rejections; want one a second, at Warn", len(s), s[0].Level, n)
	}
	if s := rec.lines(summary); attr(s[0], "provider").String() != "test" {
		t.Errorf("summary without its provider: %v", s[0])
	}
}

// failingCommits fails every transaction while fail is set, after fn ran.
type failingCommits struct {
	*memstore.Store
	fail *atomic.Bool
}

var errCommit = errors.New("commit failed: connection lost")

func (s failingCommits) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.fail.Load() {
			return errCommit
		}
		return nil
	})
}

func TestStoreOutageIsLoggedOnce(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	store := failingCommits{memstore.New(), new(atomic.Bool)}
	h := &donorsync.Handler{Source: giftSource(), Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Logger: slog.New(rec)}
	store.fail.Store(true)
	const n = 30
	for range n {
		if w := post(h, strings.NewReader("g1"), "secret"); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("store down: answer %d, want 503", w.Code)
		}
	}
	store.fail.Store(false)
	if w := post(h, strings.NewReader("g1"), "secret"); w.Code != http.StatusOK {
		t.Fatalf("store back: answer %d, want 200", w.Code)
	}
	if end := rec.lines("donorsync: store journals deliveries again"); len(end) != 0 {
		t.Errorf("the outage ended at the first success after a failure; want it to wait for %v without one", lograte.DefaultQuiet)
	}
	time.Sleep(lograte.DefaultQuiet)
	if w := post(h, strings.NewReader("g2"), "secret"); w.Code != http.StatusOK {
		t.Fatalf("store back: answer %d, want 200", w.Code)
	}
	var errs, warns int
	for _, r := range rec.records {
		switch r.Level {
		case slog.LevelError:
			errs++
		case slog.LevelWarn:
			warns++
		}
	}
	end := rec.lines("donorsync: store journals deliveries again")
	if errs != 1 || warns != 1 || len(end) != 1 || attr(end[0], "refused").Int64() != n {
		t.Errorf("an outage of %d requests: %d Error and %d Warn lines, end %v; want one of each, the end with refused=%d", n, errs, warns, end, n)
	}
	if d := rec.lines("donorsync: webhook not journaled"); len(d) != n || d[0].Level != slog.LevelDebug {
		t.Errorf("%d Debug lines for %d refused requests", len(d), n)
	}
}

// Each line a Handler logs about a request says the status it was
// answered: journaled, refused, or not journaled.
func TestLogLinesSayTheStatusSent(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	store := failingCommits{memstore.New(), new(atomic.Bool)}
	h := &donorsync.Handler{Source: giftSource(), Ingester: &donorsync.Ingester{Store: store, Logger: quiet}, Logger: slog.New(rec)}
	codes := map[string]int{}
	codes["donorsync: webhook"] = post(h, strings.NewReader("g1"), "secret").Code
	codes["donorsync: webhook rejected"] = post(h, strings.NewReader("g2"), "wrong").Code
	store.fail.Store(true)
	codes["donorsync: webhook not journaled"] = post(h, strings.NewReader("g3"), "secret").Code
	for msg, code := range codes {
		lines := rec.lines(msg)
		if len(lines) != 1 || attr(lines[0], "status").Int64() != int64(code) {
			t.Errorf("%q: %d lines, status %v; want one saying %d, the status sent", msg, len(lines), lines, code)
		}
	}
	if codes["donorsync: webhook"] != http.StatusOK || codes["donorsync: webhook rejected"] != http.StatusUnauthorized ||
		codes["donorsync: webhook not journaled"] != http.StatusServiceUnavailable {
		t.Errorf("answers %v; want 200, 401 and 503", codes)
	}
}
