package credset_test

import (
	"testing"
	"time"

	"github.com/donorsync/donorsync/internal/credset"
)

func TestSet(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var s credset.Set[string]
	eq := func(v string) func(string) bool { return func(c string) bool { return c == v } }
	check := func(v string) func(string) int {
		return func(c string) int {
			if c == v {
				return 1
			}
			return 0
		}
	}
	s.Put("a", "k1", time.Time{}, eq("k1"))
	if tenant, ok := s.Check("", now, "", check("k1")); !ok || tenant != "a" {
		t.Errorf("only tenant: %q %v", tenant, ok)
	}
	s.Put("b", "k2", time.Time{}, eq("k2"))
	if _, ok := s.Check("", now, "", check("k1")); ok {
		t.Error("no tenant given with two tenants: accepted")
	}
	if _, ok := s.Check("b", now, "", check("k1")); ok {
		t.Error("a's credential accepted for b")
	}
	calls := 0
	if _, ok := s.Check("nobody", now, "dummy", func(c string) int { calls++; return 1 }); ok || calls != 1 {
		t.Errorf("unknown tenant: ok %v after %d checks; want rejected after one", ok, calls)
	}
	if !s.Expire("a", now, eq("k1")) || s.Expire("a", now, eq("k9")) {
		t.Error("Expire found the wrong credentials")
	}
	if _, ok := s.Check("a", now, "", check("k1")); ok {
		t.Error("expired credential accepted")
	}
	s.Put("a", "k1", time.Time{}, eq("k1")) // put again: replaced, live
	if _, ok := s.Check("a", now, "", check("k1")); !ok {
		t.Error("replaced credential rejected")
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var s credset.Set[string]
	eq := func(v string) func(string) bool { return func(c string) bool { return c == v } }
	s.Put("a", "old", now, eq("old"))
	s.Put("a", "new", time.Time{}, eq("new"))
	tenant, creds := s.Select("", now, "dummy", nil)
	want := []credset.Live[string]{{Cred: "old", Live: 0}, {Cred: "new", Live: 1}}
	if tenant != "a" || len(creds) != 2 || creds[0] != want[0] || creds[1] != want[1] {
		t.Errorf("Select = %q %v; want a %v", tenant, creds, want)
	}
	tenant, creds = s.Select("nobody", now, "dummy", nil)
	if tenant != "" || len(creds) != 1 || creds[0] != (credset.Live[string]{Cred: "dummy"}) {
		t.Errorf("unknown tenant: Select = %q %v; want the dummy alone, not live", tenant, creds)
	}
}
