package catalog

import (
	"slices"

	"github.com/cqeco/ecolake/schemas"
)

// Scope is exists restated as a filter over two attributes of an entry, for an index that must
// leave out what does not exist for a principal before it counts or ranks anything (search):
// an entry is in scope when its grade's rank is at most MaxRank and, when Districts is not nil,
// its District is one of Districts.
type Scope struct {
	MaxRank   int
	Districts []string // sorted; nil means every district
}

// SearchScope is the same rule as exists, for a principal alone: false when nothing exists for
// p. Otherwise exists(p, e) == scope.Admits(e) for every entry e (access_test.go checks it over
// every role, clearance and district), so that an index filtering on an entry's grade rank and
// district finds exactly the entries Decide lets p know.
func SearchScope(p *Principal) (Scope, bool) {
	if !known(p) {
		return Scope{}, false
	}
	s := Scope{MaxRank: p.Clearance.Rank()}
	if p.Role == RoleDistrict {
		// Its own districts and the city level, as exists.
		s.Districts = append(slices.Clone(p.Districts), schemas.CityCode)
		slices.Sort(s.Districts)
		s.Districts = slices.Compact(s.Districts)
	}
	return s, true
}

// Admits reports whether e is in the scope.
func (s Scope) Admits(e *Entry) bool {
	if e == nil || e.Grade().Rank() > s.MaxRank {
		return false
	}
	return s.Districts == nil || slices.Contains(s.Districts, e.District)
}
