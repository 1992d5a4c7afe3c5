package reconcile

import (
	"slices"
	"strconv"
)

// ids is a set of line item ids: 8 bytes for each id written as a whole
// number (as ActBlue's are), a map entry for any other. Add every id, then
// sort, then ask.
type ids struct {
	nums   []uint64
	others map[string]struct{}
}

func (s *ids) add(id string) {
	if n, ok := number(id); ok {
		s.nums = append(s.nums, n)
		return
	}
	if s.others == nil {
		s.others = make(map[string]struct{})
	}
	s.others[id] = struct{}{}
}

func (s *ids) sort() { slices.Sort(s.nums) }

func (s *ids) has(id string) bool {
	if n, ok := number(id); ok {
		_, found := slices.BinarySearch(s.nums, n)
		return found
	}
	_, found := s.others[id]
	return found
}

// number reads id as a whole number written without a sign or leading
// zeros, so that each number has one id.
func number(id string) (uint64, bool) {
	if id == "" || (id[0] == '0' && len(id) > 1) {
		return 0, false
	}
	n, err := strconv.ParseUint(id, 10, 64)
	return n, err == nil
}
