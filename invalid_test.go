package donorsync_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
	"github.com/donorsync/donorsync/memstore"
	"github.com/shopspring/decimal"
)

// validEvent returns an event the engine applies: a donor, a gift, a
// refund of part of it, a commitment and an activity.
func validEvent() donation.Event {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &contact.Contact{Email: "v@example.org", Phone: "(202) 555-0100", Sources: []contact.Source{{Provider: "test", DonorID: "d1"}}}
	c.Normalize()
	return donation.Event{
		At: at, Contact: c,
		Donation:    &donation.Donation{ExternalID: "g1", Amount: decimal.RequireFromString("10"), Currency: "USD", PaidAt: at},
		Adjustments: []donation.Adjustment{{Key: "g1:refund", Kind: donation.PartialRefund, Amount: decimal.RequireFromString("-2"), At: at}},
		Commitment:  &donation.Commitment{ExternalID: "c1", Amount: decimal.RequireFromString("10"), Currency: "USD", StartedAt: at},
		Activities:  []contact.Activity{{Key: "a1", Type: "osdi:signature", At: at}},
	}
}

// year10000 is 9999-12-31T23:59:59-04:00: year 9999 in its zone, 10000 in UTC.
var year10000 = time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -4*60*60))

var long = strings.Repeat("x", 3000)

// invalidEvents are events the engine must quarantine, each with the
// error its delivery must be stored with.
var invalidEvents = []struct {
	name   string
	change func(*donation.Event)
	want   string
}{
	{"negative amount", func(e *donation.Event) { e.Donation.Amount = decimal.RequireFromString("-100") }, "Donation.Amount: negative"},
	{"zero amount", func(e *donation.Event) { e.Donation.Amount = decimal.Zero }, "Donation.Amount: zero"},
	{"BTC", func(e *donation.Event) { e.Donation.Currency = "BTC" }, `Donation.Currency: "BTC" is not an active ISO 4217 code`},
	{"lower case currency", func(e *donation.Event) { e.Donation.Currency = "usd" }, `Donation.Currency: "usd" is not`},
	{"no currency", func(e *donation.Event) { e.Donation.Currency = "" }, "Donation.Currency: empty"},
	{"long currency", func(e *donation.Event) { e.Donation.Currency = long }, "Donation.Currency: 3000 bytes long"},
	{"negative commitment", func(e *donation.Event) { e.Commitment.Amount = decimal.RequireFromString("-1") }, "Commitment.Amount: negative"},
	{"commitment currency", func(e *donation.Event) { e.Commitment.Currency = "XYZ" }, `Commitment.Currency: "XYZ"`},
	{"event time", func(e *donation.Event) { e.At = year10000 }, "At: year 10000 in UTC"},
	{"paid", func(e *donation.Event) { e.Donation.PaidAt = year10000 }, "Donation.PaidAt: year 10000 in UTC"},
	{"created", func(e *donation.Event) { e.Donation.CreatedAt = year10000 }, "Donation.CreatedAt: year 10000"},
	{"adjusted", func(e *donation.Event) { e.Adjustments[0].At = year10000 }, "Adjustments[0].At: year 10000"},
	{"started", func(e *donation.Event) { e.Commitment.StartedAt = year10000 }, "Commitment.StartedAt: year 10000"},
	{"cancelled", func(e *donation.Event) { e.Commitment.CancelledAt = year10000 }, "Commitment.CancelledAt: year 10000"},
	{"acted", func(e *donation.Event) { e.Activities[0].At = year10000 }, "Activities[0].At: year 10000"},
	{"seen", func(e *donation.Event) { e.Contact.Seen = map[string]time.Time{contact.FieldEmail: year10000} }, `Contact.Seen["email"]: year 10000`},
	{"year 10000 in its zone", func(e *donation.Event) {
		e.Donation.PaidAt = time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC).In(time.FixedZone("", 2*60*60))
	}, "Donation.PaidAt: year 10000 in its zone"},
	{"donation id", func(e *donation.Event) { e.Donation.ExternalID = long }, "Donation.ExternalID: 3000 bytes long, over the bound of 256"},
	{"no donation id", func(e *donation.Event) { e.Donation.ExternalID = "" }, "Donation.ExternalID: empty"},
	{"adjustment key", func(e *donation.Event) { e.Adjustments[0].Key = long }, "Adjustments[0].Key: 3000 bytes long"},
	{"adjusted donation", func(e *donation.Event) { e.Adjustments[0].DonationID = long }, "Adjustments[0].DonationID: 3000 bytes long"},
	{"adjustment of nothing", func(e *donation.Event) { e.Donation = nil }, "Adjustments[0].DonationID: empty: the adjustment names no donation"},
	{"commitment id", func(e *donation.Event) { e.Commitment.ExternalID = long }, "Commitment.ExternalID: 3000 bytes long"},
	{"activity key", func(e *donation.Event) { e.Activities[0].Key = long }, "Activities[0].Key: 3000 bytes long"},
	{"email", func(e *donation.Event) {
		e.Contact.Email = strings.Repeat("x", 300) + "@example.org"
		e.Contact.Emails = []string{e.Contact.Email}
	}, "Contact.Email: 312 bytes long, over the bound of 254"},
	{"emails", func(e *donation.Event) { e.Contact.Emails = append(e.Contact.Emails, long+"@example.org") }, "Contact.Emails[1]: 3012 bytes long"},
	{"phone", func(e *donation.Event) { e.Contact.Phones = []contact.Phone{{Number: long}} }, "Contact.Phones[0].Number: 3000 bytes long, over the bound of 64"},
	{"donor id", func(e *donation.Event) { e.Contact.Sources[0].DonorID = long }, "Contact.Sources[0].DonorID: 3000 bytes long"},
}

