package donorsync_test

import (
	"testing"
	"time"

	"github.com/donorsync/donorsync"
)

func TestDeliveryFilterMatches(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	d := &donorsync.Delivery{Provider: "actblue", Kind: "report:paid_contributions", Status: donorsync.Processed, ReceivedAt: at}
	plain := &donorsync.Delivery{Provider: "actblue", Status: donorsync.Processed, ReceivedAt: at}
	for _, tc := range []struct {
		f        donorsync.DeliveryFilter
		d, plain bool // whether it matches d and plain
	}{
		{donorsync.DeliveryFilter{}, true, true},
		{donorsync.DeliveryFilter{Provider: "actblue"}, true, true},
		{donorsync.DeliveryFilter{Provider: "anedot"}, false, false},
		{donorsync.DeliveryFilter{Kind: "report:paid_contributions"}, true, false},
		{donorsync.DeliveryFilter{Kind: "report:paid"}, false, false},
		{donorsync.DeliveryFilter{Kind: "report:*"}, true, false},
		{donorsync.DeliveryFilter{Kind: "REPORT:*"}, false, false},
		{donorsync.DeliveryFilter{Kind: "*"}, true, true},
		{donorsync.DeliveryFilter{Kind: donorsync.NoKind}, false, true},
		{donorsync.DeliveryFilter{Status: donorsync.Processed, Since: at}, true, true},
		{donorsync.DeliveryFilter{Status: donorsync.Dead}, false, false},
		{donorsync.DeliveryFilter{Since: at.Add(time.Microsecond)}, false, false},
		{donorsync.DeliveryFilter{Provider: "actblue", Kind: donorsync.NoKind, Since: at.Add(-time.Hour)}, false, true},
	} {
		if got := tc.f.Matches(d); got != tc.d {
			t.Errorf("%+v matches %s: %v, want %v", tc.f, d.Kind, got, tc.d)
		}
		if got := tc.f.Matches(plain); got != tc.plain {
			t.Errorf("%+v matches a delivery without a kind: %v, want %v", tc.f, got, tc.plain)
		}
	}
}
