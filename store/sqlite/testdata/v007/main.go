// Command v007 makes the fixture of TestMigrationFromV007: a database
// written by the version whose last migration is 007_changes.sql, where
// records are JSON with Go field names, and what that version reads
// back from it. It was run once, at commit 7eae9d6, from store/sqlite:
//
//	go run ./testdata/v007 testdata/v007
//
// It writes v007.db and records.gob (the records as read back, gob
// encoded: gob names fields as Go does, whatever their JSON names).
package main

import (
	"context"
	"encoding/gob"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/donorsync/donorsync/internal/upgradetest"
	"github.com/donorsync/donorsync/store/sqlite"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: v007 dir")
	}
	dir := os.Args[1]
	ctx := context.Background()
	path := filepath.Join(dir, "v007.db")
	os.Remove(path)
	s, err := sqlite.Open(ctx, path, &sqlite.Options{RecordCache: -1})
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
	if err := s.Close(); err != nil {
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
	fmt.Println(records.Summary(upgradetest.Tenants[:]...))
}
