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

// PIGrade is the grade a pi_type implies (practice, STANDARDS §3's row 个人权益): sensitive
// personal information (GB/T 45574: identity document and financial account numbers) 一般数据4级,
// other personal information 一般数据3级. The proposals of ingest and their acceptance in the
// catalogue both ask it.
func PIGrade(piType string) Grade {
	switch piType {
	case "ID_CARD", "BANK_CARD":
		return General4
	}
	return General3
}
