package donorsync

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
	"github.com/donorsync/donorsync/donation"
)

// A changeRecorder is the Tx an Apply writes through when the Ingester
// records changes: it keeps the state of each record as the delivery
// first read it and as it last wrote it, and makes of them the delivery's
// changes, one per record changed, in the order the records were first
// touched. A write that would change nothing but the time of the write
// (and, for a donation, the delivery that last wrote it) is left out, so
// that a replay changes nothing and tells nothing.
type changeRecorder struct {
	Tx
	touched  []*touch
	byKey    map[string]*touch
	adjusted map[string]bool // donations (provider:external id) given an adjustment
}

// The fields a change leaves out: a record whose other fields are the
// same has not changed.
var (
	contactSkip    = []string{"UpdatedAt"}
	donationSkip   = []string{"UpdatedAt", "DeliveryID"}
	commitmentSkip = []string{"UpdatedAt"}
)

// A touch is a record the delivery read or wrote.
type touch struct {
	what          string // "contact", "donation", "commitment", "activity", or "merge"
	key           string // the record's key (change.Change.Key); for a merge, the contact merged into
	from          string // for a merge, the contact merged away
	before, after any    // the record's state: nil when absent, or not written
	adjustments   []donation.Adjustment
	adjusted      bool // for a donation, given an adjustment
}

func newChangeRecorder(tx Tx) *changeRecorder {
	return &changeRecorder{Tx: tx, byKey: map[string]*touch{}, adjusted: map[string]bool{}}
}

// seen notes the state of a record read, until the delivery writes it: a
// record read again (a contact, once locked) may have changed meanwhile.
func (r *changeRecorder) seen(what, key string, v any, err error) {
	if err != nil && !errors.Is(err, ErrNotFound) {
		return
	}
	t, ok := r.byKey[what+"\x00"+key]
	if !ok {
		t = &touch{what: what, key: key}
		r.byKey[what+"\x00"+key] = t
		r.touched = append(r.touched, t)
	}
	if t.after == nil {
		t.before = nil
		if err == nil {
			t.before = v
		}
	}
}

// unchanged reports whether v, about to be written, is the record as the
// delivery last read or wrote it, but for the fields named in skip: the
// write can be left out.
func (r *changeRecorder) unchanged(what, key string, v any, skip ...string) bool {
	t, ok := r.byKey[what+"\x00"+key]
	if !ok {
		return false
	}
	current := t.after
	if current == nil {
		current = t.before
	}
	return current != nil && changedFields(current, v, skip...) == nil
}

// wrote notes the state of a record written.
func (r *changeRecorder) wrote(what, key string, v any) *touch {
	t, ok := r.byKey[what+"\x00"+key]
	if !ok {
		t = &touch{what: what, key: key}
		r.byKey[what+"\x00"+key] = t
		r.touched = append(r.touched, t)
	}
	t.after = v
	return t
}

func (r *changeRecorder) ContactByKey(ctx context.Context, tenant string, k dedup.Key) (contact.Contact, error) {
	c, err := r.Tx.ContactByKey(ctx, tenant, k)
	if err == nil {
		r.seen("contact", c.ID, c.Clone(), nil)
	}
	return c, err
}

func (r *changeRecorder) Contact(ctx context.Context, tenant, id string) (contact.Contact, error) {
	c, err := r.Tx.Contact(ctx, tenant, id)
	r.seen("contact", id, c.Clone(), err)
	return c, err
}

func (r *changeRecorder) PutContact(ctx context.Context, c contact.Contact, keys []dedup.Key) error {
	if len(keys) == 0 && r.unchanged("contact", c.ID, c, contactSkip...) {
		return nil
	}
	if err := r.Tx.PutContact(ctx, c, keys); err != nil {
		return err
	}
	r.wrote("contact", c.ID, c.Clone())
	return nil
}

func (r *changeRecorder) MergeContacts(ctx context.Context, tenant, from, into string) error {
	if err := r.Tx.MergeContacts(ctx, tenant, from, into); err != nil {
		return err
	}
	r.touched = append(r.touched, &touch{what: "merge", key: into, from: from})
	// The contact merged into changes after the merge (change.ContactsMerged):
	// its change, if any, comes after it, though the contact was read before.
	if t, ok := r.byKey["contact\x00"+into]; ok && t.before != nil {
		i := slices.Index(r.touched, t)
		r.touched = append(slices.Delete(r.touched, i, i+1), t)
	}
	return nil
}

func (r *changeRecorder) Activity(ctx context.Context, tenant, provider, key string) (contact.Activity, error) {
	a, err := r.Tx.Activity(ctx, tenant, provider, key)
	r.seen("activity", provider+":"+key, a, err)
	return a, err
}

func (r *changeRecorder) PutActivity(ctx context.Context, a contact.Activity) error {
	// Stored once: the first version stays.
	if _, err := r.Activity(ctx, a.Tenant, a.Provider, a.Key); !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := r.Tx.PutActivity(ctx, a); err != nil {
		return err
	}
	r.wrote("activity", a.Provider+":"+a.Key, a)
	return nil
}

