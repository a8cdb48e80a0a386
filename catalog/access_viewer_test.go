package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestMayLoadSomeIsTheDecision: the submission page is offered to exactly the accounts the
// decision lets load some entry — of a city-level entry with a district item, a city-level one
// without, and a district's own entry.
func TestMayLoadSomeIsTheDecision(t *testing.T) {
	city := validEntry("000001", "city_with_district")
	city.Status = StatusPublished
	plain := validEntry("000002", "city_plain")
	plain.Status = StatusPublished
	plain.Items = ItemsOf(plain.Items.Slice()[1:]...)
	own := validEntry("000003", "wanzhou_own")
	own.Status, own.District = StatusPublished, "500101"
	for _, role := range Roles {
		p := &Principal{ID: "p", Role: role, Clearance: schemas.Core, Department: city.Department}
		if role == RoleDistrict {
			p.Districts = []string{"500101"}
		}
		some := false
		for _, e := range []*Entry{city, plain, own} {
			some = some || decideNoGrants(p, e).Load
		}
		assert.Equal(t, some, MayLoadSome(p), role)
	}
	assert.False(t, MayLoadSome(&Principal{ID: "off", Role: RoleSteward, Clearance: schemas.Core, Disabled: true}))
	assert.False(t, MayLoadSome(nil))
}

// TestMayEditLinkedIsPutsDecision: what the doors offer for business items and scenes is what
// PutBusinessItem takes: an administrator any department's, a steward its own only, nobody else.
func TestMayEditLinkedIsPutsDecision(t *testing.T) {
	s := openTest(t, testConfig(t.TempDir(), newClock()))
	defer s.Close()
	ctx := context.Background()
	for _, d := range []Department{{Code: "AIR_DIV", Name: "大气处", Kind: DepartmentDivision}, {Code: "WATER_DIV", Name: "水处", Kind: DepartmentDivision}} {
		require.NoError(t, s.PutDepartment(ctx, d))
	}
	for _, c := range []struct {
		p    Principal
		dept string
		want bool
	}{
		{Principal{ID: "a", Role: RoleAdmin, Clearance: schemas.General1}, "WATER_DIV", true},
		{Principal{ID: "s", Role: RoleSteward, Clearance: schemas.General1, Department: "AIR_DIV"}, "AIR_DIV", true},
		{Principal{ID: "s", Role: RoleSteward, Clearance: schemas.General1, Department: "AIR_DIV"}, "WATER_DIV", false},
		{Principal{ID: "s0", Role: RoleSteward, Clearance: schemas.General1}, "AIR_DIV", false},
		{Principal{ID: "r", Role: RoleReviewer, Clearance: schemas.Core, Department: "AIR_DIV"}, "AIR_DIV", false},
		{Principal{ID: "m", Role: RoleManager, Clearance: schemas.Core}, "AIR_DIV", false},
	} {
		p := c.p
		assert.Equal(t, c.want, MayEditLinked(&p, c.dept), "%s %s for %s", p.Role, p.Department, c.dept)
		err := s.PutBusinessItem(ctx, &p, BusinessItem{Code: "BI_" + p.ID + "_" + c.dept, Name: "事项", Department: c.dept}, 0)
		assert.Equal(t, c.want, err == nil, "%s %s registering for %s: %v", p.Role, p.Department, c.dept, err)
	}
}
