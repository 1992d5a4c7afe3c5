package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/donorsync/donorsync/store/postgres"
	"github.com/jackc/pgx/v5/stdlib"
)

// freshSchema makes a schema of its own for a run, so that each run
// starts from empty tables as each SQLite run starts from an empty file,
// and returns dsn with the schema as search path; drop drops it.
func freshSchema(ctx context.Context, db *sql.DB, dsn string) (schemaDSN string, drop func(), err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("DONORSYNC_POSTGRES_URL: %w", err)
	}
	schema := fmt.Sprintf("donorsync_bench_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop = func() {
		ctx := context.WithoutCancel(ctx)
		db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		// Write out now what the run left in the server's buffers, so that
		// flushing it does not land in the next run (needs a superuser;
		// skipped otherwise).
		db.ExecContext(ctx, "CHECKPOINT")
	}
	q := u.Query()
	q.Set("search_path", schema) // a run-time parameter of each connection
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// freshPostgres opens a Store in a schema of its own; done closes it and
// drops the schema.
func freshPostgres(ctx context.Context, db *sql.DB, dsn string) (st *postgres.Store, done func(), err error) {
	schemaDSN, drop, err := freshSchema(ctx, db, dsn)
	if err != nil {
		return nil, nil, err
	}
	st, err = postgres.Open(ctx, schemaDSN, nil)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { st.Close(); drop() }, nil
}

// freshDB returns a database/sql handle on the tables of a Store in a
// schema of its own (migrated by postgres.Open), for the baseline of the
// same rows; done closes it and drops the schema.
func freshDB(ctx context.Context, db *sql.DB, dsn string) (schemaDB *sql.DB, done func(), err error) {
	schemaDSN, drop, err := freshSchema(ctx, db, dsn)
	if err != nil {
		return nil, nil, err
	}
	st, err := postgres.Open(ctx, schemaDSN, nil)
	if err == nil {
		st.Close()
		schemaDB, err = sql.Open("pgx", schemaDSN)
	}
	if err != nil {
		drop()
		return nil, nil, err
	}
	return schemaDB, func() { schemaDB.Close(); drop() }, nil
}

func benchPostgres(ctx context.Context, url string, log *slog.Logger, d time.Duration) ([]row, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(4)
	st, done, err := freshPostgres(ctx, db, url)
	if err != nil {
		return nil, err
	}
	defer done()
	// Fresh tables for the baselines: the deliveries table of a store in
	// a schema of its own, and a table of bodies.
	bareDB, dropBare, err := freshDB(ctx, db, url)
	if err != nil {
		return nil, err
	}
	defer dropBare()
	if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)`); err != nil {
		return nil, err
	}
	bare := batchedInsert(bareDB, deliveryInsert(func(n int) string { return "$" + strconv.Itoa(n) }), deliveryArgs)
	bodies := batchedInsert(db, `INSERT INTO bench_rows (body) VALUES ($1)`, bodyArgs)
	ours := receiver(st, log, true)
	rows := ackRows(ctx, "PostgreSQL", d, ours, bare, bodies)
	// Each open loop starts with the server's buffers written out
	// (CHECKPOINT, as after each end-to-end run), so that neither side
	// meets the checkpoint that the closed loops' writes brought on.
	rows = append(rows, latencyRows(ctx, "PostgreSQL", d, ours, bare, func() { db.ExecContext(ctx, "CHECKPOINT") })...)
	for _, queued := range []bool{true, false} {
		r, err := endToEndRow("End to end into PostgreSQL ≥ 3,000 donations/s, "+mode(queued, postgresQueue), 3000,
			func(n int) (float64, e2eReport, error) {
				st, done, err := freshPostgres(ctx, db, url)
				if err != nil {
					return 0, e2eReport{}, err
				}
				defer done()
				rate, rep := endToEnd(ctx, st, log, d, queued, postgresQueue, n)
				if !queued {
					webhooks["PostgreSQL"] = max(webhooks["PostgreSQL"], rate)
				}
				return rate, rep, nil
			})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" driver
