package sqlite

import "github.com/donorsync/donorsync/internal/sqlstore"

// StmtStats reports on the statements the writing connection keeps.
func (s *Store) StmtStats() sqlstore.StmtStats { return s.writer.Stmts.Stats() }

// Dialect is the store's SQL dialect.
var Dialect = dialect

// RecordCacheStats reports on the records the writing connection keeps.
func (s *Store) RecordCacheStats() RecordCacheStats { return s.writer.RecordCache.Stats() }

// RecordCacheLen is how many records the writing connection keeps.
func (s *Store) RecordCacheLen() int { return s.writer.RecordCache.Len() }

// RecordCacheStats counts what the writing connection did with the records it
// keeps.
type RecordCacheStats = sqlstore.RecordCacheStats
