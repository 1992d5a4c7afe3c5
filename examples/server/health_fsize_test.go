//go:build unix

package main

import (
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadyzWhenTheDiskRefusesWrites makes the database's files
// unwritable to the server as a full disk does (the process may not
// write past the first byte of any file: RLIMIT_FSIZE): /readyz answers
// 503 within its bound, since its probe commits a write, and 200 once
// the files can grow again. It runs alone: the limit holds for the whole
// test process.
func TestReadyzWhenTheDiskRefusesWrites(t *testing.T) {
	base, _, _, stop := startLogged(t, "-db", filepath.Join(t.TempDir(), "donorsync.db"))
	defer stop()
	waitReady(t, base)
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
			t.Fatal(err)
		}
	}
	defer restore()
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, body := get(t, base+"/readyz", "")
	restore()
	if code != http.StatusServiceUnavailable || time.Since(start) > readyTimeout+3*time.Second {
		t.Errorf("/readyz while no file may grow: %d %q after %v, want 503 within %v", code, body, time.Since(start), readyTimeout)
	}
	waitReady(t, base)
}
