package donorsync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// An Ingester is the sync engine: it journals deliveries and applies their
// events to a Store. All matching, merging and status logic lives here,
// once, whatever the store.
//
// The zero value is not usable: set Store. An Ingester is safe for
// concurrent use; do not change its fields after first use, and do not
// copy it.
type Ingester struct {
	// Store holds the journal and the records. Required.
	Store Store

	// Policy decides which stored contact a delivery's donor is.
	// Nil means dedup.DefaultPolicy.
	Policy dedup.Policy

	// Logger receives one record per failure. Nil means slog.Default().
	Logger *slog.Logger

	// Now is the engine's clock. Nil means time.Now.
	Now func() time.Time

	// ConflictRetries is how many times a transaction that lost a race
	// (ErrConflict) is retried. Zero means 10.
	ConflictRetries int

	// MaxAttempts is how many times applying a delivery is tried before it
	// is moved to Dead. Zero means 8.
	MaxAttempts int

	// Backoff returns how long to wait before the next attempt after the
	// given number of failed ones. Nil means DefaultBackoff.
	Backoff func(attempts int) time.Duration

	group committer // group commit of Receive's and Enqueue's transactions
	hand  inHand    // deliveries its Workers have read ahead
}

// DefaultBackoff waits 2^(attempts-1) seconds, at most an hour: 1 s, 2 s,
// 4 s, ... 2 min 8 s after the eighth failure.
func DefaultBackoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	if attempts > 13 {
		return time.Hour
	}
	return min(time.Duration(1<<(attempts-1))*time.Second, time.Hour)
}

func (g *Ingester) backoff(attempts int) time.Duration {
	if g.Backoff != nil {
		return g.Backoff(attempts)
	}
	return DefaultBackoff(attempts)
}

func (g *Ingester) maxAttempts() int {
	if g.MaxAttempts <= 0 {
		return 8
	}
	return g.MaxAttempts
}

func (g *Ingester) policy() dedup.Policy {
	if g.Policy == nil {
		return dedup.DefaultPolicy{}
	}
	return g.Policy
}

func (g *Ingester) logger() *slog.Logger {
	if g.Logger == nil {
		return slog.Default()
	}
	return g.Logger
}

func (g *Ingester) now() time.Time {
	if g.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return g.Now().UTC().Truncate(time.Microsecond)
}

// Receive journals d and applies it, in one transaction when it can
// (inline mode): deliveries received at the same time share one
// transaction (group commit), and it falls back to one transaction per
// delivery when the group fails. On return d.Status tells the outcome:
// Processed, Duplicate, Quarantined (undecodable or invalid) or Failed
// (applying failed for another reason; the delivery is kept for a retry).
//
// Receive returns an error, wrapping ErrUnavailable, only when the
// delivery could not be journaled: then nothing was stored and the sender
// must be told to retry.
func (g *Ingester) Receive(ctx context.Context, src Source, d *Delivery) error {
	return g.receive(ctx, src, d, true)
}

// receive journals a new delivery in a group commit: as Processed, and
// applied in the same transaction, when inline; as Pending otherwise.
func (g *Ingester) receive(ctx context.Context, src Source, d *Delivery, inline bool) error {
	dec, derr := g.prepare(src, d)
	return g.receiveDecoded(ctx, d, dec, derr, inline)
}

// receiveDecoded is receive once d is prepared.
func (g *Ingester) receiveDecoded(ctx context.Context, d *Delivery, dec Decoded, derr error, inline bool) error {
	if derr != nil {
		return g.journal(ctx, d, Quarantined, derr)
	}
	d.Status, d.DuplicateOf, d.Error, d.Attempts, d.UpdatedAt = Pending, "", "", 0, g.now()
	d.NextAttemptAt, d.ClaimedUntil = time.Time{}, time.Time{}
	if inline {
		d.Status, d.Attempts = Processed, 1
	}
	err := g.journalGrouped(ctx, d, dec.Events, inline)
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: journal delivery: %w", ErrUnavailable, err)
}

