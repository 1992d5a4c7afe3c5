package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
)

// privateMode is the mode of every file the server keeps: the SQLite
// database and its -wal and -shm files hold raw deliveries (names,
// addresses, phones, card digits, IP addresses), and the credentials file
// holds the secrets.
const privateMode fs.FileMode = 0o600

// sqliteFiles returns the database file and the files SQLite keeps beside
// it in WAL mode.
func sqliteFiles(db string) []string {
	return []string{db, db + "-wal", db + "-shm"}
}

// createPrivate creates path with privateMode unless it exists. SQLite
// creates its -wal and -shm files with the mode of the database file, so
// creating the database first keeps all three private without changing the
// process's umask.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return f.Close()
}

// tighten sets the mode of each existing path to privateMode when group or
// others may read or write it, and logs that it did. Missing paths are
// skipped.
func tighten(logger *slog.Logger, paths ...string) error {
	for _, path := range paths {
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&^privateMode == 0 {
			continue
		}
		if err := os.Chmod(path, privateMode); err != nil {
			return fmt.Errorf("restrict %s to its owner: %w", path, err)
		}
		logger.Warn("tightened a file readable by others to owner only",
			"path", path, "was", fi.Mode().Perm().String(), "now", privateMode.String())
	}
	return nil
}
