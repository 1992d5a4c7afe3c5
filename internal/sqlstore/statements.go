package sqlstore

import (
	"container/list"
	"context"
	"database/sql"
	"math/bits"
	"strings"
	"sync"
	"time"
)

// Stmts keeps the prepared statements of one database by their text, so
// that a statement run again is not parsed and planned again. It keeps
// at most its capacity, dropping the least recently used. A nil *Stmts
// prepares nothing: every statement is sent as text.
type Stmts struct {
	db  *sql.DB
	max int

	mu        sync.Mutex
	lru       list.List // of *stmtEntry, most recently used first
	m         map[string]*list.Element
	wanted    []string // to prepare after the transaction
	preparing bool     // a goroutine prepares wanted
	closed    bool
	done      sync.WaitGroup // the goroutine preparing
	hits      int
	misses    int
}

// StmtStats counts what a Stmts did.
type StmtStats struct {
	Kept   int // statements prepared and kept
	Hits   int // statements run prepared
	Misses int // statements sent as text
}

// Stats returns the counts so far.
func (s *Stmts) Stats() StmtStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := 0
	for e := s.lru.Front(); e != nil; e = e.Next() {
		if e.Value.(*stmtEntry).stmt != nil {
			kept++
		}
	}
	return StmtStats{Kept: kept, Hits: s.hits, Misses: s.misses}
}

type stmtEntry struct {
	query string
	stmt  *sql.Stmt // nil until prepared
}

// NewStmts returns a cache of at most max prepared statements of db.
func NewStmts(db *sql.DB, max int) *Stmts {
	return &Stmts{db: db, max: max, m: map[string]*list.Element{}}
}

// get returns the statement of query, or nil when it is not prepared
// yet: it is then noted, for prepare to prepare after the transaction
// (preparing on the database takes a connection, and a transaction may
// hold the only one).
func (s *Stmts) get(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[query]; ok {
		if st := e.Value.(*stmtEntry).stmt; st != nil {
			s.lru.MoveToFront(e)
			s.hits++
			return st
		}
		s.misses++
		return nil
	}
	s.misses++
	if !s.closed {
		s.m[query] = s.lru.PushFront(&stmtEntry{query: query})
		s.wanted = append(s.wanted, query)
	}
	return nil
}

// prepareLater prepares the statements noted by get in the background,
// once the transaction has given its connection back: a commit is not
// held up by statements it did not need prepared.
func (s *Stmts) prepareLater() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.preparing || s.closed || len(s.wanted) == 0 {
		return
	}
	s.preparing = true
	s.done.Add(1)
	go s.prepare()
}

func (s *Stmts) prepare() {
	defer s.done.Done()
	for {
		s.mu.Lock()
		wanted := s.wanted
		s.wanted = nil
		if len(wanted) == 0 {
			s.preparing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, q := range wanted {
			s.prepareOne(q)
		}
	}
}

func (s *Stmts) prepareOne(q string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stmt, err := s.db.PrepareContext(ctx, q)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[q]
	switch {
	case err != nil || !ok || s.closed:
		// Cannot be prepared (the text is then sent as is, and reports
		// its own error), or dropped meanwhile.
		if ok {
			s.lru.Remove(e)
			delete(s.m, q)
		}
		if stmt != nil {
			stmt.Close()
		}
	default:
		e.Value.(*stmtEntry).stmt = stmt
	}
	for s.lru.Len() > s.max {
		old := s.lru.Remove(s.lru.Back()).(*stmtEntry)
		delete(s.m, old.query)
		if old.stmt != nil {
			// A transaction still running it keeps it until it ends.
			old.stmt.Close()
		}
	}
}

// Close closes every statement kept, once statements being prepared are.
func (s *Stmts) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	s.wanted = nil
	s.mu.Unlock()
	s.done.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for e := s.lru.Front(); e != nil; e = e.Next() {
		if st := e.Value.(*stmtEntry).stmt; st != nil {
			if err := st.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	s.lru.Init()
	clear(s.m)
	return first
}

// stmt returns query prepared in t's transaction, or nil when it is not
// prepared (yet): the text is then sent as is.
func (t *tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.stmts == nil {
		return nil
	}
	s := t.stmts.get(query)
	if s == nil {
		return nil
	}
	return t.tx.StmtContext(ctx, s)
}

func (t *tx) execContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = t.d.q(query)
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = t.d.q(query)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = t.d.q(query)
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// Probe implements batch.Prober: it rewrites the row of the last
// migration as it is, which writes a page (SQLite) or a row version
// (PostgreSQL) to be committed.
func (t *tx) Probe(ctx context.Context) error {
	return t.exec(ctx, "probe", `UPDATE donorsync_migrations SET version = version
		WHERE version = (SELECT max(version) FROM donorsync_migrations)`)
}

func (t *tx) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := t.execContext(ctx, query, args...); err != nil {
		return t.d.wrap(what, err)
	}
	return nil
}

// A statement is a multi-row statement: head, then row once per row
// (each "?" of row one argument), separated by commas, then tail. what
// names it in errors.
type statement struct{ what, head, row, tail string }

// text returns the statement for n rows.
func (s statement) text(n int) string {
	var b strings.Builder
	b.Grow(len(s.head) + n*(len(s.row)+2) + len(s.tail))
	b.WriteString(s.head)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.row)
	}
	b.WriteString(s.tail)
	return b.String()
}

