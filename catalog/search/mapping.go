package search

import (
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Fields of an indexed entry. Its id is the resource code.
const (
	fieldName      = "name"       // the entry's name alone: name matches rank first
	fieldText      = "text"       // every searchable part, the name included
	fieldGradeRank = "grade_rank" // catalog.Scope: the entry grade's rank
	// fieldFacets holds every code of the entry as "facet=code" (district=500112): filters are
	// terms of it and the facet counts one visit of it per hit, not one per facet.
	fieldFacets = "facets"
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

// mappingVersion changes whenever the mapping, the analyzer or documentOf changes what is
// indexed: an index of another version is rebuilt.
const mappingVersion = "3"

func newMapping() mapping.IndexMapping {
	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = gramAnalyzer
		f.Store, f.IncludeInAll, f.DocValues = false, false, false
		f.IncludeTermVectors = true // positions, for phrases
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldName, text())
	doc.AddFieldMappingsAt(fieldText, text())
	k := bleve.NewKeywordFieldMapping()
	k.Analyzer = keyword.Name
	k.Store, k.IncludeInAll, k.IncludeTermVectors = false, false, false
	k.DocValues = true // facet counts read them
	doc.AddFieldMappingsAt(fieldFacets, k)
	rank := bleve.NewNumericFieldMapping()
	rank.Store, rank.IncludeInAll, rank.DocValues = false, false, false
	doc.AddFieldMappingsAt(fieldGradeRank, rank)

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = keyword.Name
	m.IndexDynamic, m.StoreDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// part is one searchable piece of an entry and what it is, for the index and for a hit's
// highlights.
type part struct {
	Label string // Chinese
	Text  string
}

// partsOf is the one place that decides what text of an entry is searched. v resolves what the
// entry refers to by code: its district, business items and scenes (by name and code). A renamed
// business item or scene reaches an entry's document when the entry itself next changes.
func partsOf(v *catalog.View, e *catalog.Entry) []part {
	ps := []part{{"名称", e.Name}, {"摘要", e.Abstract}, {"提供方", e.ProviderName}}
	for _, it := range e.Items {
		ps = append(ps, part{"信息项", it.Name})
		if it.Description != "" {
			ps = append(ps, part{"信息项说明", it.Description})
		}
	}
	for _, code := range e.BusinessItems {
		if b, err := v.BusinessItem(code); err == nil {
			ps = append(ps, part{"业务事项", b.Name})
		}
		ps = append(ps, part{"业务事项", code})
	}
	for _, code := range e.Scenes {
		if sc, err := v.Scene(code); err == nil {
			ps = append(ps, part{"应用场景", sc.Name})
		}
		ps = append(ps, part{"应用场景", code})
	}
	if d, err := v.District(e.District); err == nil {
		ps = append(ps, part{"区县", d.Name})
		if d.ShortName != d.Name {
			ps = append(ps, part{"区县", d.ShortName})
		}
	}
	ps = append(ps, part{"资源代码", e.ResourceCode}, part{"数据表", e.Table})
	return ps
}

// documentOf is what the index holds of an entry: the text to find it by and the codes it is
// filtered, counted and scoped by.
func documentOf(v *catalog.View, e *catalog.Entry) map[string]any {
	var text strings.Builder
	for _, p := range partsOf(v, e) {
		text.WriteString(p.Text)
		text.WriteByte('\n') // white space: no gram spans two parts
	}
	g := e.Grade()
	return map[string]any{
		fieldName:      e.Name,
		fieldText:      text.String(),
		fieldGradeRank: float64(g.Rank()),
		fieldFacets:    facetTerms(codesOf(e)),
	}
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

func facetTerms(codes map[string][]string) []string {
	var out []string
	for _, f := range facets {
		for _, c := range codes[f.name] {
			out = append(out, facetTerm(f.name, c))
		}
	}
	return out
}

func facetTerm(facet, code string) string { return facet + "=" + code }