// receiveOne journals d and applies events in one transaction of its own
// (Receive, when its group failed). When applying fails, a second
// transaction journals d as Failed or Quarantined.
func (g *Ingester) receiveOne(ctx context.Context, d *Delivery, events []donation.Event) error {
	var applyErr error
	err := g.update(ctx, func(tx Tx) error {
		d.Status, d.DuplicateOf, d.Error, d.Attempts, d.UpdatedAt = Processed, "", "", 1, g.now()
		dupOf, err := tx.RecordDelivery(ctx, d)
		if err != nil || dupOf != "" {
			return err
		}
		if err := g.Apply(ctx, tx, d, events); err != nil {
			applyErr = err
			return err
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case applyErr != nil && !errors.Is(applyErr, context.Canceled) && !errors.Is(applyErr, context.DeadlineExceeded):
		status := Failed
		if errors.Is(applyErr, ErrInvalid) {
			status = Quarantined
		}
		return g.journal(ctx, d, status, applyErr)
	}
	return fmt.Errorf("%w: journal delivery: %w", ErrUnavailable, err)
}

// prepare completes a new delivery (id, receipt time, provider) and
// decodes it, setting its idempotency key: the source's, or the SHA-256 of
// the body when the source gives none or cannot decode it.
func (g *Ingester) prepare(src Source, d *Delivery) (Decoded, error) {
	if d.ID == "" {
		d.ID = NewID("dl")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = g.now()
	}
	if d.Provider == "" {
		d.Provider = src.Provider()
	}
	dec, err := src.Decode(d)
	d.Key = dec.Key
	if d.Key == "" || err != nil {
		d.Key = dedup.BodyKey(d.Body)
	}
	return dec, err
}

// journal records d with the given status and error and nothing else.
func (g *Ingester) journal(ctx context.Context, d *Delivery, status DeliveryStatus, cause error) error {
	g.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: delivery not applied",
		slog.Any("delivery", d), slog.String("outcome", string(status)), logError(cause))
	err := g.update(ctx, func(tx Tx) error {
		d.Status, d.DuplicateOf, d.Error, d.UpdatedAt = status, "", text(cause.Error()), g.now()
		d.Attempts, d.NextAttemptAt, d.ClaimedUntil = 0, time.Time{}, time.Time{}
		if status == Failed {
			d.Attempts = 1
			d.NextAttemptAt = d.UpdatedAt.Add(g.backoff(1))
		}
		_, err := tx.RecordDelivery(ctx, d)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: journal delivery: %w", ErrUnavailable, err)
	}
	return nil
}

// update runs fn in a store transaction, retrying when it loses a race.
func (g *Ingester) update(ctx context.Context, fn func(Tx) error) error {
	retries := g.ConflictRetries
	if retries <= 0 {
		retries = 10
	}
	for attempt := 0; ; attempt++ {
		err := g.Store.Update(ctx, fn)
		if err == nil || !errors.Is(err, ErrConflict) || attempt >= retries {
			return err
		}
		// Back off a little, more each time, so that racing transactions
		// spread out.
		t := time.NewTimer(time.Duration(attempt+1) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Enqueue journals d as Pending, for a Worker to apply (queued mode): the
// sender can be answered as soon as it returns. The body is decoded only
// for its idempotency key; a body that cannot be decoded is quarantined at
// once. On return d.Status is Pending, Duplicate or Quarantined.
//
// Enqueue returns an error, wrapping ErrUnavailable, only when the
// delivery could not be journaled.
func (g *Ingester) Enqueue(ctx context.Context, src Source, d *Delivery) error {
	return g.receive(ctx, src, d, false)
}

// applyBatch applies the events of the deliveries of ds that could be
// decoded (derrs[i] == nil), in tx; the first failure fails the whole
// batch. It locks everything the batch touches at once, and reads ahead
// when tx is a Prefetcher.
func (g *Ingester) applyBatch(ctx context.Context, tx Tx, ds []*Delivery, decoded []Decoded, derrs []error) error {
	var names []string
	for i, d := range ds {
		if derrs[i] == nil {
			names = append(names, g.lockNames(d, decoded[i].Events)...)
		}
	}
	slices.Sort(names)
	if err := tx.Lock(ctx, slices.Compact(names)); err != nil {
		return err
	}
	if p, ok := tx.(Prefetcher); ok {
		if err := g.prefetch(ctx, tx, p, ds, decoded, derrs); err != nil {
			return err
		}
	}
	for i, d := range ds {
		if derrs[i] == nil {
			if err := g.Apply(ctx, tx, d, decoded[i].Events); err != nil {
				return err
			}
		}
	}
	return nil
}

// tryLockBatch takes, without waiting, the locks of the deliveries of ds
// that were decoded, and reports which deliveries it holds every lock of
// (a delivery that was not decoded needs none). When it holds every lock
// of none of those that need some, it reports them all: the batch then
// waits for its locks, so that a Worker always makes progress.
func (g *Ingester) tryLockBatch(ctx context.Context, tl TryLocker, ds []*Delivery, decoded []Decoded, derrs []error) ([]bool, error) {
	names := make([][]string, len(ds))
	var all []string
	for i, d := range ds {
		if derrs[i] == nil {
			names[i] = g.lockNames(d, decoded[i].Events)
			all = append(all, names[i]...)
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	keep := make([]bool, len(ds))
	for i := range keep {
		keep[i] = true
	}
	if len(all) == 0 {
		return keep, nil
	}
	held, err := tl.TryLock(ctx, all)
	if err != nil {
		return nil, err
	}
	if len(held) != len(all) {
		return nil, fmt.Errorf("donorsync: TryLock answered for %d of %d locks; it must answer for each name", len(held), len(all))
	}
	busy := map[string]bool{}
	for i, n := range all {
		if !held[i] {
			busy[n] = true
		}
	}
	if len(busy) == 0 {
		return keep, nil
	}
	some := false
	for i := range ds {
		for _, n := range names[i] {
			if busy[n] {
				keep[i] = false
				break
			}
		}
		some = some || keep[i] && names[i] != nil
	}
	if !some {
		for i := range keep {
			keep[i] = true
		}
	}
	return keep, nil
}

// settleBatch stores, in tx, the outcome of a batch applied with
// applyBatch: each delivery Processed, or Quarantined when it could not be
// decoded, its claim released. It returns their new states.
func (g *Ingester) settleBatch(ctx context.Context, tx Tx, ds []*Delivery, derrs []error) ([]Delivery, error) {
	now := g.now()
	states := make([]Delivery, len(ds))
	for i, d := range ds {
		s := *d
		s.Attempts, s.UpdatedAt, s.ClaimedUntil, s.NextAttemptAt = d.Attempts+1, now, time.Time{}, time.Time{}
		s.Status, s.Error = Processed, ""
		if derrs[i] != nil {
			s.Status, s.Error = Quarantined, text(derrs[i].Error())
		}
		if err := tx.UpdateDelivery(ctx, &s); err != nil {
			return nil, err
		}
		states[i] = s
	}
	return states, nil
}

// prefetch reads ahead what applying the batch ds will read: the owners
// of its contact keys, its donations with their adjustments and its
// commitments; then it locks the owners and reads them afresh.
func (g *Ingester) prefetch(ctx context.Context, tx Tx, p Prefetcher, ds []*Delivery, decoded []Decoded, derrs []error) error {
	want := g.wants(ds, decoded, derrs)
	if want.empty() {
		return nil
	}
	owners, err := p.Prefetch(ctx, want)
	if err != nil || len(owners) == 0 {
		return err
	}
	// The owners found were read before they were locked: lock them now,
	// and read them again.
	ids := make([]TenantID, 0, len(owners))
	locks := make([]string, 0, len(owners))
	for k, id := range owners {
		ids = append(ids, TenantID{k.Tenant, id})
		locks = append(locks, k.Tenant+"\x1fcontact\x1f"+id)
	}
	slices.Sort(locks)
	if err := tx.Lock(ctx, slices.Compact(locks)); err != nil {
		return err
	}
	_, err = p.Prefetch(ctx, Prefetch{Contacts: ids})
	return err
}

// wants names the records that applying the deliveries of ds that were
// decoded (derrs[i] == nil) reads by natural key.
func (g *Ingester) wants(ds []*Delivery, decoded []Decoded, derrs []error) Prefetch {
	var want Prefetch
	for i, d := range ds {
		if derrs[i] != nil {
			continue
		}
		for _, ev := range decoded[i].Events {
			if ev.Contact != nil {
				keys := g.policy().Keys(*ev.Contact)
				for _, k := range keys {
					want.Keys = append(want.Keys, TenantKey{d.Tenant, k})
				}
				if len(keys) == 0 && ev.Donation != nil { // the fallback of upsertContact
					want.Keys = append(want.Keys, TenantKey{d.Tenant, dedup.Key{Kind: dedup.Gift, Value: d.Provider + ":" + ev.Donation.ExternalID}})
				}
			}
			if ev.Donation != nil {
				want.Donations = append(want.Donations, Ref{d.Tenant, d.Provider, ev.Donation.ExternalID})
			}
			for _, a := range ev.Adjustments {
				if a.DonationID != "" {
					want.Donations = append(want.Donations, Ref{d.Tenant, d.Provider, a.DonationID})
				}
			}
			if ev.Commitment != nil {
				want.Commitments = append(want.Commitments, Ref{d.Tenant, d.Provider, ev.Commitment.ExternalID})
			}
		}
	}
	return want
}

func (p *Prefetch) empty() bool {
	return len(p.Keys)+len(p.Contacts)+len(p.Donations)+len(p.Commitments) == 0
}

func (g *Ingester) processEach(ctx context.Context, source func(string) Source, ds []*Delivery) error {
	var errs []error
	for _, d := range ds {
		src := source(d.Provider)
		if src == nil {
			continue
		}
		if err := g.Process(ctx, src, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Process decodes a journaled delivery afresh with src and applies it, in
// one transaction with its new status: Processed; Quarantined when it
// cannot be decoded or is invalid; Failed, to be tried again after
// Backoff, when applying failed otherwise; Dead after MaxAttempts
// failures. Its claim, if any, is released. Effects are idempotent, so
// processing a delivery again changes nothing.
//
// Process returns an error only when the outcome could not be stored;
// the delivery then stays as it was, and its claim lapses.
func (g *Ingester) Process(ctx context.Context, src Source, d *Delivery) error {
	dec, derr := src.Decode(d)
	attempts := d.Attempts + 1
	var applyErr error
	err := g.update(ctx, func(tx Tx) error {
		d.Attempts, d.UpdatedAt, d.ClaimedUntil, d.NextAttemptAt = attempts, g.now(), time.Time{}, time.Time{}
		if derr != nil {
			d.Status, d.Error = Quarantined, text(derr.Error())
			return tx.UpdateDelivery(ctx, d)
		}
		if err := g.Apply(ctx, tx, d, dec.Events); err != nil {
			applyErr = err
			return err
		}
		d.Status, d.Error = Processed, ""
		return tx.UpdateDelivery(ctx, d)
	})
	if err == nil || applyErr == nil || ctx.Err() != nil {
		return err
	}
	status := Failed
	switch {
	case errors.Is(applyErr, ErrInvalid):
		status = Quarantined
	case attempts >= g.maxAttempts():
		status = Dead
	}
	g.logger().LogAttrs(ctx, slog.LevelWarn, "donorsync: delivery not applied",
		slog.Any("delivery", d), slog.String("outcome", string(status)), slog.Int("attempts", attempts), logError(applyErr))
	return g.update(ctx, func(tx Tx) error {
		d.Status, d.Error, d.Attempts, d.UpdatedAt = status, text(applyErr.Error()), attempts, g.now()
		d.ClaimedUntil, d.NextAttemptAt = time.Time{}, time.Time{}
		if status == Failed {
			d.NextAttemptAt = d.UpdatedAt.Add(g.backoff(attempts))
		}
		return tx.UpdateDelivery(ctx, d)
	})
}

// ReplayAll replays the deliveries of a tenant from src's provider that
// have the given status (all but duplicates when empty) and were received
// at or after since, and returns how many it replayed.
func (g *Ingester) ReplayAll(ctx context.Context, src Source, tenant string, status DeliveryStatus, since time.Time) (int, error) {
	n := 0
	after := ""
	for {
		var page []*Delivery
		err := g.Store.View(ctx, func(tx Tx) error {
			var err error
			page, err = tx.Deliveries(ctx, tenant, DeliveryFilter{Page: Page{After: after, Limit: 100}, Status: status, Since: since})
			return err
		})
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		for _, d := range page {
			after = d.ID
			if d.Status == Duplicate || d.Provider != src.Provider() {
				continue
			}
			if err := g.Process(ctx, src, d); err != nil {
				return n, err
			}
			n++
		}
	}
}

// Replay applies a journaled delivery again, decoding it afresh with src:
// after a fix to a decoder, or to retry a failed delivery. Effects are
// idempotent, so replaying a processed delivery changes nothing. A
// duplicate is not applied. On return the stored delivery's status tells
// the outcome.
func (g *Ingester) Replay(ctx context.Context, src Source, tenant, id string) (*Delivery, error) {
	var d *Delivery
	err := g.Store.View(ctx, func(tx Tx) error {
		var err error
		d, err = tx.Delivery(ctx, tenant, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if d.Status == Duplicate {
		return d, nil
	}
	if d.Provider != src.Provider() {
		return nil, fmt.Errorf("%w: delivery %s is from %s, not %s", ErrInvalid, id, d.Provider, src.Provider())
	}
	if err := g.Process(ctx, src, d); err != nil {
		return d, err
	}
	return d, nil
}

// Apply applies the events of delivery d within tx: it matches and merges
// each event's contact, then upserts its commitment, adjustments and
// donation, deriving the donation's status. It writes nothing else, so it
// can be combined with other writes in one transaction.
//
// An error wrapping ErrInvalid means the events cannot be applied as they
// are; ErrConflict means the transaction lost a race and should be retried.
func (g *Ingester) Apply(ctx context.Context, tx Tx, d *Delivery, events []donation.Event) error {
	if err := tx.Lock(ctx, g.lockNames(d, events)); err != nil {
		return err
	}
	for i := range events {
		if err := g.applyEvent(ctx, tx, d, &events[i]); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	return nil
}

func (g *Ingester) applyEvent(ctx context.Context, tx Tx, d *Delivery, ev *donation.Event) error {
	now := g.now()
	if err := validate(ev); err != nil {
		return err
	}
	var contactID string
	if ev.Contact != nil {
		in := ev.Contact.Clone()
		in.Tenant = d.Tenant
		in.Stamp(ev.At)
		var fallback []dedup.Key
		if ev.Donation != nil {
			fallback = []dedup.Key{{Kind: dedup.Gift, Value: d.Provider + ":" + ev.Donation.ExternalID}}
		}
		id, err := g.upsertContact(ctx, tx, in, fallback, now)
		if err != nil {
			return err
		}
		contactID = id
	}

	for _, a := range ev.Activities {
		if contactID == "" {
			break // an activity belongs to a contact
		}
		a.Tenant, a.Provider, a.ContactID, a.DeliveryID = d.Tenant, d.Provider, contactID, d.ID
		a.At = a.At.UTC()
		if err := tx.PutActivity(ctx, a); err != nil {
			return err
		}
	}

	if ev.Commitment != nil {
		in := *ev.Commitment
		in.Tenant, in.Provider = d.Tenant, d.Provider
		in.ContactID = contactID
		if in.SourceTime.IsZero() {
			in.SourceTime = ev.At
		}
		c, err := tx.Commitment(ctx, d.Tenant, d.Provider, in.ExternalID)
		switch {
		case errors.Is(err, ErrNotFound):
			c = donation.Commitment{ID: NewID("cm")}
		case err != nil:
			return err
		}
		c.Merge(in)
		c.UpdatedAt = now
		if err := tx.PutCommitment(ctx, c); err != nil {
			return err
		}
	}

	for _, a := range ev.Adjustments {
		a.Tenant, a.Provider, a.DeliveryID = d.Tenant, d.Provider, d.ID
		if a.DonationID == "" && ev.Donation != nil {
			a.DonationID = ev.Donation.ExternalID
		}
		if err := tx.PutAdjustment(ctx, a); err != nil {
			return err
		}
	}

	// The donation to (re)derive: the event's own, or the ones its
	// adjustments name.
	var targets []string
	if ev.Donation != nil {
		targets = append(targets, ev.Donation.ExternalID)
	}
	for _, a := range ev.Adjustments {
		if a.DonationID != "" && !slices.Contains(targets, a.DonationID) {
			targets = append(targets, a.DonationID)
		}
	}
	for _, extID := range targets {
		stored, err := tx.Donation(ctx, d.Tenant, d.Provider, extID)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if !found && (ev.Donation == nil || ev.Donation.ExternalID != extID) {
			continue // an adjustment that arrived before its donation
		}
		if !found {
			stored = donation.Donation{ID: NewID("dn"), Tenant: d.Tenant, Provider: d.Provider, ExternalID: extID}
		}
		if ev.Donation != nil && ev.Donation.ExternalID == extID {
			in := ev.Donation.Clone()
			in.Tenant, in.Provider, in.DeliveryID = d.Tenant, d.Provider, d.ID
			in.ContactID = contactID
			if in.SourceTime.IsZero() {
				in.SourceTime = ev.At
			}
			stored.Merge(in)
		}
		adjs, err := tx.Adjustments(ctx, d.Tenant, d.Provider, extID)
		if err != nil {
			return err
		}
		stored.Status, stored.Refunded = donation.Derive(stored.PlatformStatus, stored.Amount, adjs)
		stored.SettledAt = donation.SettledAt(adjs)
		stored.UpdatedAt = now
		if err := tx.PutDonation(ctx, stored); err != nil {
			return err
		}
	}
	return nil
}

// lockNames returns the sorted names of the natural keys the events touch:
// contact keys, donations (adjusted ones included) and commitments.
func (g *Ingester) lockNames(d *Delivery, events []donation.Event) []string {
	var names []string
	add := func(parts ...string) { names = append(names, d.Tenant+"\x1f"+strings.Join(parts, "\x1f")) }
	for _, ev := range events {
		if ev.Contact != nil {
			for _, k := range g.policy().Keys(*ev.Contact) {
				add("key", string(k.Kind), k.Value)
			}
		}
		if ev.Donation != nil {
			add("donation", d.Provider, ev.Donation.ExternalID)
		}
		for _, a := range ev.Adjustments {
			if a.DonationID != "" {
				add("donation", d.Provider, a.DonationID)
			}
		}
		if ev.Commitment != nil {
			add("commitment", d.Provider, ev.Commitment.ExternalID)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// validate checks that an event names what the engine keys records by.
func validate(ev *donation.Event) error {
	if ev.Donation != nil && ev.Donation.ExternalID == "" {
		return fmt.Errorf("%w: donation without an external id", ErrInvalid)
	}
	if ev.Commitment != nil && ev.Commitment.ExternalID == "" {
		return fmt.Errorf("%w: commitment without an external id", ErrInvalid)
	}
	for i, a := range ev.Activities {
		if a.Key == "" {
			return fmt.Errorf("%w: activity %d without a key", ErrInvalid, i)
		}
	}
	for i, a := range ev.Adjustments {
		if a.Key == "" {
			return fmt.Errorf("%w: adjustment %d without a key", ErrInvalid, i)
		}
		if a.DonationID == "" && ev.Donation == nil {
			return fmt.Errorf("%w: adjustment %d names no donation", ErrInvalid, i)
		}
	}
	return nil
}

// upsertContact finds the stored contact that in describes, merges in
// into it (creating it if there is none) and returns its id. It returns ""
// when in has no key at all to find it by again.
func (g *Ingester) upsertContact(ctx context.Context, tx Tx, in contact.Contact, fallback []dedup.Key, now time.Time) (string, error) {
	policy := g.policy()
	keys := policy.Keys(in)
	if len(keys) == 0 {
		if in.IsEmpty() {
			return "", nil
		}
		keys = fallback
	}
	if len(keys) == 0 {
		return "", nil
	}

	// Find the owners of the keys, lock them, then read them afresh: a
	// concurrent transaction may have changed them since the lookup.
	owners := make(map[dedup.Key]string, len(keys))
	var ids []string
	for _, k := range keys {
		found, err := tx.ContactByKey(ctx, in.Tenant, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		owners[k] = found.ID
		ids = append(ids, found.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	locks := make([]string, len(ids))
	for i, id := range ids {
		locks[i] = in.Tenant + "\x1fcontact\x1f" + id
	}
	if err := tx.Lock(ctx, locks); err != nil {
		return "", err
	}
	current := make(map[string]contact.Contact, len(ids))
	for _, id := range ids {
		c, err := tx.Contact(ctx, in.Tenant, id)
		if errors.Is(err, ErrNotFound) {
			// Merged away by a transaction that committed meanwhile.
			return "", fmt.Errorf("%w: contact %s was merged into another", ErrConflict, id)
		}
		if err != nil {
			return "", err
		}
		current[id] = c
	}

	var strong []contact.Contact
	var weak *contact.Contact
	for _, k := range keys {
		id, ok := owners[k]
		if !ok {
			continue
		}
		found := current[id]
		switch policy.Match(in, k, found) {
		case dedup.Strong:
			if !slices.ContainsFunc(strong, func(c contact.Contact) bool { return c.ID == found.ID }) {
				strong = append(strong, found)
			}
		case dedup.Weak:
			if weak == nil {
				weak = &found
			}
		}
	}

	var target contact.Contact
	switch {
	case len(strong) > 0:
		// Several contacts are this one person: keep the one with the
		// smallest id and fold the others into it.
		slices.SortFunc(strong, func(a, b contact.Contact) int { return strings.Compare(a.ID, b.ID) })
		target = strong[0]
		for _, other := range strong[1:] {
			target.Merge(other)
			if err := tx.MergeContacts(ctx, in.Tenant, other.ID, target.ID); err != nil {
				return "", err
			}
			for k, owner := range owners {
				if owner == other.ID {
					owners[k] = target.ID
				}
			}
		}
	case weak != nil:
		target = *weak
	default:
		target = contact.Contact{ID: NewID("ct"), Tenant: in.Tenant, CreatedAt: now}
	}
	target.Merge(in)
	target.UpdatedAt = now

	// Claim the keys of in that no contact owns yet. A key another
	// contact owns stays with it (a shared phone, say); one the target
	// owns already needs no claim.
	claim := make([]dedup.Key, 0, len(keys))
	for _, k := range keys {
		if _, ok := owners[k]; !ok {
			claim = append(claim, k)
		}
	}
	if err := tx.PutContact(ctx, target, claim); err != nil {
		return "", err
	}
	return target.ID, nil
}

// text makes s safe to store in any text column: valid UTF-8, no NUL.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// logError returns a log attribute for err that carries no personal data:
// an error that can log itself (a *DecodeError, a *flex.Error) does so;
// others are engine or store errors, logged as text.
func logError(err error) slog.Attr {
	var lv slog.LogValuer
	if errors.As(err, &lv) {
		return slog.Any("error", lv)
	}
	return slog.String("error", err.Error())
}

// NewID returns a new random identifier with the given prefix, such as
// "ct_0192f1c3a4b5e6f7a8b9c0d1e2f3". Identifiers of one prefix sort by
// creation time to the millisecond.
func NewID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms.
		panic("donorsync: crypto/rand failed: " + err.Error())
	}
	ms := strconv.FormatInt(time.Now().UnixMilli(), 16)
	for len(ms) < 12 {
		ms = "0" + ms
	}
	return prefix + "_" + ms + hex.EncodeToString(b[:])
}
