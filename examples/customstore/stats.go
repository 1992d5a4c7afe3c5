package customstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/donorsync/donorsync"
)

// JournalStats implements donorsync.Tx with three aggregate queries over
// the webhook log.
func (t *tx) JournalStats(ctx context.Context, tenant string, since time.Time) (donorsync.JournalStats, error) {
	s := donorsync.JournalStats{Received: map[donorsync.DeliveryStatus]int{}, Backlog: map[donorsync.DeliveryStatus]int{}}
	org, args := `1 = 1`, []any{}
	if tenant != "" {
		org, args = `org = ?`, []any{tenant}
	}
	err := t.each(ctx, `SELECT state, count(*) FROM webhook_log WHERE `+org+` AND received >= ? GROUP BY state`,
		append(args, when(since)), func(rows *sql.Rows) error {
			var state string
			var n int
			err := rows.Scan(&state, &n)
			s.Received[donorsync.DeliveryStatus(state)] = n
			return err
		})
	if err == nil {
		err = t.each(ctx, `SELECT state, count(*), min(received) FROM webhook_log WHERE `+org+` AND state IN ('pending', 'failed') GROUP BY state`,
			args, func(rows *sql.Rows) error {
				var state, oldest string
				var n int
				err := rows.Scan(&state, &n, &oldest)
				s.Backlog[donorsync.DeliveryStatus(state)] = n
				if at := parseWhen(oldest); s.OldestPending.IsZero() || at.Before(s.OldestPending) {
					s.OldestPending = at
				}
				return err
			})
	}
	if err == nil {
		err = t.each(ctx, `SELECT org, source, max(received) FROM webhook_log WHERE `+org+` GROUP BY org, source ORDER BY org, source`,
			args, func(rows *sql.Rows) error {
				var f donorsync.Freshness
				var last string
				err := rows.Scan(&f.Tenant, &f.Provider, &last)
				f.ReceivedAt = parseWhen(last)
				s.Last = append(s.Last, f)
				return err
			})
	}
	return s, err
}

// each runs query and calls fn for each row.
func (t *tx) each(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := t.QueryContext(ctx, query, args...)
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
