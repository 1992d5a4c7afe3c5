package donorsync

import (
	"context"
	"fmt"

	"github.com/donorsync/donorsync/donation"
)

// A merge (Tx.MergeContacts) moves the donations and commitments of the
// contact it merges away, under that contact's lock. Where writers run
// side by side, a transaction that read such a record before the merge
// committed, and wrote it again after, would point it back at a contact
// no longer there. So a record read to be written again is read once
// more when the lock of the contact it points at is held (on a store
// whose writers run one at a time, the lock is free and the record
// unchanged); a batch of a store of this module that declares several
// writers reads its records so ahead (prefetch).

// maxOwnerMoves is how many times a record may be found moved to
// another contact while it is read before the transaction gives up, as
// one that lost a race.
const maxOwnerMoves = 3

// lockedOwner returns r as stored once the lock of the contact it points
// at is held: it locks that contact and reads r again with read, until r
// points at a contact locked. event is the contact the event names,
// locked already.
func lockedOwner[R any](ctx context.Context, tx Tx, tenant, event string, r R, owner func(R) string, read func() (R, error)) (R, error) {
	for range maxOwnerMoves {
		id := owner(r)
		if id == "" || id == event {
			return r, nil
		}
		if err := tx.Lock(ctx, []string{contactLock(tenant, id)}); err != nil {
			return r, err
		}
		again, err := read()
		if err != nil || owner(again) == id {
			return again, err
		}
		r = again
	}
	return r, fmt.Errorf("%w: a record of tenant %s moved from contact to contact while it was read", ErrConflict, tenant)
}

func donationOwner(d donation.Donation) string     { return d.ContactID }
func commitmentOwner(c donation.Commitment) string { return c.ContactID }