func (r *changeRecorder) Donation(ctx context.Context, tenant, provider, externalID string) (donation.Donation, error) {
	d, err := r.Tx.Donation(ctx, tenant, provider, externalID)
	r.seen("donation", provider+":"+externalID, d.Clone(), err)
	return d, err
}

func (r *changeRecorder) Adjustments(ctx context.Context, tenant, provider, donationID string) ([]donation.Adjustment, error) {
	adjs, err := r.Tx.Adjustments(ctx, tenant, provider, donationID)
	if t, ok := r.byKey["donation\x00"+provider+":"+donationID]; ok && err == nil {
		t.adjustments = adjs
	}
	return adjs, err
}

// PutAdjustment stores a, unless the donation has it already (the first
// version stays), and notes that its donation changed.
func (r *changeRecorder) PutAdjustment(ctx context.Context, a donation.Adjustment) error {
	adjs, err := r.Tx.Adjustments(ctx, a.Tenant, a.Provider, a.DonationID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(adjs, func(b donation.Adjustment) bool { return b.Key == a.Key }) {
		return nil
	}
	if err := r.Tx.PutAdjustment(ctx, a); err != nil {
		return err
	}
	r.adjusted[a.Provider+":"+a.DonationID] = true
	return nil
}

func (r *changeRecorder) PutDonation(ctx context.Context, d donation.Donation) error {
	if !r.adjusted[d.Provider+":"+d.ExternalID] && r.unchanged("donation", d.Provider+":"+d.ExternalID, d, donationSkip...) {
		return nil
	}
	if err := r.Tx.PutDonation(ctx, d); err != nil {
		return err
	}
	r.wrote("donation", d.Provider+":"+d.ExternalID, d.Clone())
	return nil
}

func (r *changeRecorder) Commitment(ctx context.Context, tenant, provider, externalID string) (donation.Commitment, error) {
	c, err := r.Tx.Commitment(ctx, tenant, provider, externalID)
	r.seen("commitment", provider+":"+externalID, c.Clone(), err)
	return c, err
}

func (r *changeRecorder) PutCommitment(ctx context.Context, c donation.Commitment) error {
	if r.unchanged("commitment", c.Provider+":"+c.ExternalID, c, commitmentSkip...) {
		return nil
	}
	if err := r.Tx.PutCommitment(ctx, c); err != nil {
		return err
	}
	r.wrote("commitment", c.Provider+":"+c.ExternalID, c.Clone())
	return nil
}

// changes returns the changes of delivery d, made at at: one for each
// record written whose state differs from the one first read, and one for
// each merge.
func (r *changeRecorder) changes(d *Delivery, at time.Time) []change.Change {
	var out []change.Change
	for _, t := range r.touched {
		t.adjusted = t.what == "donation" && r.adjusted[t.key]
		c, ok := t.change()
		if !ok {
			continue
		}
		c.ID, c.Tenant, c.DeliveryID, c.At = NewID("ch"), d.Tenant, d.ID, at
		out = append(out, c)
	}
	return out
}

// change is what the touch changed, if anything.
func (t *touch) change() (change.Change, bool) {
	c := change.Change{Key: t.key}
	switch after := t.after.(type) {
	case nil:
		if t.what != "merge" {
			return c, false
		}
		c.Kind, c.From = change.ContactsMerged, t.from
	case contact.Contact:
		c.Contact = &after
		c.Kind = change.ContactCreated
		if before, ok := t.before.(contact.Contact); ok {
			c.Kind, c.Fields = change.ContactUpdated, changedFields(before, after, contactSkip...)
		}
	case contact.Activity:
		if t.before != nil {
			return c, false
		}
		c.Kind, c.Activity = change.ActivityRecorded, &after
	case donation.Donation:
		c.Donation, c.Adjustments = &after, t.adjustments
		c.Kind = change.DonationRecorded
		if before, ok := t.before.(donation.Donation); ok {
			c.Kind, c.Previous = donationKind(before, after), string(before.Status)
			c.Fields = changedFields(before, after, donationSkip...)
			if t.adjusted {
				c.Fields = append(c.Fields, "adjustments")
			}
		}
	case donation.Commitment:
		c.Commitment = &after
		c.Kind = change.CommitmentCreated
		if before, ok := t.before.(donation.Commitment); ok {
			c.Kind, c.Previous = commitmentKind(before, after), string(before.Status)
			c.Fields = changedFields(before, after, commitmentSkip...)
		}
	}
	if c.Kind != change.ContactsMerged && c.Fields == nil && t.before != nil {
		return c, false
	}
	return c, true
}

// donationKind tells how a stored donation changed.
func donationKind(before, after donation.Donation) change.Kind {
	switch {
	case before.Status != after.Status || !before.Refunded.Equal(after.Refunded):
		return change.DonationStatusChanged
	case before.SettledAt.IsZero() && !after.SettledAt.IsZero():
		return change.DonationSettled
	}
	return change.DonationUpdated
}

// commitmentKind tells how a stored commitment changed.
func commitmentKind(before, after donation.Commitment) change.Kind {
	switch {
	case before.Status != after.Status && after.Status == donation.Cancelled:
		return change.CommitmentCancelled
	case before.Status != after.Status && after.Status == donation.Failed:
		return change.CommitmentFailed
	}
	return change.CommitmentUpdated
}
