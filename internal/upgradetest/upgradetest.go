// Package upgradetest is what the upgrade tests of the SQL stores
// share: a store filled through the engine with deliveries of every
// provider, as a release wrote it, and every record read back from it,
// to compare before and after an upgrade.
package upgradetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/change"
	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/donation"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"
)

// Tenants are the tenants of the fixtures.
var Tenants = [2]string{"acme", "beta"}

// A Delivery is a fixture of a provider's testdata: the provider, the
// delivery's kind, and the file, from the repository's root.
type Delivery struct {
	Provider, Kind, File string
}

// fill are the deliveries Fill applies, in order, each to the first or
// the second of its tenants: a one-time and a recurring gift, refunded,
// cancelled, settled, charged back; actions and signatures.
var fill = []struct {
	tenant int
	Delivery
}{
	{0, Delivery{actblue.Provider, "", "actblue/testdata/contribution.json"}},
	{0, Delivery{actblue.Provider, "", "actblue/testdata/two_lineitems.json"}},
	{0, Delivery{actblue.Provider, "", "actblue/testdata/recurring.json"}},
	{0, Delivery{actblue.Provider, string(actblue.KindRefund), "actblue/testdata/refund.json"}},
	{0, Delivery{actblue.Provider, string(actblue.KindCancellation), "actblue/testdata/cancellation.json"}},
	{0, Delivery{actionnetwork.Provider, "", "actionnetwork/testdata/donation.json"}},
	{0, Delivery{actionnetwork.Provider, "", "actionnetwork/testdata/signature.json"}},
	{0, Delivery{actionnetwork.Provider, "", "actionnetwork/testdata/attendance.json"}},
	{0, Delivery{actionnetwork.Provider, "", "actionnetwork/testdata/submission.json"}},
	{0, Delivery{anedot.Provider, "", "anedot/testdata/commitment_created.json"}},
	{0, Delivery{anedot.Provider, "", "anedot/testdata/donation_completed.json"}},
	{0, Delivery{anedot.Provider, "", "anedot/testdata/donation_partially_refunded.json"}},
	{0, Delivery{anedot.Provider, "", "anedot/testdata/settlement_date.json"}},
	{0, Delivery{anedot.Provider, "", "anedot/testdata/commitment_failed_to_process.json"}},
	{0, Delivery{anedot.Provider, "", "anedot/testdata/commitment_updated_cancelled.json"}},
	{1, Delivery{anedot.Provider, "", "anedot/testdata/donation_chargeback.json"}},
	{1, Delivery{actblue.Provider, "", "actblue/testdata/contribution.json"}},
	{1, Delivery{actblue.Provider, string(actblue.KindRefund), "actblue/testdata/refund.json"}},
}

// Fill applies its deliveries to s, as Apply does, for two tenants
// (Tenants, when the fixtures were made).
func Fill(ctx context.Context, s donorsync.Store, root string, tenants [2]string) error {
	g, sources, err := newIngester(s)
	if err != nil {
		return err
	}
	for _, f := range fill {
		if err := apply(ctx, g, sources, root, tenants[f.tenant], f.Delivery); err != nil {
			return err
		}
	}
	return nil
}

// Apply applies deliveries, read from the provider packages' testdata
// under root (the repository's root directory), to s for tenant, in
// order, through an Ingester that records changes. Each must be
// processed.
func Apply(ctx context.Context, s donorsync.Store, root, tenant string, deliveries ...Delivery) error {
	g, sources, err := newIngester(s)
	if err != nil {
		return err
	}
	for _, d := range deliveries {
		if err := apply(ctx, g, sources, root, tenant, d); err != nil {
			return err
		}
	}
	return nil
}

// newIngester returns an Ingester on s that records changes, on a clock
// of its own that starts on 2024-06-07 and moves a second a reading, and
// a Source of each provider by its name.
func newIngester(s donorsync.Store) (*donorsync.Ingester, map[string]donorsync.Source, error) {
	sources, err := newSources()
	if err != nil {
		return nil, nil, err
	}
	clock := time.Date(2024, 6, 7, 19, 49, 33, 123456000, time.UTC)
	g := &donorsync.Ingester{
		Store: s, RecordChanges: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { clock = clock.Add(time.Second); return clock },
	}
	return g, sources, nil
}

func apply(ctx context.Context, g *donorsync.Ingester, sources map[string]donorsync.Source, root, tenant string, dl Delivery) error {
	body, err := os.ReadFile(filepath.Join(root, dl.File))
	if err != nil {
		return err
	}
	d := &donorsync.Delivery{Tenant: tenant, Provider: dl.Provider, Kind: dl.Kind, Body: body}
	if err := g.Receive(ctx, sources[dl.Provider], d); err != nil {
		return fmt.Errorf("%s: %w", dl.File, err)
	}
	if d.Status != donorsync.Processed {
		return fmt.Errorf("%s: %s (%s)", dl.File, d.Status, d.Error)
	}
	return nil
}

