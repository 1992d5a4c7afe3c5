package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/donorsync/donorsync/store/sqlite"
)

// store is a donorsync.Store that can be closed.
type store interface {
	donorsync.Store
	Close() error
}

// openStore opens the database and reports whether it holds data from
// earlier starts. A SQLite database and its -wal and -shm files are
// created readable by their owner only, and tightened if they exist.
func openStore(ctx context.Context, c *config, logger *slog.Logger) (store, bool, error) {
	if c.postgres() {
		st, err := postgres.Open(ctx, c.db, nil)
		if err != nil {
			return nil, false, err
		}
		existing, err := hasData(ctx, st)
		if err != nil {
			st.Close()
			return nil, false, err
		}
		return st, existing, nil
	}
	fi, err := os.Stat(c.db)
	existing := err == nil && fi.Size() > 0
	if err := tighten(logger, sqliteFiles(c.db)...); err != nil {
		return nil, false, err
	}
	if err := createPrivate(c.db); err != nil {
		return nil, false, err
	}
	st, err := sqlite.Open(ctx, c.db, nil)
	if err != nil {
		return nil, false, err
	}
	// SQLite made its -wal and -shm files with the database's mode; make
	// sure of it.
	if err := tighten(logger, sqliteFiles(c.db)...); err != nil {
		st.Close()
		return nil, false, err
	}
	return st, existing, nil
}

// hasData reports whether the store journaled any delivery for the tenant.
func hasData(ctx context.Context, st donorsync.Store) (bool, error) {
	var ds []*donorsync.Delivery
	err := st.View(ctx, func(tx donorsync.Tx) error {
		var err error
		ds, err = tx.Deliveries(ctx, tenant, donorsync.DeliveryFilter{Page: donorsync.Page{Limit: 1}})
		return err
	})
	return len(ds) > 0, err
}
