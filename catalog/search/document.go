package search

import (
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Facets, which are also the filters a query may set (keys of Query.Filters and Result.Facets).
const (
	FacetCategory    = "category"
	FacetDomain      = "domain"
	FacetDepartment  = "department"
	FacetDistrict    = "district"
	FacetGrade       = "grade"
	FacetShareType   = "share_type"
	FacetUpdateCycle = "update_cycle"
	FacetStatus      = "status"
)

// facet is one facet and the code list its codes and Chinese names come from; department codes
// are the catalogue's, not a list's.
type facet struct {
	name  string
	title string // Chinese, for messages
	list  *schemas.CodeList
}

var facets = []facet{
	{FacetCategory, "信息资源分类", schemas.Categories},
	{FacetDomain, "治理领域", schemas.Domains},
	{FacetDepartment, "责任处室", nil},
	{FacetDistrict, "区县", schemas.Districts},
	{FacetGrade, "数据分级", schemas.Grades},
	{FacetShareType, "共享类型", schemas.ShareTypes},
	{FacetUpdateCycle, "更新周期", schemas.UpdateCycles},
	{FacetStatus, "目录状态", schemas.EntryStatuses},
}

// part is one searchable piece of an entry and what it is, for the index and for a hit's
// highlights.
type part struct {
	Label string // Chinese
	Text  string
}

// Labels of the identifiers among the parts, and of the items' names.
const (
	labelCode     = "资源代码"
	labelTable    = "数据表"
	labelItemName = "信息项"
)

// ident reports whether p is an identifier: its grams are kept apart from the prose's, whose words
// the digits of every code would otherwise seem to hold (engine.go).
func (p part) ident() bool { return p.Label == labelCode || p.Label == labelTable }

// partsOf is the one place that decides what text of an entry is searched (eachPart), as a
// list.
func partsOf(v *catalog.View, e *catalog.Entry) []part {
	var ps []part
	eachPart(v, e, func(p part, _ bool) { ps = append(ps, p) })
	return ps
}

// eachPart calls fn with every searchable piece of e, in order, and whether it was found
// through v: a name the entry refers to by code (its district, business items and scenes), which
// a later view may give otherwise; the others the entry holds itself, the same in every view.
// With v nil, only those. A renamed business item or scene reaches an entry's document when the
// entry itself next changes.
func eachPart(v *catalog.View, e *catalog.Entry, fn func(p part, viaView bool)) {
	fn(part{"名称", e.Name}, false)
	fn(part{"摘要", e.Abstract}, false)
	fn(part{"提供方", e.ProviderName}, false)
	for _, it := range e.Items.All() {
		fn(part{labelItemName, it.Name}, false)
		if it.Description != "" {
			fn(part{"信息项说明", it.Description}, false)
		}
	}
	for _, code := range e.BusinessItems {
		if v != nil {
			if b, err := v.BusinessItem(code); err == nil {
				fn(part{"业务事项", b.Name}, true)
			}
		}
		fn(part{"业务事项", code}, false)
	}
	for _, code := range e.Scenes {
		if v != nil {
			if sc, err := v.Scene(code); err == nil {
				fn(part{"应用场景", sc.Name}, true)
			}
		}
		fn(part{"应用场景", code}, false)
	}
	if v != nil {
		if d, err := v.District(e.District); err == nil {
			fn(part{"区县", d.Name}, true)
			if d.ShortName != d.Name {
				fn(part{"区县", d.ShortName}, true)
			}
		}
	}
	fn(part{labelCode, e.ResourceCode}, false)
	fn(part{labelTable, e.Table}, false)
}

// codesOf is the entry's code for every facet (several domains).
func codesOf(e *catalog.Entry) map[string][]string {
	return map[string][]string{
		FacetCategory:    {e.CategoryCode},
		FacetDomain:      e.Domains,
		FacetDepartment:  {e.Department},
		FacetDistrict:    {e.District},
		FacetGrade:       {string(e.Grade())},
		FacetShareType:   {e.ShareType},
		FacetUpdateCycle: {string(e.UpdateCycle)},
		FacetStatus:      {e.Status},
	}
}
