package catalog

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cqeco/ecolake/schemas"
)

// TestMayReadMetrics: the metrics cover the whole directory, so only administrators, stewards
// and managers whose clearance shows them every entry may scrape them; every other role, a lower
// clearance, a disabled account and no account are refused.
func TestMayReadMetrics(t *testing.T) {
	for _, c := range []struct {
		p    *Principal
		want bool
	}{
		{&Principal{ID: "a", Role: RoleAdmin, Clearance: schemas.Core}, true},
		{&Principal{ID: "s", Role: RoleSteward, Clearance: schemas.Core}, true},
		{&Principal{ID: "m", Role: RoleManager, Clearance: schemas.Core}, true},
		{&Principal{ID: "m2", Role: RoleManager, Clearance: schemas.Important}, false},
		{&Principal{ID: "s2", Role: RoleSteward, Clearance: schemas.General2}, false},
		{&Principal{ID: "a2", Role: RoleAdmin, Clearance: schemas.Core, Disabled: true}, false},
		{&Principal{ID: "r", Role: RoleReviewer, Clearance: schemas.Core}, false},
		{&Principal{ID: "an", Role: RoleAnalyst, Clearance: schemas.Core}, false},
		{&Principal{ID: "sc", Role: RoleScene, Clearance: schemas.Core}, false},
		{&Principal{ID: "d", Role: RoleDistrict, Clearance: schemas.Core, Districts: []string{"500101"}}, false},
		{&Principal{ID: "x", Role: "operator", Clearance: schemas.Core}, false},
		{nil, false},
	} {
		id := "<nil>"
		if c.p != nil {
			id = c.p.ID
		}
		assert.Equal(t, c.want, MayReadMetrics(c.p), id)
	}
}
