package postgres

import "github.com/donorsync/donorsync/internal/sqlstore"

// Rebind rewrites the "?" placeholders of a query as PostgreSQL's.
var Rebind = rebind

// JournalQueries are the queries of the journal, with arguments.
var JournalQueries = sqlstore.JournalQueries
