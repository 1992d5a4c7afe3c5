package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/internal/fixtures"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"
)

// sqlState returns the SQLSTATE err carries, or "".
func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

func TestRefusedValuesMatchErrInvalid(t *testing.T) {
	t.Parallel()
	_, pool := freshSchema(t)
	s := newStore(t, pool())
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// Random, so that compression cannot bring it under the index's limit.
	var random [3000]byte
	rand.Read(random[:])
	key := hex.EncodeToString(random[:])
	tooBig := &donorsync.Delivery{ID: "dl_1", Tenant: "t1", Provider: "test", Key: key, Body: []byte("b"),
		ReceivedAt: now, Status: donorsync.Pending, UpdatedAt: now}
	err := s.Update(t.Context(), func(tx donorsync.Tx) error {
		_, err := tx.RecordDelivery(t.Context(), tooBig)
		return err
	})
	if !errors.Is(err, donorsync.ErrInvalid) || sqlState(err) != "54000" {
		t.Errorf("journaling a 6,000-byte key: %v; want ErrInvalid wrapping SQLSTATE 54000", err)
	}

	nul := donation.Donation{ID: "dn_1", Tenant: "t1", Provider: "test", ExternalID: "g\x001", Amount: decimal.New(5, 0), Currency: "USD"}
	err = s.Update(t.Context(), func(tx donorsync.Tx) error { return tx.PutDonation(t.Context(), nul) })
	if !errors.Is(err, donorsync.ErrInvalid) || !strings.HasPrefix(sqlState(err), "22") {
		t.Errorf("storing an id with a NUL byte: %v; want ErrInvalid wrapping a SQLSTATE of class 22", err)
	}

	future := donation.Donation{ID: "dn_2", Tenant: "t1", Provider: "test", ExternalID: "g2", Amount: decimal.New(5, 0),
		Currency: "USD", PaidAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -4*60*60)).UTC()}
	err = s.Update(t.Context(), func(tx donorsync.Tx) error { return tx.PutDonation(t.Context(), future) })
	if !errors.Is(err, donorsync.ErrInvalid) {
		t.Errorf("storing a time in year 10000: %v; want ErrInvalid", err)
	}

	// What may pass is not ErrInvalid: a lost connection, a timeout.
	down := newStore(t, pool())
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	err = down.Update(ctx, func(tx donorsync.Tx) error { return nil })
	if err == nil || errors.Is(err, donorsync.ErrInvalid) {
		t.Errorf("a timed-out transaction: %v; want an error that is not ErrInvalid", err)
	}
	if _, err := postgres.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", nil); err == nil || errors.Is(err, donorsync.ErrInvalid) {
		t.Errorf("no server: %v; want an error that is not ErrInvalid", err)
	}
}

func TestEngineQuarantinesWhatPostgreSQLRefuses(t *testing.T) {
	t.Parallel()
	_, pool := freshSchema(t)
	s := newStore(t, pool())
	// Within the engine's bounds, refused by the database: text with a
	// NUL byte.
	src := fixtures.GiftSource{Gift: donation.Donation{ExternalID: "g\x001", Amount: decimal.New(5, 0), Currency: "USD"}}
	fixtures.QuarantinedAtOnce(t, s, src, "")
}