// newSources returns a Source of each provider by its name.
func newSources() (map[string]donorsync.Source, error) {
	const secret = "upgradetest-secret-0123456789abcdef"
	an, err := actionnetwork.NewAuthenticator(actionnetwork.Credential{Tenant: "any", Token: secret})
	if err != nil {
		return nil, err
	}
	anSource, err := actionnetwork.NewSource(an, actionnetwork.Options{})
	if err != nil {
		return nil, err
	}
	ad, err := anedot.NewAuthenticator(anedot.Credential{Tenant: "any", Token: secret})
	if err != nil {
		return nil, err
	}
	adSource, err := anedot.NewSource(ad, anedot.Options{})
	if err != nil {
		return nil, err
	}
	return map[string]donorsync.Source{
		actblue.Provider: &actblue.Source{}, actionnetwork.Provider: anSource, anedot.Provider: adSource,
	}, nil
}

// Records are every record of some tenants, and their feeds, by tenant.
type Records struct {
	Contacts    map[string][]contact.Contact
	Activities  map[string][]contact.Activity
	Donations   map[string][]donation.Donation
	Adjustments map[string][]donation.Adjustment // of every donation
	Commitments map[string][]donation.Commitment
	Changes     map[string][]change.Change
}

// Read reads every record of the tenants from s.
func Read(ctx context.Context, s donorsync.Store, tenants ...string) (Records, error) {
	r := Records{
		Contacts: map[string][]contact.Contact{}, Activities: map[string][]contact.Activity{},
		Donations: map[string][]donation.Donation{}, Adjustments: map[string][]donation.Adjustment{},
		Commitments: map[string][]donation.Commitment{}, Changes: map[string][]change.Change{},
	}
	err := s.View(ctx, func(tx donorsync.Tx) error {
		for _, tenant := range tenants {
			if err := r.read(ctx, tx, tenant); err != nil {
				return fmt.Errorf("tenant %s: %w", tenant, err)
			}
		}
		return nil
	})
	return r, err
}

func (r *Records) read(ctx context.Context, tx donorsync.Tx, tenant string) error {
	all := donorsync.Page{Limit: 1000}
	var err error
	if r.Contacts[tenant], err = tx.Contacts(ctx, tenant, all); err != nil {
		return err
	}
	for _, c := range r.Contacts[tenant] {
		as, err := tx.Activities(ctx, tenant, c.ID)
		if err != nil {
			return err
		}
		r.Activities[tenant] = append(r.Activities[tenant], as...)
	}
	if r.Donations[tenant], err = tx.Donations(ctx, tenant, all); err != nil {
		return err
	}
	for _, d := range r.Donations[tenant] {
		as, err := tx.Adjustments(ctx, tenant, d.Provider, d.ExternalID)
		if err != nil {
			return err
		}
		r.Adjustments[tenant] = append(r.Adjustments[tenant], as...)
	}
	if r.Commitments[tenant], err = tx.Commitments(ctx, tenant, all); err != nil {
		return err
	}
	r.Changes[tenant], err = tx.Changes(ctx, tenant, 0, 1000)
	return err
}

// Renamed returns r with the fields its changes list (change.Fields)
// named as the records' JSON names them since it is in snake case:
// "fecid" is "fec_id", "refunded" is "refunded_amount". So an upgrade
// from a version that named them so reads them.
func (r Records) Renamed() Records {
	names := map[string]string{"fecid": "fec_id", "refunded": "refunded_amount"}
	out := r
	out.Changes = map[string][]change.Change{}
	for tenant, cs := range r.Changes {
		for _, c := range cs {
			c = c.Clone()
			for i, f := range c.Fields {
				if n, ok := names[f]; ok {
					c.Fields[i] = n
				}
			}
			out.Changes[tenant] = append(out.Changes[tenant], c)
		}
	}
	return out
}

// Counts returns how many contacts, activities, donations, adjustments,
// commitments and changes r holds for tenant.
func (r Records) Counts(tenant string) [6]int {
	return [6]int{len(r.Contacts[tenant]), len(r.Activities[tenant]), len(r.Donations[tenant]),
		len(r.Adjustments[tenant]), len(r.Commitments[tenant]), len(r.Changes[tenant])}
}

// Summary says how many records of each kind r holds, for each of
// tenants.
func (r Records) Summary(tenants ...string) string {
	s := ""
	for _, tenant := range tenants {
		s += fmt.Sprintf("%s: %d contacts, %d activities, %d donations, %d adjustments, %d commitments, %d changes\n",
			tenant, len(r.Contacts[tenant]), len(r.Activities[tenant]), len(r.Donations[tenant]),
			len(r.Adjustments[tenant]), len(r.Commitments[tenant]), len(r.Changes[tenant]))
	}
	return s
}

// Diff returns the differences between two reads, "" when they hold
// the same records: times equal as instants, amounts as numbers, and
// empty maps and lists as absent ones.
func Diff(want, got Records) string {
	return cmp.Diff(want, got,
		cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
		cmpopts.EquateEmpty())
}