// quarantined checks that delivery id is stored quarantined, for good,
// with an error that contains want and never the long value.
func quarantined(t *testing.T, store donorsync.Store, id, want string) *donorsync.Delivery {
	t.Helper()
	got := delivery(t, store, id)
	if got.Status != donorsync.Quarantined || !got.NextAttemptAt.IsZero() || !strings.Contains(got.Error, want) {
		t.Errorf("stored: %s, next attempt %v, error %q; want quarantined with %q", got.Status, got.NextAttemptAt, got.Error, want)
	}
	if strings.Contains(got.Error, long[:300]) {
		t.Errorf("the error quotes the value: %.400q", got.Error)
	}
	return got
}

func TestInvalidEventsAreQuarantinedAtOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range invalidEvents {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := validEvent()
			tt.change(&ev)
			src := &decodingSource{events: []donation.Event{ev}}

			store := memstore.New()
			g := &donorsync.Ingester{Store: store, Logger: quiet}
			d := &donorsync.Delivery{Tenant: "t1", Body: []byte("inline")}
			if err := g.Receive(t.Context(), src, d); err != nil || d.Status != donorsync.Quarantined {
				t.Errorf("Receive = %v, status %s; want quarantined", err, d.Status)
			}
			quarantined(t, store, d.ID, tt.want)

			q := &donorsync.Delivery{Tenant: "t1", Body: []byte("queued")}
			if err := g.Enqueue(t.Context(), src, q); err != nil || q.Status != donorsync.Pending {
				t.Fatalf("Enqueue = %v, status %s", err, q.Status)
			}
			w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}}
			if _, err := w.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := quarantined(t, store, q.ID, tt.want); got.Attempts != 1 {
				t.Errorf("quarantined after %d attempts, want 1", got.Attempts)
			}
			got, err := g.Replay(t.Context(), src, "t1", q.ID)
			if err != nil || got.Status != donorsync.Quarantined || !strings.Contains(got.Error, tt.want) {
				t.Errorf("Replay = %v, %v; want quarantined again", got, err)
			}
		})
	}
}

func TestValidEventIsApplied(t *testing.T) {
	t.Parallel()
	for _, refund := range []string{"-2", "2"} { // a refund keeps the sign its provider gives it
		store := memstore.New()
		g := &donorsync.Ingester{Store: store, Logger: quiet}
		ev := validEvent()
		ev.Adjustments[0].Amount = decimal.RequireFromString(refund)
		d := &donorsync.Delivery{Tenant: "t1", Body: []byte("valid")}
		if err := g.Receive(t.Context(), &decodingSource{events: []donation.Event{ev}}, d); err != nil || d.Status != donorsync.Processed {
			t.Fatalf("refund %s: Receive = %v, status %s, error %q", refund, err, d.Status, d.Error)
		}
		_ = store.View(t.Context(), func(tx donorsync.Tx) error {
			dn, err := tx.Donation(t.Context(), "t1", "test", "g1")
			if err != nil || dn.Status != donation.PartiallyRefunded || !dn.Refunded.Equal(decimal.RequireFromString("2")) {
				t.Errorf("refund %s: donation %s, refunded %s, %v", refund, dn.Status, dn.Refunded, err)
			}
			return nil
		})
	}
}

