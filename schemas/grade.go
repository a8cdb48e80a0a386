package schemas

import "strconv"

// Grade is a data grade of GB/T 43697-2024, stored as its id (GENERAL_1 … CORE).
type Grade string

const (
	General1  Grade = "GENERAL_1"
	General2  Grade = "GENERAL_2"
	General3  Grade = "GENERAL_3"
	General4  Grade = "GENERAL_4"
	Important Grade = "IMPORTANT"
	Core      Grade = "CORE"
)

// Rank orders grades, strictest highest; 0 for an unknown grade.
func (g Grade) Rank() int { return derived.Load().ranks[g] }

// gradeRanks is the rank column of the grades list, read once per installed list: ranks are
// asked for every entry of every access decision.
func gradeRanks() map[Grade]int {
	m := map[Grade]int{}
	for _, c := range Grades.Codes() {
		n, _ := strconv.Atoi(c.Extra["rank"])
		m[Grade(c.ID)] = n
	}
	return m
}

// Valid reports whether g is a grade of the list.
func (g Grade) Valid() bool { return Grades.Has(string(g)) }

// Name is the Chinese name of the grade.
func (g Grade) Name() string { return Grades.NameOf(string(g)) }

// Covers reports whether a clearance of g allows reading data graded other.
func (g Grade) Covers(other Grade) bool { return g.Rank() >= other.Rank() && g.Valid() }

// MaxGrade returns the strictest of the given grades (就高从严); unknown or empty grades are ignored.
func MaxGrade(gs ...Grade) Grade {
	var best Grade
	for _, g := range gs {
		if g.Rank() > best.Rank() {
			best = g
		}
	}
	return best
}
