// Package demo is the demonstration directory of the bureau: its departments, about thirty entries
// across 治水, 治气 and 治废 (two carrying the tables of the 2024 action plan itself, the rest
// synthetic), demo principals, and loads that leave some entries fresh, some stale and some never
// collected, so that the collection figure shows below 100% and says why. Data about people is
// synthetic.
package demo

import (
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// departments of the bureau named in the action plan (处室/单位).
var departments = []catalog.Department{
	{Code: "DIV_GENERAL", Name: "综合处", Kind: "division"},
	{Code: "DIV_ECOLOGY", Name: "生态处", Kind: "division"},
	{Code: "DIV_WATER", Name: "水处", Kind: "division"},
	{Code: "DIV_AIR", Name: "大气处", Kind: "division"},
	{Code: "DIV_SOIL", Name: "土壤处", Kind: "division"},
	{Code: "DIV_SOLID_WASTE", Name: "固体处", Kind: "division"},
	{Code: "DIV_NUCLEAR", Name: "核安全处", Kind: "division"},
	{Code: "DIV_EIA", Name: "环评处", Kind: "division"},
	{Code: "DIV_TOTAL_CONTROL", Name: "总量处", Kind: "division"},
	{Code: "DIV_MONITORING", Name: "监测处", Kind: "division"},
	{Code: "OFFICE_INSPECTION", Name: "督察办", Kind: "division"},
	{Code: "CORPS_ENFORCEMENT", Name: "执法总队", Kind: "corps"},
	{Code: "CTR_MONITORING", Name: "监测中心", Kind: "centre"},
	{Code: "CTR_BIGDATA", Name: "大数据应用中心", Kind: "centre"},
	{Code: "CTR_VEHICLE", Name: "尾气中心", Kind: "centre"},
	{Code: "CTR_SOLID_WASTE", Name: "固管中心", Kind: "centre"},
	{Code: "CTR_RADIATION", Name: "辐射站", Kind: "centre"},
	{Code: "INST_SCIENCE", Name: "环科院", Kind: "centre"},
}

// providerCode is a synthetic 统一社会信用代码 for the bureau as provider.
const providerCode = "11500000MB0000000X"

// Item constructors keep the entry table below readable.
func item(name, field string, t schemas.DataType, g schemas.Grade) catalog.Item {
	return catalog.Item{Name: name, Field: field, Type: t, Grade: g}
}
func req(it catalog.Item) catalog.Item          { it.Required = true; return it }
func key(it catalog.Item) catalog.Item          { it.Required, it.IsKey = true, true; return it }
func pi(it catalog.Item, t string) catalog.Item { it.PIType = t; return it }
func district(name string) catalog.Item {
	return catalog.Item{Name: name, Field: "district_code", Type: schemas.String, Required: true, Length: 6, CodeList: "districts", Grade: schemas.General1}
}
func text(name, field string, n int, g schemas.Grade) catalog.Item {
	return catalog.Item{Name: name, Field: field, Type: schemas.String, Length: n, Grade: g}
}

const (
	g1 = schemas.General1
	g2 = schemas.General2
	g3 = schemas.General3
)

// load says how the demo loads an entry's data.
type load int

const (
	never  load = iota // never collected
	fresh              // loaded recently
	stale              // last loaded longer ago than its cycle and grace allow
	failed             // loaded once long ago, then a submission failed
)

// spec is one demo entry and how its data is made.
type spec struct {
	catalog.Entry
	load  load
	rows  func(g *gen) [][]string // nil: rows generated from the items
	nrows int
	file  string // embedded seed file instead of generated rows
	draft bool
}

func entry(code, table, name, cat, dept, source string, cycle schemas.UpdateCycle, domains []string, items ...catalog.Item) catalog.Entry {
	return catalog.Entry{
		ResourceCode: code, Table: table, Name: name, CategoryCode: cat, Department: dept,
		SourceKind: source, UpdateCycle: cycle, Domains: domains, Items: catalog.ItemsOf(items...),
		ProviderName: "重庆市生态环境局", ProviderCode: providerCode, Abstract: name + "。",
		FormatType: "DATABASE", ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL",
		OpenCondition: "依申请开放", District: schemas.CityCode, Status: "DRAFT",
	}
}

var (
	air   = []string{"AIR"}
	water = []string{"WATER"}
	waste = []string{"WASTE"}
)
