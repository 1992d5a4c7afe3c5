package sqlite_test

import (
	"path/filepath"
	"testing"
)

// A database file Open creates has pages of 8 KiB; one that exists keeps
// its own.
func TestPageSize(t *testing.T) {
	size := func(path string) int {
		t.Helper()
		var n int
		if err := openRaw(t, path).QueryRow(`PRAGMA page_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	fresh := filepath.Join(t.TempDir(), "new.db")
	open(t, fresh, nil)
	if n := size(fresh); n != 8192 {
		t.Errorf("a new file's pages: %d bytes, want 8192", n)
	}
	old := filepath.Join(t.TempDir(), "old.db")
	if _, err := openRaw(t, old).Exec(`PRAGMA page_size = 4096; CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	open(t, old, nil)
	if n := size(old); n != 4096 {
		t.Errorf("an existing file's pages: %d bytes, want its 4096", n)
	}
}
