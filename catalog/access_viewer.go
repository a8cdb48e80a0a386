package catalog

// MayLoadSome reports whether p may load into some entry at all: administrators and stewards
// load any published entry, a district account its own entries and the district rows of
// city-level ones. Which entry, district and mode is still decided per submission (View.Decide);
// this only tells a door whether to offer submissions to p.
func MayLoadSome(p *Principal) bool {
	if !known(p) {
		return false
	}
	switch p.Role {
	case RoleAdmin, RoleSteward, RoleDistrict:
		return true
	}
	return false
}
