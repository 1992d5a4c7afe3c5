package donorsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/donorsync/donorsync/contact"
	"github.com/donorsync/donorsync/dedup"
)

// upsertContact finds the stored contact that in describes, merges in
// into it (creating it if there is none) and returns its id. It returns ""
// when in has no key at all to find it by again.
func (g *Ingester) upsertContact(ctx context.Context, tx Tx, in contact.Contact, fallback []dedup.Key, now time.Time) (string, error) {
	keys := g.policy().Keys(in)
	if len(keys) == 0 {
		if in.IsEmpty() {
			return "", nil
		}
		keys = fallback
	}
	if len(keys) == 0 {
		return "", nil
	}
	owners, current, err := owners(ctx, tx, in.Tenant, keys)
	if err != nil {
		return "", err
	}
	target, err := g.target(ctx, tx, in, keys, owners, current, now)
	if err != nil {
		return "", err
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

// owners finds the contacts that own keys, locks them, then reads them
// afresh: a concurrent transaction may have changed them since the
// lookup. It returns the owner of each key that has one, and the owners
// by id.
func owners(ctx context.Context, tx Tx, tenant string, keys []dedup.Key) (map[dedup.Key]string, map[string]contact.Contact, error) {
	owners := make(map[dedup.Key]string, len(keys))
	var ids []string
	for _, k := range keys {
		found, err := tx.ContactByKey(ctx, tenant, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		owners[k] = found.ID
		ids = append(ids, found.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	locks := make([]string, len(ids))
	for i, id := range ids {
		locks[i] = contactLock(tenant, id)
	}
	if err := tx.Lock(ctx, locks); err != nil {
		return nil, nil, err
	}
	current := make(map[string]contact.Contact, len(ids))
	for _, id := range ids {
		c, err := tx.Contact(ctx, tenant, id)
		if errors.Is(err, ErrNotFound) {
			// Merged away by a transaction that committed meanwhile.
			return nil, nil, fmt.Errorf("%w: contact %s was merged into another", ErrConflict, id)
		}
		if err != nil {
			return nil, nil, err
		}
		current[id] = c
	}
	return owners, current, nil
}

// target chooses the stored contact in is, as the policy matches it by
// each key: the strong matches, merged into the one with the smallest id
// (owners then names it for the keys the others owned); else the first
// weak match; else a new contact.
func (g *Ingester) target(ctx context.Context, tx Tx, in contact.Contact, keys []dedup.Key, owners map[dedup.Key]string, current map[string]contact.Contact, now time.Time) (contact.Contact, error) {
	var strong []contact.Contact
	var weak *contact.Contact
	for _, k := range keys {
		id, ok := owners[k]
		if !ok {
			continue
		}
		found := current[id]
		switch g.policy().Match(in, k, found) {
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
	switch {
	case len(strong) > 0:
		return merge(ctx, tx, in.Tenant, strong, owners)
	case weak != nil:
		return *weak, nil
	}
	return contact.Contact{ID: NewID("ct"), Tenant: in.Tenant, CreatedAt: now}, nil
}

// merge folds contacts that are one person into the one with the
// smallest id, and returns it; owners then names it for every key the
// others owned.
func merge(ctx context.Context, tx Tx, tenant string, same []contact.Contact, owners map[dedup.Key]string) (contact.Contact, error) {
	slices.SortFunc(same, func(a, b contact.Contact) int { return strings.Compare(a.ID, b.ID) })
	target := same[0]
	for _, other := range same[1:] {
		target.Merge(other)
		if err := tx.MergeContacts(ctx, tenant, other.ID, target.ID); err != nil {
			return contact.Contact{}, err
		}
		for k, owner := range owners {
			if owner == other.ID {
				owners[k] = target.ID
			}
		}
	}
	return target, nil
}
