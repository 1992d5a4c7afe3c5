package postgres_test

import (
	"testing"

	"github.com/donorsync/donorsync/internal/schemadoc"
	"github.com/jackc/pgx/v5/stdlib"
)

// TestSchemaDoc runs the PostgreSQL queries of docs/schema.md, and
// checks their answers.
func TestSchemaDoc(t *testing.T) {
	t.Parallel()
	_, newPool := freshSchema(t)
	pool := newPool()
	s := newStore(t, pool)
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	schemadoc.Check(t, s, db, "PostgreSQL", "../../docs/schema.md", "../..")
}
