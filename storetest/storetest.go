// Package storetest is the conformance suite for donorsync.Store
// implementations. Every adapter runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) donorsync.Store { return newTestStore(t) })
//	}
//
// The suite checks the Store contract directly (journal, contacts and key
// ownership, donations, adjustments, commitments, rollback, context
// cancellation, tenant isolation, money and time round trips) and through
// the engine: many goroutines delivering the same new donor create one
// contact, concurrent duplicates apply once, and every order of a mixed
// delivery history ends in the same state.
//
// newStore may return the same store to several tests: every test writes
// under tenants of its own. Stores must keep times to the microsecond.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"
)

// Run runs the conformance suite, one subtest per check, each against a
// store newStore returns for it. It checks the Store contract directly:
//
//   - the journal: a delivery recorded, updated and read back field for
//     field, its body byte for byte, and ErrNotFound for a missing one
//     (Journal); a repeat of a provider's key kept, with its own body, as a
//     duplicate of the first, and the same key of another provider not
//     (JournalDuplicates); bodies empty, short, of each platform, large,
//     random, binary and UTF-8 read back byte for byte by id, listed and
//     claimed, journaled one at a time and together, however a store
//     keeps them (JournalBodies); deliveries journaled together, repeats of one
//     journaled before and of one earlier in the same call kept as
//     duplicates of the first, through the Tx's RecordDeliveries when the
//     store declares batch mode (RecordDeliveries); listing in id order,
//     by page, status and time (JournalListing); by provider and kind
//     (exact, none, by prefix), alone and with status and time, oldest
//     and newest first, by pages either way (JournalFilters); counts by status since a
//     time, the backlog and its oldest, the last delivery of each tenant
//     and provider, for one tenant and for all (JournalStats); claims of the oldest due
//     deliveries, pending or failed and due again, of one tenant or of
//     all, leased until the claim's Until and not claimed again before
//     (ClaimDeliveries); 8 goroutines claiming 40 deliveries at once, and
//     each delivery claimed once (ConcurrentClaims);
//   - contacts: a full contact's round trip, found by each of its keys,
//     keys kept and added when it is put again (ContactRoundTrip); a key
//     of another contact refused with a *KeyConflictError, and nothing of
//     that transaction kept (ContactKeyConflict); a merge, which moves the
//     merged contact's keys, donations, commitments and activities
//     (MergeContacts); activities in key order, kept as first put, per
//     tenant and contact (Activities);
//   - records: donations round trip with every field, amounts of 1 to 14
//     integer digits, negative, to the millionth, and times to the
//     microsecond, and are replaced by their natural key
//     (DonationRoundTrip); a donation's adjustments in key order, a
//     repeat adding none (Adjustments); commitments round trip
//     (CommitmentRoundTrip); contacts listed by page in id order,
//     donations and commitments listed (Listing);
//   - transactions: a function's error rolls back every write, Update
//     returns it, and the keys taken are free again (Rollback); a
//     cancelled context fails Update with context.Canceled, and a
//     cancellation midway fails it and leaves nothing (ContextCancelled);
//     tenants share no record, key or delivery key (TenantIsolation).
//
// It checks the contract through the engine, an Ingester and Workers over
// the store:
//
//   - ingestion: a delivery processed, its redelivery a duplicate, an
//     undecodable or binary body quarantined and kept byte for byte, a
//     replay changing nothing (IngestProcessesAndDeduplicates); an event
//     that cannot be applied quarantined and nothing of it stored
//     (IngestInvalidLeavesNothing); 40 deliveries of one new donor at once
//     creating one contact (ConcurrentNewDonor); 20 copies of one delivery
//     at once applied once (ConcurrentDuplicates);
//   - histories: every order of a mixed history of gifts, refunds, a
//     duplicate, a recurring gift and older profile data ends in the same
//     state, the one the rules give (EveryOrderSameState), and so do 25
//     shuffled orders of the whole history (ShuffledHistories), a
//     donation's and a commitment's life as Anedot reports it
//     (LifecycleEveryOrder), and one person's records from Action Network
//     and another platform (ActivistEveryOrder); the history journaled in
//     queued mode and applied by Workers, in batches of several sizes,
//     ends in the state inline mode reaches (QueuedSameAsInline);
//   - ActBlue's webhooks and the rows of its paid, refunded and
//     cancelled-recurring reports about the same gifts, through the
//     actblue Source: every order of each donor's deliveries (a gift and
//     its refund; two charges of a recurring gift and its cancellation)
//     ends in one state, the one the rules give: one contact per donor
//     however each source writes their name, email and phone, one
//     donation per line item, the refund applied once, the recurring gift
//     cancelled (WebhooksAndReportsEveryOrder); so do 20 shuffled orders
//     of both donors' deliveries with repeats of webhooks and rows
//     (WebhooksAndReportsShuffled), and queued mode, in batches of
//     several sizes (WebhooksAndReportsQueued);
//   - hostile and odd input, through the real Handler of each platform,
//     inline and queued: bodies built to cost time and memory, amounts,
//     currencies, keys and ids spelt to alias others, values past what
//     an index or encoding holds, placeholder phones, wrong credentials,
//     a slow upload and a full cap on bodies in flight, each answered as
//     it must be and leaving the journal and records it must: nothing
//     stored wrongly, nothing quarantined retried, no 503 but from the
//     cap (HostileInput).
//
// It checks the batch protocol (internal/batch) that the stores of this
// module serve. A Tx of a store that declares batch mode, read ahead with
// Prefetch, answers lookups as a query would, reads its writes back, and commits
// them, rolls them back or fails the commit as one; any other Tx is
// checked the same way, without the Prefetch (Prefetch). What a store
// declares in its execution model is checked, and each check skipped
// when the store does not declare it: claims by id and without bodies,
// and DueDeliveries (ClaimDeliveriesByID, and ConcurrentClaims/settling=true,
// for batch mode or read-ahead); TryLock refusing a lock held elsewhere
// without waiting (TryLock); preloads that never hide a write committed
// since (Preload); drafts sent only over unchanged records, once, and
// after the draft they follow (Draft). When the store declares batch
// mode, every direct check runs again under Batch/, each writing
// transaction starting with an empty Prefetch.
func Run(t *testing.T, newStore func(t *testing.T) donorsync.Store) {
	t.Helper()
	run(t, newStore, false)
}

