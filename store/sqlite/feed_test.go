package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/google/go-cmp/cmp"
)

// signatures returns n Action Network signatures of 5 people, each
// delivered three times under keys of its own: n/3 signatures.
func signatures(t *testing.T, n int) [][]byte {
	t.Helper()
	template, err := os.ReadFile("../../actionnetwork/testdata/signature.json")
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		body := bytes.ReplaceAll(template, []byte("d6bdf50e-c3a4-4981-a948-3d8c086066d7"), fmt.Appendf(nil, "d6bdf50e-c3a4-4981-a948-%012d", i/3))
		body = bytes.ReplaceAll(body, []byte("1679091c5a880faf6fb5e6087eb1b2dc"), fmt.Appendf(nil, "key-%d", i))
		body = bytes.ReplaceAll(body, []byte("jsmith@mail.com"), fmt.Appendf(nil, "person%d@mail.com", i%5))
		body = bytes.ReplaceAll(body, []byte("699da712-929f-11e3-a2e9-12313d316c29"), fmt.Appendf(nil, "699da712-929f-11e3-a2e9-%012d", i%5))
		out[i] = bytes.ReplaceAll(body, []byte("12024444444"), fmt.Appendf(nil, "120244444%02d", i%5))
	}
	return out
}

// applyFeed journals ActBlue gifts and Action Network signatures in s,
// interleaved, has a running Worker apply them in batches of batch with
// the change feed on, and returns the feed of their tenant.
func applyFeed(t *testing.T, s *sqlite.Store, gifts, signatures [][]byte, batch int) []change.Change {
	t.Helper()
	ctx := t.Context()
	g := &donorsync.Ingester{Store: s, RecordChanges: true, Logger: slog.New(slog.DiscardHandler)}
	ab, an := actblueSource(t), actionNetworkSource(t)
	for i := range max(len(gifts), len(signatures)) {
		if i < len(gifts) {
			if err := g.Enqueue(ctx, ab, &donorsync.Delivery{Tenant: "t1", Body: gifts[i]}); err != nil {
				t.Fatal(err)
			}
		}
		if i < len(signatures) {
			if err := g.Enqueue(ctx, an, &donorsync.Delivery{Tenant: "t1", Body: signatures[i]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{ab, an}, Tenant: "t1", Batch: batch, Poll: time.Millisecond}
	runUntilApplied(t, s, w)
	var feed []change.Change
	err := s.View(ctx, func(tx donorsync.Tx) error {
		var err error
		feed, err = tx.Changes(ctx, "t1", 0, 1<<20)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return feed
}

// runUntilApplied runs w until no delivery of t1 is pending.
func runUntilApplied(t *testing.T, s donorsync.Store, w *donorsync.Worker) {
	t.Helper()
	run, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(run)
	}()
	defer func() {
		cancel()
		<-done
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		var pending []*donorsync.Delivery
		err := s.View(t.Context(), func(tx donorsync.Tx) error {
			var err error
			pending, err = tx.Deliveries(t.Context(), "t1", donorsync.DeliveryFilter{Status: donorsync.Pending, Page: donorsync.Page{Limit: 1}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("deliveries still pending after 30 s")
		}
	}
}

func actionNetworkSource(t testing.TB) *actionnetwork.Source {
	t.Helper()
	auth, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "t1", Token: "SqliteTokenSqliteToken1234"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := actionnetwork.NewSource(auth, actionnetwork.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// kinds counts the changes of a feed by kind, and fails t unless their
// positions run from 1 without a gap.
func kinds(t *testing.T, feed []change.Change) map[change.Kind]int {
	t.Helper()
	n := map[change.Kind]int{}
	for i, c := range feed {
		if c.Position != int64(i+1) {
			t.Fatalf("change %d of the feed at position %d", i, c.Position)
		}
		n[c.Kind]++
	}
	return n
}

// TestWorkerDraftsTellEachChangeOnce: a Worker that sends drafts, each
// applied beside the writing transaction after the one before, tells the
// same changes as one that does not, in a feed without gaps: a
// signature delivered again in a later batch is not told again.
func TestWorkerDraftsTellEachChangeOnce(t *testing.T) {
	t.Parallel()
	ab, an := gifts(t, 120, 12), signatures(t, 120)
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), nil)
	got := kinds(t, applyFeed(t, s, ab, an, 8))
	plain := open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{RecordCache: -1}) // cannot draft
	want := kinds(t, applyFeed(t, plain, ab, an, 8))
	if want[change.DonationRecorded] != 120 || want[change.ActivityRecorded] != 40 || want[change.ContactCreated] != 17 {
		t.Fatalf("without drafts, the feed tells %v; want 120 donations, 40 activities and 17 contacts", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes by kind, with drafts against without (-without +with):\n%s", diff)
	}
	if st := s.RecordCacheStats(); st.Drafts < 5 {
		t.Errorf("%+v: want most of the 30 batches sent as drafts", st)
	}
}