func TestLongOrEmptyTenantIsQuarantined(t *testing.T) {
	t.Parallel()
	for tenant, want := range map[string]string{
		strings.Repeat("t", 300): "tenant: 300 bytes long, over the bound of 256",
		"":                       "tenant: empty",
	} {
		store := memstore.New()
		g := &donorsync.Ingester{Store: store, Logger: quiet}
		d := &donorsync.Delivery{Tenant: tenant, Body: []byte("b")}
		if err := g.Receive(t.Context(), &decodingSource{events: []donation.Event{validEvent()}}, d); err != nil {
			t.Fatal(err)
		}
		if d.Status != donorsync.Quarantined || !strings.Contains(d.Error, want) {
			t.Errorf("tenant %q: status %s, error %q; want quarantined, %q", tenant, d.Status, d.Error, want)
		}
	}
}

// keySource gives every delivery the same idempotency key.
type keySource struct {
	jsonSource
	key string
}

func (s *keySource) Decode(*donorsync.Delivery) (donorsync.Decoded, error) {
	return donorsync.Decoded{Key: s.key, Events: []donation.Event{validEvent()}}, nil
}

func TestLongOrOddKeyIsJournaledAsItsDigest(t *testing.T) {
	t.Parallel()
	for _, key := range []string{long, "a\x00b", "a\xffb"} {
		store := memstore.New()
		g := &donorsync.Ingester{Store: store, Logger: quiet}
		src := &keySource{key: key}
		sum := sha256.Sum256([]byte(key))
		want := "sha256:" + hex.EncodeToString(sum[:])
		first := &donorsync.Delivery{Tenant: "t1", Body: []byte("first")}
		if err := g.Receive(t.Context(), src, first); err != nil || first.Status != donorsync.Processed || first.Key != want {
			t.Errorf("key of %d bytes: Receive = %v, status %s, key %.80q; want processed under %s", len(key), err, first.Status, first.Key, want)
		}
		again := &donorsync.Delivery{Tenant: "t1", Body: []byte("again")}
		if err := g.Receive(t.Context(), src, again); err != nil || again.Status != donorsync.Duplicate || again.DuplicateOf != first.ID {
			t.Errorf("key of %d bytes, again: Receive = %v, status %s; want a duplicate of %s", len(key), err, again.Status, first.ID)
		}
	}
	// A key within the bound is journaled as it is.
	store := memstore.New()
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("b")}
	key := strings.Repeat("k", 256)
	if err := (&donorsync.Ingester{Store: store, Logger: quiet}).Receive(t.Context(), &keySource{key: key}, d); err != nil || d.Key != key {
		t.Errorf("Receive = %v, key %.20q...; want the key as it is", err, d.Key)
	}
}

// refusingStore refuses, as a database refuses a value it cannot encode or
// index, to write donations, and to journal keys over 100 bytes.
type refusingStore struct{ *memstore.Store }

func (s refusingStore) Update(ctx context.Context, fn func(donorsync.Tx) error) error {
	return s.Store.Update(ctx, func(tx donorsync.Tx) error { return fn(refusingTx{tx}) })
}

type refusingTx struct{ donorsync.Tx }

var errTooBig = errors.New("string or blob too big")

func (refusingTx) PutDonation(context.Context, donation.Donation) error {
	return fmt.Errorf("db: put donation: %w: %w", donorsync.ErrInvalid, errTooBig)
}

func (t refusingTx) RecordDelivery(ctx context.Context, d *donorsync.Delivery) (string, error) {
	if len(d.Key) > 100 {
		return "", fmt.Errorf("db: record delivery: %w: index row too big", donorsync.ErrInvalid)
	}
	return t.Tx.RecordDelivery(ctx, d)
}

