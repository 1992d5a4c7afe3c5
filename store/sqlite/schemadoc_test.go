package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/donorsync/donorsync/internal/schemadoc"
)

// TestSchemaDoc runs the SQLite queries of docs/schema.md, and checks
// their answers.
func TestSchemaDoc(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "donorsync.db")
	s := open(t, path, nil)
	db, err := sql.Open("sqlite", path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schemadoc.Check(t, s, db, "SQLite", "../../docs/schema.md", "../..")
}
