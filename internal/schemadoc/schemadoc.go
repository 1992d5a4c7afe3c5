// Package schemadoc keeps docs/schema.md true: it runs every example
// query of the page against a SQL store filled through the engine, and
// checks each answer against what the store's records say, computed
// here in Go.
package schemadoc

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/actblue"
	"github.com/donorsync/donorsync/actionnetwork"
	"github.com/donorsync/donorsync/anedot"
	"github.com/donorsync/donorsync/internal/upgradetest"
)

// A Query is an example query of the page: its title and dialect, as
// its first line names them ("-- Donations by month (SQLite)"), and its
// text.
type Query struct {
	Title, Dialect, SQL string
}

// title is the first line of an example query.
var title = regexp.MustCompile(`^-- (.+) \((SQLite|PostgreSQL)\)$`)

// Queries returns the example queries of the Markdown page at path: the
// ```sql blocks whose first line names a title and a dialect.
func Queries(path string) ([]Query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Query
	var block []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && line == "```sql":
			in, block = true, nil
		case in && line == "```":
			in = false
			if len(block) == 0 {
				continue
			}
			m := title.FindStringSubmatch(block[0])
			if m == nil {
				return nil, fmt.Errorf("%s: a query without a first line naming it: %q", path, block[0])
			}
			out = append(out, Query{Title: m[1], Dialect: m[2], SQL: strings.Join(block[1:], "\n")})
		case in:
			block = append(block, line)
		}
	}
	return out, sc.Err()
}

// deliveries fill the tenant the queries read: gifts once and monthly,
// on three platforms, one refunded, one refunded in part.
var deliveries = []upgradetest.Delivery{
	{Provider: actblue.Provider, File: "actblue/testdata/contribution.json"},
	{Provider: actblue.Provider, File: "actblue/testdata/two_lineitems.json"},
	{Provider: actblue.Provider, File: "actblue/testdata/recurring.json"},
	{Provider: actblue.Provider, Kind: string(actblue.KindRefund), File: "actblue/testdata/refund.json"},
	{Provider: actionnetwork.Provider, File: "actionnetwork/testdata/donation.json"},
	{Provider: actionnetwork.Provider, File: "actionnetwork/testdata/signature.json"},
	{Provider: anedot.Provider, File: "anedot/testdata/commitment_created.json"},
	{Provider: anedot.Provider, File: "anedot/testdata/donation_completed.json"},
	{Provider: anedot.Provider, File: "anedot/testdata/donation_partially_refunded.json"},
}

// Check runs the example queries of the page at doc written for
// dialect ("SQLite" or "PostgreSQL") on db, the database of s, once s
// holds the deliveries (read under root, the repository's root
// directory) for a tenant of its own, and compares each answer with the
// one the records of s give. Every query of the page must be one it
// knows how to check, and every one it knows must be on the page.
func Check(t *testing.T, s donorsync.Store, db *sql.DB, dialect, doc, root string) {
	t.Helper()
	ctx := t.Context()
	const tenant = "schemadoc"
	if err := upgradetest.Apply(ctx, s, root, tenant, deliveries...); err != nil {
		t.Fatal(err)
	}
	records, err := upgradetest.Read(ctx, s, tenant)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecords(records, tenant)
	queries, err := Queries(doc)
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	for _, q := range queries {
		if q.Dialect == dialect {
			checked[q.Title] = true
			check(t, db, q, tenant, r)
		}
	}
	for name := range examples {
		if !checked[name] {
			t.Errorf("%s: no %s query %q", doc, dialect, name)
		}
	}
}

// check runs q on db for tenant and compares its answer with the one r
// gives.
func check(t *testing.T, db *sql.DB, q Query, tenant string, r records) {
	t.Helper()
	e, ok := examples[q.Title]
	if !ok {
		t.Errorf("no check for the query %q", q.Title)
		return
	}
	got, err := run(t.Context(), db, q.SQL, append([]any{tenant}, e.args...)...)
	if err != nil {
		t.Errorf("%s (%s): %v", q.Title, q.Dialect, err)
		return
	}
	want := e.want(r)
	if len(want) == 0 {
		t.Errorf("%s: the records give no answer to compare with", q.Title)
	}
	if !equalRows(got, want) {
		t.Errorf("%s (%s):\ngot  %q\nwant %q", q.Title, q.Dialect, got, want)
	}
	t.Logf("%s (%s): %q", q.Title, q.Dialect, got)
}

// run runs query and returns its rows, each value as text (see cell).
func run(ctx context.Context, db *sql.DB, query string, args ...any) ([][]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = cell(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
