package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/donorsync/donorsync"
)

// The queries of JournalStats, for one tenant and for all: each reads
// the journal once. The backlog's is answered from the queue's indexes.
var statsQueries = map[bool][3]string{
	true: {
		`SELECT status, count(*) FROM deliveries WHERE tenant = ? AND received_at >= ? GROUP BY status`,
		`SELECT status, count(*), min(received_at) FROM deliveries WHERE tenant = ? AND status IN ('pending', 'failed') GROUP BY status`,
		`SELECT tenant, provider, max(received_at) FROM deliveries WHERE tenant = ? GROUP BY tenant, provider ORDER BY tenant, provider`,
	},
	false: {
		`SELECT status, count(*) FROM deliveries WHERE received_at >= ? GROUP BY status`,
		`SELECT status, count(*), min(received_at) FROM deliveries WHERE status IN ('pending', 'failed') GROUP BY status`,
		`SELECT tenant, provider, max(received_at) FROM deliveries GROUP BY tenant, provider ORDER BY tenant, provider`,
	},
}

// JournalStats implements donorsync.Tx.
func (t *tx) JournalStats(ctx context.Context, tenant string, since time.Time) (donorsync.JournalStats, error) {
	s := donorsync.JournalStats{Received: map[donorsync.DeliveryStatus]int{}, Backlog: map[donorsync.DeliveryStatus]int{}}
	if err := t.flush(ctx); err != nil {
		return s, err
	}
	q := statsQueries[tenant != ""]
	with := func(args ...any) []any {
		if tenant != "" {
			return append([]any{tenant}, args...)
		}
		return args
	}
	err := t.each(ctx, q[0], with(micros(since)), func(rows *sql.Rows) error {
		var status string
		var n int
		err := rows.Scan(&status, &n)
		s.Received[donorsync.DeliveryStatus(status)] = n
		return err
	})
	if err == nil {
		err = t.each(ctx, q[1], with(), func(rows *sql.Rows) error {
			var status string
			var n int
			var oldest int64
			err := rows.Scan(&status, &n, &oldest)
			s.Backlog[donorsync.DeliveryStatus(status)] = n
			if at := fromMicros(oldest); s.OldestPending.IsZero() || at.Before(s.OldestPending) {
				s.OldestPending = at
			}
			return err
		})
	}
	if err == nil {
		err = t.each(ctx, q[2], with(), func(rows *sql.Rows) error {
			var f donorsync.Freshness
			var last int64
			err := rows.Scan(&f.Tenant, &f.Provider, &last)
			f.ReceivedAt = fromMicros(last)
			s.Last = append(s.Last, f)
			return err
		})
	}
	if err != nil {
		return s, t.d.wrap("journal stats", err)
	}
	return s, nil
}

// each runs query and calls fn for each row.
func (t *tx) each(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
