package catalog

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
