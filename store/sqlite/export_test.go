package sqlite

import "github.com/donorsync/donorsync/internal/sqlstore"

// StmtStats reports on the statements the writing connection keeps.
func (s *Store) StmtStats() sqlstore.StmtStats { return s.stmts.Stats() }

// Dialect is the store's SQL dialect.
var Dialect = dialect
