package storetest_test

import (
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
	"github.com/donorsync/donorsync/storetest"
)

// An adapter's test file runs the whole suite against its store.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) donorsync.Store { return memstore.New() })
	}
}
