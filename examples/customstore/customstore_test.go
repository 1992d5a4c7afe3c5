package customstore_test

import (
	"path/filepath"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/examples/customstore"
	"github.com/donorsync/donorsync/storetest"
)

// The whole conformance suite runs against the CRM's tables.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) donorsync.Store {
		s, err := customstore.Open(t.Context(), filepath.Join(t.TempDir(), "crm.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
