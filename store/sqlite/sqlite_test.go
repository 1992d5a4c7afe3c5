package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/store/sqlite"
	"github.com/donorsync/donorsync/storetest"
)

func open(t *testing.T, path string, opts *sqlite.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) donorsync.Store {
		return open(t, filepath.Join(t.TempDir(), "donorsync.db"), nil)
	})
}

func TestConformanceSynchronousNormal(t *testing.T) {
	storetest.Run(t, func(t *testing.T) donorsync.Store {
		return open(t, filepath.Join(t.TempDir(), "donorsync.db"), &sqlite.Options{Synchronous: "normal", CheckpointInterval: -1})
	})
}

func TestDataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "donorsync.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &donorsync.Delivery{ID: "dl_1", Tenant: "t", Provider: "p", Key: "k", Body: []byte("raw bytes"), Status: donorsync.Pending}
	if err := s.Update(t.Context(), func(tx donorsync.Tx) error { _, err := tx.RecordDelivery(t.Context(), d); return err }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, nil) // migrations run again: nothing to do
	err = s.View(t.Context(), func(tx donorsync.Tx) error {
		got, err := tx.Delivery(t.Context(), "t", "dl_1")
		if err == nil && string(got.Body) != "raw bytes" {
			t.Errorf("body after reopening = %q", got.Body)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOptions(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), &sqlite.Options{Synchronous: "OFF"}); err == nil {
		t.Error("Synchronous OFF accepted")
	}
}
