package schemas

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// What the code expects of each code list, beyond its columns: checked on the embedded files and
// on every replacement (codelist_load.go).

// listSpec is what the code expects of one list.
type listSpec struct {
	idCol string
	// ints are columns that must hold whole numbers of at least min.
	ints map[string]int
	// required are ids the code itself names (constants of this package).
	required []string
	// closed: no id beyond required, because the code gives every id its meaning.
	closed bool
	// check is a rule over the whole list; it returns the 0-based data row and column name
	// at fault, or row -1 for a list without the row the code needs.
	check func(l *CodeList) (row int, col, msg string)
}

var specs = map[string]listSpec{
	// The grades of GB/T 43697 and their order are the standard's: names may change, and ranks
	// be renumbered in the same order (the catalogue indexes entries by grade).
	"grades": {idCol: "id", ints: map[string]int{"rank": 1}, closed: true,
		required: gradeIDs, check: gradeOrder},
	"update_cycles":  {idCol: "id", ints: map[string]int{"hours": 0, "grace_hours": 0}, required: []string{string(Irregular)}},
	"share_types":    {idCol: "id"},
	"share_modes":    {idCol: "id"},
	"open_types":     {idCol: "id"},
	"format_types":   {idCol: "id"},
	"entry_statuses": {idCol: "id"},
	"categories":     {idCol: "code", check: categoryParents},
	"domains":        {idCol: "id"},
	"source_kinds":   {idCol: "id"},
	"pi_types":       {idCol: "id"},
	"data_types": {idCol: "id", closed: true,
		required: []string{string(String), string(Int), string(Float), string(Bool), string(Date), string(Timestamp)}},
	"districts": {idCol: "code", required: []string{CityCode}, check: districtRows},
	"roles":     {idCol: "id"},
	// The grading matrix of GB/T 43697 (grading.go): objects name their matrix row, cells their grade.
	"impact_objects":  {idCol: "id"},
	"impact_degrees":  {idCol: "id"},
	"grading_factors": {idCol: "id"},
	"grading_matrix":  {idCol: "id"},
}

// gradeIDs are the grades, lowest first.
var gradeIDs = []string{string(General1), string(General2), string(General3), string(General4), string(Important), string(Core)}

// gradeOrder: ranks keep the order of the grades, strictly, GENERAL_1 lowest.
func gradeOrder(l *CodeList) (int, string, string) {
	order := gradeIDs
	for i := 1; i < len(order); i++ {
		lo, _ := l.Lookup(order[i-1])
		hi, _ := l.Lookup(order[i])
		a, _ := strconv.Atoi(lo.Extra["rank"])
		b, _ := strconv.Atoi(hi.Extra["rank"])
		if b <= a {
			return hi.Ordinal, "rank", fmt.Sprintf("%s 的级别 %d 应大于 %s 的级别 %d: 分级的先后由标准规定, 只能改名称或重新编号",
				hi.ID, b, lo.ID, a)
		}
	}
	return 0, "", ""
}

// categoryParents: a parent must be in the list and prefix its children's codes, since resource
// codes begin with the category code and a category's entries are found by that prefix.
func categoryParents(l *CodeList) (int, string, string) {
	for n, c := range l.d().codes {
		parent := c.Extra["parent"]
		switch {
		case parent == "":
		case !l.Has(parent):
			return n, "parent", fmt.Sprintf("上级分类 %s 不在本表中", Quote(parent))
		case !strings.HasPrefix(c.ID, parent) || c.ID == parent:
			return n, "code", fmt.Sprintf("分类代码 %s 应以上级分类代码 %s 开头", c.ID, parent)
		}
	}
	return 0, "", ""
}

var districtKinds = []string{"city", "district", "county", "autonomous_county", "functional_zone"}

func districtRows(l *CodeList) (int, string, string) {
	for n, c := range l.d().codes {
		switch {
		case len(c.ID) != 6 || strings.Trim(c.ID, "0123456789") != "":
			return n, "code", fmt.Sprintf("区县代码 %s 应为 6 位数字", Quote(c.ID))
		case !slices.Contains(districtKinds, c.Extra["kind"]):
			return n, "kind", fmt.Sprintf("类型 %s 应为以下之一: %s", Quote(c.Extra["kind"]), strings.Join(districtKinds, "、"))
		case (c.ID == CityCode) != (c.Extra["kind"] == "city"):
			return n, "kind", fmt.Sprintf("只有 %s (市级) 的类型为 city", CityCode)
		}
	}
	return 0, "", ""
}
