package sqlstore

import (
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestMigrationsFS(t *testing.T) {
	src := fstest.MapFS{
		"migrations/001_init.sql":  {Data: []byte("CREATE TABLE things (id TEXT);\nCREATE INDEX things_id ON things (id);\n")},
		"migrations/002_more.sql":  {Data: []byte("ALTER TABLE things ADD COLUMN note TEXT NOT NULL DEFAULT 'things';")},
		"migrations/README":        {Data: []byte("not a migration")},
		"migrations/003_it's.sql":  {Data: []byte("DROP INDEX things_id;")},
		"elsewhere/004_ignore.sql": {Data: []byte("DROP TABLE things;")},
	}
	m, err := ReadMigrations(src)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Named(&Dialect{Name: "test"}, "p_")
	if err != nil {
		t.Fatal(err)
	}
	files := m.FS(d)
	if err := fstest.TestFS(files, "001_init.up.sql", "002_more.up.sql", "003_it's.up.sql"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"001_init.up.sql": `-- +goose Up
-- +goose StatementBegin
CREATE TABLE IF NOT EXISTS p_donorsync_migrations (version TEXT PRIMARY KEY);

CREATE TABLE p_things (id TEXT);
CREATE INDEX p_things_id ON p_things (id);

INSERT INTO p_donorsync_migrations (version) VALUES ('001_init');
-- +goose StatementEnd
`,
		"002_more.up.sql": `-- +goose Up
-- +goose StatementBegin
ALTER TABLE p_things ADD COLUMN note TEXT NOT NULL DEFAULT 'things';

INSERT INTO p_donorsync_migrations (version) VALUES ('002_more');
-- +goose StatementEnd
`,
		"003_it's.up.sql": `-- +goose Up
-- +goose StatementBegin
DROP INDEX p_things_id;

INSERT INTO p_donorsync_migrations (version) VALUES ('003_it''s');
-- +goose StatementEnd
`,
	}
	for name, w := range want {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != w {
			t.Errorf("%s:\n%s\nwant\n%s", name, b, w)
		}
	}
	if plain, _ := m.Named(&Dialect{Name: "test"}, ""); plain.names != nil {
		t.Error("Named with no prefix names the tables")
	}
}

func TestCompare(t *testing.T) {
	m := &Migrations{files: []migration{{version: "001"}, {version: "002"}, {version: "003"}}}
	missing, unknown := m.compare([]string{"001", "003", "009"})
	if len(missing) != 1 || missing[0] != "002" || len(unknown) != 1 || unknown[0] != "009" {
		t.Errorf("compare = %q, %q; want [002], [009]", missing, unknown)
	}
}
