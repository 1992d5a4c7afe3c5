package donorsync

import (
	"fmt"

	"github.com/donorsync/donorsync/donation"
)

// maxTenantBytes bounds a tenant, part of every key a store indexes.
// Tenants come from credentials, so only a misconfiguration passes it.
const maxTenantBytes = 256

// validate checks an event of delivery d before anything of it is written:
// what donation.Event.Validate checks (ids and keys present and bounded,
// times within years 1 to 9999, positive donation amounts, ISO 4217
// currencies), and the tenant within maxTenantBytes. What it refuses
// would fail the same way on every retry, or be stored wrong: it wraps
// ErrInvalid, and the delivery is quarantined.
func validate(d *Delivery, ev *donation.Event) error {
	if d.Tenant == "" {
		// Every key includes the tenant; "" names none (and, in the change
		// feed, the row of a consumer of every tenant).
		return fmt.Errorf("%w: tenant: empty", ErrInvalid)
	}
	if len(d.Tenant) > maxTenantBytes {
		return fmt.Errorf("%w: tenant: %d bytes long, over the bound of %d", ErrInvalid, len(d.Tenant), maxTenantBytes)
	}
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
