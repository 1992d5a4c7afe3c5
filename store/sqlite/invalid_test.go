package sqlite_test

import (
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/shopspring/decimal"
	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// giftSource decodes every delivery into one gift, keyed by the body.
type giftSource struct{ gift donation.Donation }

func (giftSource) Provider() string { return "test" }

func (giftSource) Authenticate(r *http.Request) (string, io.Reader, error) { return "t1", r.Body, nil }

func (s giftSource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	c := &contact.Contact{Email: "i@example.org"}
	c.Normalize()
	g := s.gift
	return donorsync.Decoded{Key: string(d.Body), Events: []donation.Event{{At: time.Now(), Contact: c, Donation: &g}}}, nil
}

// limited returns a Store on one connection whose strings and blobs may
// be at most 4,000 bytes long: over that, SQLite answers SQLITE_TOOBIG.
func limited(t *testing.T) *sqlite.Store {
	t.Helper()
	q := url.Values{"_txlock": {"immediate"}, "_pragma": {"busy_timeout(5000)", "journal_mode(WAL)"}}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "limited.db")+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := driver.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, 4000); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	s, err := sqlite.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRefusedValuesMatchErrInvalid(t *testing.T) {
	t.Parallel()
	s := limited(t)
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tooBig := &donorsync.Delivery{ID: "dl_1", Tenant: "t1", Provider: "test", Key: strings.Repeat("k", 5000), Body: []byte("b"),
		ReceivedAt: now, Status: donorsync.Pending, UpdatedAt: now}
	err := s.Update(t.Context(), func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(t.Context(), tooBig)
		return err
	})
	var se *driver.Error
	if !errors.Is(err, donorsync.ErrInvalid) || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_TOOBIG {
		t.Errorf("journaling a 5,000-byte key: %v; want ErrInvalid wrapping SQLITE_TOOBIG", err)
	}

	future := donation.Donation{ID: "dn_1", Tenant: "t1", Provider: "test", ExternalID: "g1", Amount: decimal.New(5, 0),
		Currency: "USD", PaidAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -4*60*60)).UTC()}
	err = s.Update(t.Context(), func(tx donorsync.Tx) error { return tx.PutDonation(t.Context(), future) })
	if !errors.Is(err, donorsync.ErrInvalid) {
		t.Errorf("storing a time in year 10000: %v; want ErrInvalid", err)
	}

	closed := open(t, filepath.Join(t.TempDir(), "closed.db"), nil)
	closed.Close()
	err = closed.Update(t.Context(), func(tx donorsync.Tx) error { return nil })
	if err == nil || errors.Is(err, donorsync.ErrInvalid) {
		t.Errorf("a closed database: %v; want an error that is not ErrInvalid", err)
	}
}

func TestEngineQuarantinesWhatSQLiteRefuses(t *testing.T) {
	t.Parallel()
	s := limited(t)
	g := &donorsync.Ingester{Store: s, Logger: slog.New(slog.DiscardHandler)}
	// Within the engine's bounds, over the database's: its record is
	// too long a string.
	src := giftSource{donation.Donation{ExternalID: "g1", Amount: decimal.New(5, 0), Currency: "USD",
		Custom: map[string]string{"note": strings.Repeat("n", 5000)}}}
	inline := &donorsync.Delivery{Tenant: "t1", Body: []byte("inline")}
	if err := g.Receive(t.Context(), src, inline); err != nil || inline.Status != donorsync.Quarantined ||
		!strings.Contains(inline.Error, "string or blob too big") {
		t.Errorf("Receive: %v, status %s, error %q; want quarantined", err, inline.Status, inline.Error)
	}
	queued := &donorsync.Delivery{Tenant: "t1", Body: []byte("queued")}
	if err := g.Enqueue(t.Context(), src, queued); err != nil {
		t.Fatal(err)
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}}
	if _, err := w.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got *donorsync.Delivery
	err := s.View(t.Context(), func(tx donorsync.Tx) error {
		var err error
		got, err = tx.Delivery(t.Context(), "t1", queued.ID)
		return err
	})
	if err != nil || got.Status != donorsync.Quarantined || got.Attempts != 1 || !strings.Contains(got.Error, "string or blob too big") {
		t.Errorf("after the Worker: %+v, %v; want quarantined after 1 attempt", got, err)
	}
}
