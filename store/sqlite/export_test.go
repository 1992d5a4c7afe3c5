package sqlite

import "github.com/donorsync/donorsync/internal/sqlstore"

// StmtStats reports on the statements the writing connection keeps.
func (s *Store) StmtStats() sqlstore.StmtStats { return s.writer.Stmts.Stats() }

// Dialect is the store's SQL dialect.
var Dialect = dialect

// MemoStats reports on the records the writing connection keeps.
func (s *Store) MemoStats() MemoStats { return s.writer.Memo.Stats() }

// MemoLen is how many records the writing connection keeps.
func (s *Store) MemoLen() int { return s.writer.Memo.Len() }

// MemoStats counts what the writing connection did with the records it
// keeps.
type MemoStats = sqlstore.MemoStats
