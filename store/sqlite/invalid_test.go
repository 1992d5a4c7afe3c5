package sqlite_test

import (
	"database/sql"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/fixtures"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/shopspring/decimal"
	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

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
	s, err := sqlite.New(t.Context(), db, nil)
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
	// Within the engine's bounds, over the database's: its record is
	// too long a string.
	src := fixtures.GiftSource{Gift: donation.Donation{ExternalID: "g1", Amount: decimal.New(5, 0), Currency: "USD",
		Custom: map[string]string{"note": strings.Repeat("n", 5000)}}}
	fixtures.QuarantinedAtOnce(t, s, src, "string or blob too big")
}
