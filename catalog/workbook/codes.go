package workbook

import (
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// maxCategoryDepth bounds the walk up a category's parents (类/项/目/细目), so that a replaced
// code list with a cycle cannot loop.
const maxCategoryDepth = 8

// categoryPath writes a category as the names from its top level down: 生态环境质量/大气环境质量.
// An unknown code is written as it is.
func categoryPath(code string) string {
	var parts []string
	for c := code; c != "" && len(parts) < maxCategoryDepth; {
		cat, ok := schemas.Categories.Lookup(c)
		if !ok {
			break
		}
		parts = append([]string{cat.Name}, parts...)
		c = cat.Extra["parent"]
	}
	if len(parts) == 0 {
		return code
	}
	return strings.Join(parts, "/")
}

// category reads a category by its code, its name or its path.
func (c *cell) category() string {
	if c.text == "" {
		return ""
	}
	if cat, ok := schemas.Categories.Lookup(c.text); ok {
		return cat.ID
	}
	path := strings.Join(fields(c.text, func(r rune) bool { return r == '/' || r == '／' }), "/")
	if i := strings.LastIndex(path, "/"); i >= 0 {
		if cat, ok := schemas.Categories.Lookup(path[i+1:]); ok && categoryPath(cat.ID) == path {
			return cat.ID
		}
	}
	c.bad("%s不是资源分类的名称、代码或路径（见工作表“%s”）", schemas.Quote(c.text), SheetCodes)
	return c.text
}

// districtName writes a district by its name, the city level as 市级.
func districtName(code string) string {
	if code == schemas.CityCode {
		if d, ok := schemas.LookupDistrict(code); ok {
			return d.ShortName
		}
	}
	return nameOf(schemas.Districts, code)
}

// district reads a district by its code, name or short name.
func (c *cell) district() string {
	if c.text == "" {
		return ""
	}
	if d, ok := schemas.LookupDistrict(c.text); ok {
		return d.Code
	}
	c.bad("%s不是区县的名称或代码（见工作表“%s”）", schemas.Quote(c.text), SheetCodes)
	return c.text
}

// codeListTitle writes the code list an item's values belong to by its Chinese meaning (区县).
func codeListTitle(name string) string {
	if l, ok := schemas.List(name); ok && l.Title() != "" {
		return l.Title()
	}
	return name
}

// codeList reads a code list by its name (districts) or its Chinese meaning (区县).
func (c *cell) codeList() string {
	if c.text == "" {
		return ""
	}
	var titles []string
	for _, n := range schemas.ListNames() {
		l, _ := schemas.List(n)
		if n == c.text || l.Title() == c.text {
			return n
		}
		titles = append(titles, listTitle(l))
	}
	c.bad("%s不是代码表（可选：%s）", schemas.Quote(c.text), strings.Join(titles, "、"))
	return c.text
}

func joinWords(ws []string) string { return strings.Join(ws, "、") }

// Lists of catalogue objects the code-list sheet carries beside the code lists of schemas, so
// that the entries sheet can name them as people do and a reader needs no catalogue.
const (
	listBusiness = "业务事项"
	listScenes   = "应用场景"
)

// objectLists are those lists in the order the code-list sheet gives them.
var objectLists = []string{deptList, listBusiness, listScenes}

// exporter is what writing needs beyond the entries: the names of departments, business items
// and scenes, by list and code.
type exporter struct {
	lists  map[string][][2]string       // list → (code, name) in catalogue order
	byCode map[string]map[string]string // list → code → name
}

func newExporter(v *catalog.View) *exporter {
	x := &exporter{lists: map[string][][2]string{}, byCode: map[string]map[string]string{}}
	add := func(list, code, name string) {
		if x.byCode[list] == nil {
			x.byCode[list] = map[string]string{}
		}
		x.byCode[list][code] = name
		x.lists[list] = append(x.lists[list], [2]string{code, name})
	}
	for _, d := range v.Departments() {
		add(deptList, d.Code, d.Name)
	}
	for _, b := range v.BusinessItems() {
		add(listBusiness, b.Code, b.Name)
	}
	for _, sc := range v.Scenes() {
		add(listScenes, sc.Code, sc.Name)
	}
	return x
}

// name writes a code of list by its name; an unknown code as it is.
func (x *exporter) name(list, code string) string {
	if n, ok := x.byCode[list][code]; ok {
		return n
	}
	return code
}

// names writes codes of list by their names, one per line (names may hold any other separator).
func (x *exporter) names(list string, codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = x.name(list, c)
	}
	return textsOf(out)
}

// importer is what reading has learnt from the workbook beyond the cells: the names of the
// catalogue objects its code-list sheet lists.
type importer struct {
	codes map[string]map[string]string // list → name → code
}

// code reads an object of list by its name, as the workbook's code-list sheet lists it, or by
// its code. Whether it exists is the catalogue's question.
func (m *importer) code(list, s string) string {
	if code, ok := m.codes[list][s]; ok {
		return code
	}
	return s
}

func (m *importer) codesOf(list string, names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, m.code(list, n))
	}
	return out
}