// RunContract runs the checks Run makes of the Store contract directly,
// with those through the engine that exercise each kind of statement a
// store sends (Prefetch, IngestProcessesAndDeduplicates,
// QueuedSameAsInline, FeedOnePerEffect), but not the engine's histories
// and concurrency. It is for a store already held to Run, in another
// configuration where what differs is its SQL, not the engine's use of
// it: a table prefix, a schema, tables made by exported migrations.
func RunContract(t *testing.T, newStore func(t *testing.T) donorsync.Store) {
	t.Helper()
	run(t, newStore, true)
}

// contractEngine are the checks through the engine that RunContract
// makes.
var contractEngine = []string{"Prefetch", "IngestProcessesAndDeduplicates", "QueuedSameAsInline", "FeedOnePerEffect"}

func run(t *testing.T, newStore func(t *testing.T) donorsync.Store, contractOnly bool) {
	t.Helper()
	type test struct {
		name string
		fn   func(*testing.T, donorsync.Store)
	}
	// The Store contract, tested directly.
	direct := []test{
		{"Journal", testJournal},
		{"JournalDuplicates", testJournalDuplicates},
		{"JournalBodies", testJournalBodies},
		{"RecordDeliveries", testRecordDeliveries},
		{"JournalListing", testJournalListing},
		{"JournalFilters", testJournalFilters},
		{"JournalStats", testJournalStats},
		{"ClaimDeliveries", testClaim},
		{"ClaimDeliveriesByID", testClaimByID},
		{"TryLock", testTryLock},
		{"Preload", testPreload},
		{"Draft", testDraft},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ContactRoundTrip", testContactRoundTrip},
		{"ContactKeyConflict", testContactKeyConflict},
		{"MergeContacts", testMergeContacts},
		{"DonationRoundTrip", testDonationRoundTrip},
		{"Adjustments", testAdjustments},
		{"CommitmentRoundTrip", testCommitmentRoundTrip},
		{"Activities", testActivities},
		{"Listing", testListing},
		{"Rollback", testRollback},
		{"ContextCancelled", testContextCancelled},
		{"TenantIsolation", testTenantIsolation},
		{"FeedAppend", testFeedAppend},
		{"FeedCursors", testFeedCursors},
		{"FeedAnyTenant", testFeedAnyTenant},
		{"FeedConcurrentClaims", testFeedConcurrentClaims},
		{"FeedPrune", testFeedPrune},
		{"FeedJoinAfterPrune", testFeedJoinAfterPrune},
		{"FeedPruneAwaitsReaders", testFeedPruneAwaitsReaders},
		{"FeedConsumers", testFeedConsumers},
	}
	// The contract through the engine.
	engine := []test{
		{"Prefetch", testPrefetch},
		{"IngestProcessesAndDeduplicates", testIngest},
		{"IngestInvalidLeavesNothing", testIngestInvalid},
		{"ConcurrentNewDonor", testConcurrentNewDonor},
		{"ConcurrentDuplicates", testConcurrentDuplicates},
		{"MergeBesideAdjustment", testMergeBesideAdjustment},
		{"EveryOrderSameState", testEveryOrder},
		{"ShuffledHistories", testShuffled},
		{"LifecycleEveryOrder", testLifecycle},
		{"ActivistEveryOrder", testActivist},
		{"QueuedSameAsInline", testQueued},
		{"WebhooksAndReportsEveryOrder", testWebhooksAndReportsEveryOrder},
		{"WebhooksAndReportsShuffled", testWebhooksAndReportsShuffled},
		{"WebhooksAndReportsQueued", testWebhooksAndReportsQueued},
		{"HostileInput", testHostileInput},
		{"FeedOnePerEffect", testFeedOnePerEffect},
	}
	if contractOnly {
		engine = slices.DeleteFunc(engine, func(tt test) bool { return !slices.Contains(contractEngine, tt.name) })
	}
	for _, tt := range append(direct, engine...) {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
	// The contract holds in batch mode too: each transaction below starts
	// with an empty Prefetch, so that its writes may be held back.
	for _, tt := range direct {
		t.Run("Batch/"+tt.name, func(t *testing.T) {
			s := newStore(t)
			if !declared(s).Batch {
				t.Skip("the store declares no batch mode")
			}
			tt.fn(t, batchStore{s})
		})
	}
}

// tenantSeq makes tenant names unique within a process, so that stores
// shared between tests never mix their records.
var tenantSeq = struct {
	sync.Mutex
	n int
}{}

func newTenant(prefix string) string {
	tenantSeq.Lock()
	defer tenantSeq.Unlock()
	tenantSeq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), tenantSeq.n)
}

func ctx(t *testing.T) context.Context { return t.Context() }

// ts returns a time with microsecond precision, as stores must keep.
func ts(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v.UTC().Truncate(time.Microsecond)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

func update(t *testing.T, s donorsync.Store, fn func(donorsync.Tx) error) {
	t.Helper()
	if err := s.Update(ctx(t), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s donorsync.Store, fn func(donorsync.Tx) error) {
	t.Helper()
	if err := s.View(ctx(t), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}