// returning returns s returning cols of each row it writes.
func (s statement) returning(cols string) statement {
	s.tail += " RETURNING " + cols
	return s
}

// each runs s once per chunk of rows, args appending the arguments of a
// row. When scan is not nil the statement returns rows, passed to scan;
// otherwise changed counts the rows it changed.
func each[R any](ctx context.Context, t *tx, s statement, rows []R, args func(R, []any) []any, scan func(*sql.Rows) error) (changed int64, err error) {
	if len(rows) == 0 {
		return 0, nil
	}
	limit := t.d.MaxParams
	if limit <= 0 {
		limit = 8000
	}
	width := strings.Count(s.row, "?")
	per := max(1, limit/width)
	for len(rows) > 0 {
		n := min(per, len(rows))
		if t.stmts != nil && n < per {
			// Statements are kept prepared: a remainder is sent in
			// chunks of powers of two, so that a few statements of each
			// kind serve every batch size.
			n = 1 << (bits.Len(uint(n)) - 1)
		}
		chunk := rows[:n]
		rows = rows[n:]
		all := make([]any, 0, n*width)
		for _, r := range chunk {
			all = args(r, all)
		}
		k, err := t.send(ctx, s.text(n), all, scan)
		changed += k
		if err != nil {
			return changed, t.d.wrap(s.what, err)
		}
	}
	return changed, nil
}

// send runs query with args: when scan is not nil, passing it each row
// the query returns; otherwise returning how many rows it changed.
func (t *tx) send(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) (int64, error) {
	if scan == nil {
		res, err := t.execContext(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		return n, nil
	}
	rs, err := t.query(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return 0, err
		}
	}
	return 0, rs.Err()
}

// A scanKey is a pointer to a key of text columns that scans them.
type scanKey[K any] interface {
	*K
	scan(rs *sql.Rows) error
}

// insertNew runs s, an INSERT ... ON CONFLICT DO NOTHING RETURNING the
// columns of K, and returns the keys of the rows it inserted (nil for
// no rows).
func insertNew[K comparable, PK scanKey[K], R any](ctx context.Context, t *tx, s statement, rows []R, args func(R, []any) []any) (map[K]bool, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	inserted := map[K]bool{}
	_, err := each(ctx, t, s, rows, args, func(rs *sql.Rows) error {
		var k K
		if err := PK(&k).scan(rs); err != nil {
			return err
		}
		inserted[k] = true
		return nil
	})
	return inserted, err
}

// unique returns the keys of all, as key makes them, each once, in the
// order first met.
func unique[T any, K comparable](all []T, key func(T) K) []K {
	seen := make(map[K]bool, len(all))
	out := make([]K, 0, len(all))
	for _, v := range all {
		if k := key(v); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
