// Package schemas is the vocabulary every other package speaks: the code lists of the national
// standards the directory follows, the logical type system of directory items and its mapping to
// Arrow, DuckDB and Go values, and identifier rules. It imports nothing of the project's own.
package schemas

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
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

// CodeList is an ordered list of codes loaded from data, so that a provisional list (marked
// "practice" in the standards) can be corrected without changing logic. Its contents are replaced
// only by Install, at start-up before anything serves (codelist_load.go); readers take no lock.
type CodeList struct {
	Name string
	data atomic.Pointer[listData]
}

// listData is one immutable version of a list's contents.
type listData struct {
	codes []Code
	byID  map[string]int
	byNm  map[string]int
}

func (l *CodeList) d() *listData { return l.data.Load() }

// Codes returns the codes in list order.
func (l *CodeList) Codes() []Code { return append([]Code(nil), l.d().codes...) }

// Len is the number of codes of the list.
func (l *CodeList) Len() int { return len(l.d().codes) }

// Lookup finds a code by id or by Chinese name.
func (l *CodeList) Lookup(s string) (Code, bool) {
	d := l.d()
	s = strings.TrimSpace(s)
	if i, ok := d.byID[s]; ok {
		return d.codes[i], true
	}
	if i, ok := d.byNm[s]; ok {
		return d.codes[i], true
	}
	return Code{}, false
}

// Has reports whether id is a code of the list.
func (l *CodeList) Has(id string) bool { _, ok := l.d().byID[id]; return ok }

// NameOf returns the Chinese name of id, or id itself when unknown.
func (l *CodeList) NameOf(id string) string {
	d := l.d()
	if i, ok := d.byID[id]; ok {
		return d.codes[i].Name
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
	allowed := l.Allowed()
	if id == "" {
		return fmt.Errorf("%s: 必填，取代码表 %s中的值（可选：%s）: %w", field, l.label(), allowed, ErrInvalid)
	}
	return fmt.Errorf("%s: %s不在代码表 %s中（可选：%s）: %w", field, Quote(id), l.label(), allowed, ErrInvalid)
}

// Allowed lists the ids of the list for a message, the first maxAllowedInText of them and how
// many there are in all: "DOCUMENT、SPREADSHEET、…".
func (l *CodeList) Allowed() string {
	codes := l.d().codes
	ids := make([]string, 0, min(len(codes), maxAllowedInText))
	for _, c := range codes[:min(len(codes), maxAllowedInText)] {
		ids = append(ids, c.ID)
	}
	allowed := strings.Join(ids, "、")
	if len(codes) > maxAllowedInText {
		allowed += fmt.Sprintf(" 等 %d 项", len(codes))
	}
	return allowed
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
	"impact_objects": "影响对象", "impact_degrees": "影响程度", "grading_factors": "定级要素", "grading_matrix": "定级矩阵",
}

// The code lists of shared/STANDARDS.md, as embedded; Install may replace their contents.
var (
	Grades        = embeddedList("grades")
	UpdateCycles  = embeddedList("update_cycles")
	ShareTypes    = embeddedList("share_types")
	ShareModes    = embeddedList("share_modes")
	OpenTypes     = embeddedList("open_types")
	FormatTypes   = embeddedList("format_types")
	EntryStatuses = embeddedList("entry_statuses")
	Categories    = embeddedList("categories")
	Domains       = embeddedList("domains")
	SourceKinds   = embeddedList("source_kinds")
	PITypes       = embeddedList("pi_types")
	DataTypes     = embeddedList("data_types")
	Districts     = embeddedList("districts")
	Roles         = embeddedList("roles")

	ImpactObjects  = embeddedList("impact_objects")
	ImpactDegrees  = embeddedList("impact_degrees")
	GradingFactors = embeddedList("grading_factors")
	GradingMatrix  = embeddedList("grading_matrix")
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
	"impact_objects": ImpactObjects, "impact_degrees": ImpactDegrees,
	"grading_factors": GradingFactors, "grading_matrix": GradingMatrix,
}

// List returns a code list by name (as used in an item's code_list attribute).
func List(name string) (*CodeList, bool) { l, ok := namedLists[name]; return l, ok }
