// Command v007 makes the fixture of TestMigrationFromV007: the rows of a
// database written by the version whose last migration is
// 007_changes.sql, where records are JSON with Go field names, and what
// that version reads back from it. It was run once, at the commit that
// added it, from store/postgres:
//
//	go run ./testdata/v007 postgres://postgres@127.0.0.1:5432/test testdata/v007
//
// It fills a schema of its own, then writes rows.sql (an INSERT per row,
// of every table but donorsync_migrations, in the order the tables were
// filled) and records.gob (the records as read back, gob encoded: gob
// names fields as Go does, whatever their JSON names). It drops the
// schema when done.
package main

import (
	"bufio"
	"context"
	"encoding/gob"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/donorsync/donorsync/internal/upgradetest"
	"github.com/donorsync/donorsync/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tables are those the rows are dumped from, parents first.
var tables = []string{"deliveries", "contacts", "contact_keys", "donations", "adjustments", "commitments",
	"activities", "changes", "change_heads"}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: v007 url dir")
	}
	url, dir := os.Args[1], os.Args[2]
	ctx := context.Background()
	const schema = "donorsync_v007"
	admin, err := pgxpool.New(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema); err != nil {
		log.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		log.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	s, err := postgres.New(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	if err := upgradetest.Fill(ctx, s, "../..", upgradetest.Tenants); err != nil {
		log.Fatal(err)
	}
	records, err := upgradetest.Read(ctx, s, upgradetest.Tenants[:]...)
	if err != nil {
		log.Fatal(err)
	}
	if err := dump(ctx, pool, filepath.Join(dir, "rows.sql")); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "records.gob"))
	if err != nil {
		log.Fatal(err)
	}
	if err := gob.NewEncoder(f).Encode(records); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Print(records.Summary(upgradetest.Tenants[:]...))
}

// dump writes an INSERT statement per row of the tables to path, each
// row as JSON that json_populate_record turns back into the row.
func dump(ctx context.Context, pool *pgxpool.Pool, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "-- The rows of a database at migration 007, made by testdata/v007.")
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT format('INSERT INTO %I SELECT * FROM json_populate_record(NULL::%I, %L);', $1::text, $1::text, row_to_json(t)::text)
			FROM `+table+` t`, table)
		if err != nil {
			return err
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			fmt.Fprintln(w, line)
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
