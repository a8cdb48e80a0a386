package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestSearchScopeAgreesWithDecide holds SearchScope to the rule it restates: over every role,
// clearance and district scope (valid or not, enabled or not) and entries of every grade in every
// district, an entry is in the scope exactly when Decide says it exists for the principal.
func TestSearchScopeAgreesWithDecide(t *testing.T) {
	var entries []*Entry
	for _, g := range schemas.Grades.Codes() {
		for _, d := range schemas.AllDistricts() {
			e := validEntry("000001", "t")
			e.District = d.Code
			setItem(e, 1, func(it *Item) { it.Grade = schemas.Grade(g.ID) }) // the entry grade is its highest item's
			entries = append(entries, e)
		}
	}
	scopes := [][]string{nil, {"500101"}, {"500105", "500101", "500101"}, {schemas.CityCode}, {"500101", schemas.CityCode}}
	principals := []*Principal{nil, {Role: "nobody", Clearance: schemas.Core}}
	for _, role := range Roles {
		for _, g := range schemas.Grades.Codes() {
			for _, ds := range scopes {
				for _, disabled := range []bool{false, true} {
					principals = append(principals, &Principal{ID: "p", Role: role, Clearance: schemas.Grade(g.ID), Districts: ds, Disabled: disabled})
				}
			}
		}
		principals = append(principals, &Principal{ID: "p", Role: role, Clearance: "SECRET"})
	}
	checked, admitted := 0, 0
	for _, p := range principals {
		s, ok := SearchScope(p)
		for _, e := range entries {
			want := Exists(p, e)
			got := ok && s.Admits(e)
			require.Equal(t, want, got, "principal %+v, entry grade %s district %s", p, e.Grade(), e.District)
			checked++
			if got {
				admitted++
			}
		}
	}
	// Both answers occur often enough for the agreement to mean something.
	require.Greater(t, admitted, checked/10)
	require.Less(t, admitted, checked-checked/10)
}
