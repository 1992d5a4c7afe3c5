package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/store/sqlite"
)

// The ack path's baselines answer 200 once the body is inserted, with
// others in one transaction, by a bare net/http handler: no
// authentication, no parsing. The design's bound inserts the same rows as
// donorsync's journal, into a table like its own (deliveries: the same
// columns and indexes); the body alone, in a table of one column and no
// index, is measured beside it for reference.

// bareSQLite is the baseline on a SQLite file like the store's, in WAL
// mode with synchronous=FULL: with sameRows, the deliveries table of a
// store made by sqlite.Open; otherwise a table of bodies.
func bareSQLite(ctx context.Context, path string, sameRows bool) (http.Handler, error) {
	if sameRows {
		st, err := sqlite.Open(ctx, path, nil)
		if err != nil {
			return nil, err
		}
		if err := st.Close(); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if sameRows {
		return batchedInsert(db, deliveryInsert(func(int) string { return "?" }), deliveryArgs), nil
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		return nil, err
	}
	return batchedInsert(db, `INSERT INTO rows (body) VALUES (?)`, bodyArgs), nil
}

// deliveryInsert inserts one row into a store's deliveries table, with
// placeholder(n) the nth parameter.
func deliveryInsert(placeholder func(n int) string) string {
	const columns = "tenant, id, provider, kind, key, body, received_at, status, duplicate_of, attempts, error, updated_at, next_attempt_at, claimed_until"
	ps := make([]string, strings.Count(columns, ",")+1)
	for i := range ps {
		ps[i] = placeholder(i + 1)
	}
	return "INSERT INTO deliveries (" + columns + ") VALUES (" + strings.Join(ps, ", ") + ")"
}

// baselineKeys numbers the rows of the baselines, so that each has a key
// of its own, as each delivery of the load does.
var baselineKeys atomic.Int64

// deliveryArgs are the values of deliveryInsert that donorsync journals
// for a pending ActBlue donation with body.
func deliveryArgs(body []byte) []any {
	now := time.Now().UnixMicro()
	key := "donation:" + strconv.FormatInt(baselineKeys.Add(1), 10)
	return []any{"default", donorsync.NewID("dl"), "actblue", "", key, body, now, string(donorsync.Pending), "", 0, "", now, 0, 0}
}

// bodyArgs are the values of an insert of the body alone.
func bodyArgs(body []byte) []any { return []any{body} }

type insertJob struct {
	args []any
	done chan error
}

// batchedInsert is a bare handler: it reads the body and hands the values
// args makes of it to one goroutine, which inserts everything handed to
// it meanwhile (up to 256 rows) in one transaction, with a statement
// prepared once; it answers 200 after the commit.
func batchedInsert(db *sql.DB, insert string, args func(body []byte) []any) http.Handler {
	jobs := make(chan insertJob, 4096)
	go func() {
		stmt, prepErr := db.Prepare(insert) // on failure, every request is answered 503
		for first := range jobs {
			batch := []insertJob{first}
		more:
			for len(batch) < 256 {
				select {
				case j := <-jobs:
					batch = append(batch, j)
				default:
					break more
				}
			}
			err := prepErr
			var tx *sql.Tx
			if err == nil {
				tx, err = db.Begin()
			}
			if err == nil {
				stmt := tx.Stmt(stmt)
				for _, j := range batch {
					if _, err = stmt.Exec(j.args...); err != nil {
						break
					}
				}
				if err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
			}
			for _, j := range batch {
				j.done <- err
			}
		}
	}()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		done := make(chan error, 1)
		jobs <- insertJob{args(body), done}
		if err := <-done; err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"pending"}`+"\n")
	})
}
