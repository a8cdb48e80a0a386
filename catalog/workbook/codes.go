package workbook

import (
	"strings"

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

// exporter is what writing needs beyond the entries: the departments' names.
type exporter struct {
	depts map[string]string // code → name
}

func (x *exporter) deptName(code string) string {
	if n, ok := x.depts[code]; ok {
		return n
	}
	return code
}

// importer is what reading has learnt from the workbook beyond the cells: the departments' names
// from the code-list sheet.
type importer struct {
	depts map[string]string // name → code
}

// dept reads a department by its name, as the workbook's code-list sheet lists it, or its code.
// Whether it exists is the catalogue's question.
func (m *importer) dept(s string) string {
	if code, ok := m.depts[s]; ok {
		return code
	}
	return s
}
