package memstore_test

import (
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
	"github.com/donorsync/donorsync/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) donorsync.Store { return memstore.New() })
}