func TestStoreRefusalQuarantinesAtOnce(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	g := &donorsync.Ingester{Store: refusingStore{mem}, Logger: quiet}
	src := giftSource()
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("inline")}
	if err := g.Receive(t.Context(), src, d); err != nil || d.Status != donorsync.Quarantined {
		t.Errorf("Receive = %v, status %s; want quarantined", err, d.Status)
	}
	quarantined(t, mem, d.ID, "string or blob too big")

	q := &donorsync.Delivery{Tenant: "t1", Body: []byte("queued")}
	if err := g.Enqueue(t.Context(), src, q); err != nil {
		t.Fatal(err)
	}
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}}
	if _, err := w.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := quarantined(t, mem, q.ID, "string or blob too big"); got.Attempts != 1 {
		t.Errorf("quarantined after %d attempts, want 1", got.Attempts)
	}
}

func TestJournalRefusalQuarantinesUnderTheBodyDigest(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	g := &donorsync.Ingester{Store: refusingStore{mem}, Logger: quiet}
	src := &keySource{key: strings.Repeat("k", 200)} // within the engine's bound, over this store's
	for _, inline := range []bool{true, false} {
		body := []byte(fmt.Sprint("body ", inline))
		d := &donorsync.Delivery{Tenant: "t1", Body: body}
		receive := g.Enqueue
		if inline {
			receive = g.Receive
		}
		if err := receive(t.Context(), src, d); err != nil || d.Status != donorsync.Quarantined || d.Key != dedup.BodyKey(body) {
			t.Errorf("inline %v: %v, status %s, key %.20q; want quarantined under the body's digest", inline, err, d.Status, d.Key)
		}
		quarantined(t, mem, d.ID, "index row too big")
		again := &donorsync.Delivery{Tenant: "t1", Body: body}
		if err := receive(t.Context(), src, again); err != nil || again.Status != donorsync.Duplicate || again.DuplicateOf != d.ID {
			t.Errorf("inline %v, again: %v, status %s; want a duplicate of %s", inline, err, again.Status, d.ID)
		}
	}
}

// panicSource decodes by panicking once panics is set.
type panicSource struct {
	decodingSource
	panics atomic.Bool
	value  any
}

func (s *panicSource) Decode(d *donorsync.Delivery) (donorsync.Decoded, error) {
	if s.panics.Load() {
		panic(s.value)
	}
	return s.decodingSource.Decode(d)
}

func TestDecoderPanicQuarantinesAtOnce(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	mem := memstore.New()
	g := &donorsync.Ingester{Store: mem, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	src := &panicSource{decodingSource: *giftSource(), value: errors.New("index out of range " + long)}
	want := "test: decoder panicked: index out of range " + long[:200-len("index out of range ")] + "..."

	src.panics.Store(true)
	d := &donorsync.Delivery{Tenant: "t1", Body: []byte("inline")}
	if err := g.Receive(t.Context(), src, d); err != nil || d.Status != donorsync.Quarantined || d.Error != want {
		t.Errorf("Receive = %v, status %s, error %q; want quarantined with %q", err, d.Status, d.Error, want)
	}
	if n := strings.Count(logs.String(), "level=ERROR msg=\"donorsync: decoder panicked\""); n != 1 || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("%d errors logged for one panic, want 1 with the stack:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), long[:300]) {
		t.Errorf("the log quotes the panic value")
	}

	src.panics.Store(false)
	q := &donorsync.Delivery{Tenant: "t1", Body: []byte("queued")}
	if err := g.Enqueue(t.Context(), src, q); err != nil || q.Status != donorsync.Pending {
		t.Fatalf("Enqueue = %v, status %s", err, q.Status)
	}
	src.panics.Store(true)
	w := &donorsync.Worker{Ingester: g, Sources: []donorsync.Source{src}}
	if _, err := w.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := quarantined(t, mem, q.ID, want); got.Attempts != 1 {
		t.Errorf("quarantined after %d attempts, want 1", got.Attempts)
	}
	got, err := g.Replay(t.Context(), src, "t1", q.ID)
	if err != nil || got.Status != donorsync.Quarantined || got.Error != want {
		t.Errorf("Replay = %+v, %v; want quarantined", got, err)
	}
}
