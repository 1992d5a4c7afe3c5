package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/google/go-cmp/cmp"
)

// gifts returns n ActBlue contributions from donors recurring in turn,
// each gift with a phone of its own, which the donor's record collects.
func gifts(t *testing.T, n, donors int) [][]byte {
	t.Helper()
	template, err := os.ReadFile("../../actblue/testdata/contribution.json")
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		body := bytes.ReplaceAll(template, []byte("Peter.Gibbons@Initech.example"), fmt.Appendf(nil, "donor%d@example.org", i%donors))
		body = bytes.ReplaceAll(body, []byte(`"lineitemId": 99999999`), fmt.Appendf(nil, `"lineitemId": %d`, i+1))
		out[i] = bytes.ReplaceAll(body, []byte(`"phone": "(589) 742-7087 x5082"`), fmt.Appendf(nil, `"phone": "512730%04d"`, i))
	}
	return out
}

// applied is what a store holds: for each donation its donor's email,
// and the contacts, without their ids and times.
type applied struct {
	Donors   map[string]string
	Contacts []contact.Contact
}

// applyQueued journals bodies in s and has a running Worker apply them
// in batches of batch.
func applyQueued(t *testing.T, s *sqlite.Store, bodies [][]byte, batch int) applied {
	t.Helper()
	ctx := t.Context()
	g := &donorsync.Ingester{Store: s, Logger: slog.New(slog.DiscardHandler)}
	src := actblueSource(t)
	for _, b := range bodies {
		if err := g.Enqueue(ctx, src, &donorsync.Delivery{Tenant: "t1", Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	run, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}, Tenant: "t1", Batch: batch, Poll: time.Millisecond}).Run(run)
	}()
	defer func() {
		cancel()
		<-done
	}()
	got := applied{Donors: map[string]string{}}
	for deadline := time.Now().Add(30 * time.Second); ; {
		var pending []*donorsync.Delivery
		err := s.View(ctx, func(tx donorsync.Tx) error {
			var err error
			pending, err = tx.Deliveries(ctx, "t1", donorsync.DeliveryFilter{Status: donorsync.Pending, Page: donorsync.Page{Limit: 1}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("deliveries still pending after 30 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	err := s.View(ctx, func(tx donorsync.Tx) error {
		ds, err := tx.Donations(ctx, "t1", donorsync.Page{Limit: len(bodies) + 1})
		for _, d := range ds {
			c, err := tx.Contact(ctx, "t1", d.ContactID)
			if err != nil {
				return err
			}
			got.Donors[d.ExternalID] = c.Email
		}
		if err != nil {
			return err
		}
		got.Contacts, err = tx.Contacts(ctx, "t1", donorsync.Page{Limit: len(bodies) + 1})
		for i := range got.Contacts {
			c := &got.Contacts[i]
			c.ID, c.CreatedAt, c.UpdatedAt = "", time.Time{}, time.Time{}
		}
		slices.SortFunc(got.Contacts, func(a, b contact.Contact) int { return strings.Compare(a.Email, b.Email) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWorkerRunSendsDraftsToTheSameState(t *testing.T) {
	t.Parallel()
	bodies := gifts(t, 400, 24)
	s := open(t, filepath.Join(t.TempDir(), "donorsync.db"), nil)
	got := applyQueued(t, s, bodies, 16)
	plain := open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{RecordCache: -1}) // cannot draft
	want := applyQueued(t, plain, bodies, 16)
	if len(want.Donors) != len(bodies) || len(want.Contacts) != 24 {
		t.Fatalf("%d donations and %d contacts without drafts, want %d and 24", len(want.Donors), len(want.Contacts), len(bodies))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with drafts against without (-without +with):\n%s", diff)
	}
	st := s.RecordCacheStats()
	if st.Drafts < 10 {
		t.Errorf("%+v: want most of the 25 batches sent as drafts", st)
	}
	if plain.RecordCacheStats().Drafts != 0 {
		t.Error("a store that keeps no records sent drafts")
	}
}

// actblueSource returns an ActBlue Source for decoding journaled deliveries.
func actblueSource(t testing.TB) *actblue.Source {
	t.Helper()
	auth, err := actblue.NewAuthenticator(actblue.Credential{Tenant: "t1", Username: "t1-1", Password: "SqlitePasswordSqlite1234"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := actblue.NewSource(auth, actblue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}
