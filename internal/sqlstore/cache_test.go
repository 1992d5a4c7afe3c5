package sqlstore

import "testing"

func TestSentDraftLetsGoOfTheOneItFollowed(t *testing.T) {
	m := NewRecordCache(10)
	m.valid = true
	first := &draft{rc: m, epoch: m.epoch, c: newTxCache()}
	second := &draft{rc: m, after: first, c: newTxCache()}
	if !m.followsCommitted(first) || m.followsCommitted(second) {
		t.Fatal("a draft after one not committed counted as following a committed one")
	}
	if m.unchanged(second) {
		t.Fatal("a draft was sent before the one it follows committed")
	}
	if !m.unchanged(first) {
		t.Fatal("a draft over unchanged records was refused")
	}
	m.absorb(first.c, nil, first) // its transaction commits
	third := &draft{rc: m, after: second, c: newTxCache()}
	if !m.followsCommitted(second) || m.followsCommitted(third) {
		t.Fatal("after the first committed, the second does not count as following a committed one")
	}
	if !m.unchanged(second) {
		t.Fatal("a draft after one committed was refused")
	}
	if second.after != nil {
		t.Error("a sent draft still holds the one it followed: a chain of drafts would hold them all")
	}
}
