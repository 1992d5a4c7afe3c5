package sqlite

import (
	"context"
	"errors"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/batch"
	"github.com/donorsync/donorsync/internal/sqlstore"
)

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

// Draft drafts on s with the Draft function it declares to the engine,
// and fails when it declares none.
func (s *Store) Draft(ctx context.Context, after batch.Draft, fn func(donorsync.Tx) error) (batch.Draft, error) {
	draft, ok := batch.DraftOf(s).(func(context.Context, batch.Draft, func(donorsync.Tx) error) (batch.Draft, error))
	if !ok {
		return nil, errors.New("sqlite: the store declares no drafts")
	}
	return draft(ctx, after, fn)
}

// StatsQueries are the queries of JournalStats.
var StatsQueries = sqlstore.StatsQueries

// JournalQueries are the queries of the journal, with arguments.
var JournalQueries = sqlstore.JournalQueries
