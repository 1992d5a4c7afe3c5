package storetest

import (
	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
)

// The stores of this module also serve the engine's batch protocol
// (internal/batch), and declare which parts of it in their execution
// model. The suite checks what a store declares; a store outside this
// module declares nothing, and only the Store contract is checked.
type (
	recorder = batch.Recorder[*donorsync.Delivery]
	claimer  = batch.Claimer[donorsync.Claim, *donorsync.Delivery]
	lister   = batch.Lister[donorsync.Claim, *donorsync.Delivery]
	drafter  = batch.Drafter[donorsync.Tx]
)

// declared returns the execution model s declares.
func declared(s donorsync.Store) batch.Model {
	if d, ok := s.(batch.Declarer); ok {
		return d.ExecutionModel()
	}
	return batch.Model{}
}
