package schemas

// The grading matrix of GB/T 43697-2024 (STANDARDS §3: the lists ImpactObjects, ImpactDegrees,
// GradingFactors, GradingMatrix) and the default sharing and opening of each grade (STANDARDS §4,
// practice: the grades list's default_* columns) are code lists, corrected as data.

// ProposeGrade is the grade the matrix gives an impact object and degree; false when the matrix
// has no cell for them (no impact on national security or the public, for instance).
func ProposeGrade(object, degree string) (Grade, bool) {
	o, ok := ImpactObjects.Lookup(object)
	if !ok {
		return "", false
	}
	d, ok := ImpactDegrees.Lookup(degree)
	if !ok {
		return "", false
	}
	c, ok := GradingMatrix.Lookup(o.Extra["matrix_row"] + "/" + d.ID)
	if !ok {
		return "", false
	}
	return Grade(c.Extra["grade"]), true
}

// DefaultSharing returns the sharing and opening types a grade proposes (the grades list's
// default_share_type and default_open_type columns).
func DefaultSharing(g Grade) (share, open string) {
	c, ok := Grades.Lookup(string(g))
	if !ok {
		return "", ""
	}
	return c.Extra["default_share_type"], c.Extra["default_open_type"]
}
