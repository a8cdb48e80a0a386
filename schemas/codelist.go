// Package schemas is the vocabulary every other package speaks: the code lists of the national
// standards the directory follows, the logical type system of directory items and its mapping to
// Arrow, DuckDB and Go values, and identifier rules. It imports nothing of the project's own.
package schemas

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed codelists/*.csv
var codelistFS embed.FS

// Code is one value of a code list: a stable English id used in code and the API, and the
// Simplified-Chinese name used in the UI and exports.
type Code struct {
	ID      string
	Name    string
	Extra   map[string]string // further columns of the list (rank, hours, parent …)
	Ordinal int               // position in the list file
}

// CodeList is an ordered, immutable list of codes loaded from data, so that a provisional list
// (marked "practice" in the standards) can be corrected without changing logic.
type CodeList struct {
	Name  string
	codes []Code
	byID  map[string]int
	byNm  map[string]int
}

// Codes returns the codes in list order.
func (l *CodeList) Codes() []Code { return append([]Code(nil), l.codes...) }

// Lookup finds a code by id or by Chinese name.
func (l *CodeList) Lookup(s string) (Code, bool) {
	s = strings.TrimSpace(s)
	if i, ok := l.byID[s]; ok {
		return l.codes[i], true
	}
	if i, ok := l.byNm[s]; ok {
		return l.codes[i], true
	}
	return Code{}, false
}

// Has reports whether id is a code of the list.
func (l *CodeList) Has(id string) bool { _, ok := l.byID[id]; return ok }

// NameOf returns the Chinese name of id, or id itself when unknown.
func (l *CodeList) NameOf(id string) string {
	if i, ok := l.byID[id]; ok {
		return l.codes[i].Name
	}
	return id
}

// maxAllowedInText bounds how many allowed ids a Check message lists.
const maxAllowedInText = 20

// Check returns an error naming, in Chinese, the list and the allowed values when id is not in
// the list: "“PDF”不在代码表 format_types（资源格式）中（可选：DOCUMENT、…）".
func (l *CodeList) Check(field, id string) error {
	if l.Has(id) {
		return nil
	}
	ids := make([]string, 0, min(len(l.codes), maxAllowedInText))
	for _, c := range l.codes[:min(len(l.codes), maxAllowedInText)] {
		ids = append(ids, c.ID)
	}
	allowed := strings.Join(ids, "、")
	if len(l.codes) > maxAllowedInText {
		allowed += fmt.Sprintf(" 等 %d 项", len(l.codes))
	}
	if id == "" {
		return fmt.Errorf("%s: 必填，取代码表 %s中的值（可选：%s）: %w", field, l.label(), allowed, ErrInvalid)
	}
	return fmt.Errorf("%s: %s不在代码表 %s中（可选：%s）: %w", field, Quote(id), l.label(), allowed, ErrInvalid)
}

// Title is the Chinese meaning of the list ("数据分级"), "" for a list without one.
func (l *CodeList) Title() string { return listTitles[l.Name] }

// label is the list's name with its Chinese meaning, for messages: "grades（数据分级）".
func (l *CodeList) label() string {
	if t := l.Title(); t != "" {
		return l.Name + "（" + t + "）"
	}
	return l.Name + " "
}

var listTitles = map[string]string{
	"grades": "数据分级", "update_cycles": "更新周期", "share_types": "共享类型",
	"share_modes": "共享方式", "open_types": "开放类型", "format_types": "资源格式",
	"entry_statuses": "目录状态", "categories": "资源分类", "domains": "治理领域",
	"source_kinds": "数据来源", "pi_types": "个人信息类型", "data_types": "数据类型",
	"districts": "区县", "roles": "角色",
}

// loadList parses codelists/<name>.csv. idCol is the column holding the stable id.
func loadList(name, idCol string) *CodeList {
	b, err := fs.ReadFile(codelistFS, "codelists/"+name+".csv")
	if err != nil {
		panic(fmt.Sprintf("code list %s: %v", name, err))
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || len(rows) < 1 {
		panic(fmt.Sprintf("code list %s: %v", name, err))
	}
	head := rows[0]
	col := func(n string) int {
		for i, h := range head {
			if h == n {
				return i
			}
		}
		panic(fmt.Sprintf("code list %s: no column %s", name, n))
	}
	idI, nmI := col(idCol), col("name")
	l := &CodeList{Name: name, byID: map[string]int{}, byNm: map[string]int{}}
	for n, r := range rows[1:] {
		c := Code{ID: r[idI], Name: r[nmI], Extra: map[string]string{}, Ordinal: n}
		for i, h := range head {
			if i != idI && i != nmI {
				c.Extra[h] = r[i]
			}
		}
		if _, dup := l.byID[c.ID]; dup {
			panic(fmt.Sprintf("code list %s: duplicate id %s", name, c.ID))
		}
		l.byID[c.ID] = len(l.codes)
		if _, dup := l.byNm[c.Name]; !dup {
			l.byNm[c.Name] = len(l.codes)
		}
		l.codes = append(l.codes, c)
	}
	return l
}

// The code lists of shared/STANDARDS.md, loaded once from the embedded files.
var (
	Grades        = loadList("grades", "id")
	UpdateCycles  = loadList("update_cycles", "id")
	ShareTypes    = loadList("share_types", "id")
	ShareModes    = loadList("share_modes", "id")
	OpenTypes     = loadList("open_types", "id")
	FormatTypes   = loadList("format_types", "id")
	EntryStatuses = loadList("entry_statuses", "id")
	Categories    = loadList("categories", "code")
	Domains       = loadList("domains", "id")
	SourceKinds   = loadList("source_kinds", "id")
	PITypes       = loadList("pi_types", "id")
	DataTypes     = loadList("data_types", "id")
	Districts     = loadList("districts", "code")
	Roles         = loadList("roles", "id")
)

// ListNames returns the names of all code lists, sorted; used by item code_list validation.
func ListNames() []string {
	names := make([]string, 0, len(namedLists))
	for n := range namedLists {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var namedLists = map[string]*CodeList{
	"grades": Grades, "update_cycles": UpdateCycles, "share_types": ShareTypes,
	"share_modes": ShareModes, "open_types": OpenTypes, "format_types": FormatTypes,
	"entry_statuses": EntryStatuses, "categories": Categories, "domains": Domains,
	"source_kinds": SourceKinds, "pi_types": PITypes, "data_types": DataTypes,
	"districts": Districts, "roles": Roles,
}

// List returns a code list by name (as used in an item's code_list attribute).
func List(name string) (*CodeList, bool) { l, ok := namedLists[name]; return l, ok }
