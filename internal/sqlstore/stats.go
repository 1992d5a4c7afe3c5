package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/donorsync/donorsync"
)

// statsGroups lists, as the table g of a query, the providers of every
// tenant (of the tenant given as first argument, for true): read from the
// index deliveries_received one at a time, a few index entries each, as
// neither SQLite nor PostgreSQL skips through an index to the next value
// of its first columns by itself.
var statsGroups = map[bool]string{
	true: `WITH RECURSIVE t(tenant) AS (SELECT CAST(? AS TEXT)),` + statsProviders,
	false: `WITH RECURSIVE t(tenant) AS (
		SELECT min(tenant) FROM deliveries
		UNION ALL
		SELECT (SELECT min(tenant) FROM deliveries WHERE tenant > t.tenant) FROM t WHERE t.tenant IS NOT NULL),` + statsProviders,
}

const statsProviders = `
	g(tenant, provider) AS (
		SELECT tenant, (SELECT min(provider) FROM deliveries d WHERE d.tenant = t.tenant) FROM t WHERE tenant IS NOT NULL
		UNION ALL
		SELECT tenant, (SELECT min(provider) FROM deliveries d WHERE d.tenant = g.tenant AND d.provider > g.provider)
		FROM g WHERE provider IS NOT NULL)
`

// The queries of JournalStats, for one tenant and for all: the deliveries
// received since a time, and the last of each provider, from the index of
// their receipt times, a provider at a time; the backlog, from the
// indexes that hold it.
var statsQueries = map[bool][3]string{
	true: {
		statsGroups[true] + statsReceived,
		`SELECT status, count(*), min(received_at) FROM deliveries WHERE tenant = ? AND status IN ('pending', 'failed') GROUP BY status`,
		statsGroups[true] + statsLast,
	},
	false: {
		statsGroups[false] + statsReceived,
		`SELECT status, count(*), min(received_at) FROM deliveries WHERE status IN ('pending', 'failed') GROUP BY status`,
		statsGroups[false] + statsLast,
	},
}

const (
	statsReceived = `SELECT d.status, count(*) FROM g JOIN deliveries d
		ON d.tenant = g.tenant AND d.provider = g.provider AND d.received_at >= ? GROUP BY d.status`
	statsLast = `SELECT tenant, provider,
		(SELECT max(received_at) FROM deliveries d WHERE d.tenant = g.tenant AND d.provider = g.provider)
		FROM g WHERE provider IS NOT NULL ORDER BY tenant, provider`
)

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

// StatsQueries returns the queries of JournalStats, for the stores' tests
// of how their database runs them.
func StatsQueries() []string {
	one, all := statsQueries[true], statsQueries[false]
	return append(one[:], all[:]...)
}
