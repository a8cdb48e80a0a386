package query

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
)

// Type-name suffixes derived from one table's base name.
var tableSuffixes = []string{"", "Where", "Field", "OrderBy", "Group", "Numeric", "MinMax", "Aggregate", "Page"}

// camel turns a table identifier into a GraphQL type name: air_station_hourly -> AirStationHourly.
func camel(table string) string {
	var b strings.Builder
	for _, part := range strings.Split(table, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// typeBase picks the base type name of a table, avoiding names already taken by fixed types or
// by an earlier table (entries are visited in a stable order, so the choice is stable too).
func typeBase(table string, taken map[string]bool) string {
	base := camel(table)
	for n := 1; ; n++ {
		cand := base
		if n > 1 {
			cand = base + "Table" + strings.Repeat("X", n-2)
		}
		free := true
		for _, s := range tableSuffixes {
			if taken[cand+s] {
				free = false
				break
			}
		}
		if free {
			for _, s := range tableSuffixes {
				taken[cand+s] = true
			}
			return cand
		}
	}
}

// tableRoot is one table's types as readers with one view of it see them (its visible
// columns; aggregatesOnly, no row fields), and what makes its root fields <table>,
// <table>_aggregate and <table>_page (fields). The resolvers capture only the entry's code: the
// entry itself is looked up again in the view of the request, so that a request always sees
// the catalogue as it was when it started, and the types can be shared by every schema whose
// reader sees the table so (tableTypesFor).
//
// A province's whole schema holds ten thousand tables' types, so what a table keeps is kept
// small: graphql-go keeps a type's configuration beside the definitions it makes of it, so the
// types are configured by thunks, whose maps are garbage once defined, and the root fields'
// configurations, arguments included, are made again for each schema's root (fields) rather
// than kept beside the definitions every root makes of them.
type tableRoot struct {
	rowsType, aggType, pageType graphql.Output // the root fields' types
	where                       *graphql.InputObject
	orderBy, groupBy            graphql.Input // the orderBy and groupBy arguments' types
	fieldEnum                   *graphql.Enum
	aggregatesOnly              bool
	table                       string
	rowsDesc                    string
	aggDesc                     string
	pageDesc                    string
	rows, aggregate             graphql.FieldResolveFn
	pageOf                      graphql.FieldResolveFn
}

// fields makes the table's root fields for one schema's root.
func (t *tableRoot) fields() graphql.Fields {
	asOf := &graphql.ArgumentConfig{Type: graphql.String, Description: asOfDescription}
	f := graphql.Fields{
		t.table + "_aggregate": {
			Type:        t.aggType,
			Description: t.aggDesc,
			Args: graphql.FieldConfigArgument{
				"where":   {Type: t.where},
				"groupBy": {Type: t.groupBy},
				"asOf":    asOf,
			},
			Resolve: t.aggregate,
		},
	}
	if t.aggregatesOnly {
		return f
	}
	f[t.table] = &graphql.Field{
		Type:        t.rowsType,
		Description: t.rowsDesc,
		Args: graphql.FieldConfigArgument{
			"where":   {Type: t.where},
			"orderBy": {Type: t.orderBy},
			"limit":   {Type: graphql.Int, Description: "返回行数上限"},
			"offset":  {Type: graphql.Int, Description: "跳过的行数"},
			"asOf":    asOf,
		},
		Resolve: t.rows,
	}
	f[t.table+"_page"] = &graphql.Field{
		Type:        t.pageType,
		Description: t.pageDesc,
		Args: graphql.FieldConfigArgument{
			"where":   {Type: t.where},
			"orderBy": {Type: t.orderBy},
			"first":   {Type: graphql.Int, Description: "每页行数"},
			"after":   {Type: graphql.String, Description: "上一页的 pageInfo.endCursor"},
			"asOf":    asOf,
		},
		Resolve: t.pageOf,
	}
	return f
}

// enumScratch is the map every table's field enum is configured with, one at a time:
// graphql-go keeps an enum's configuration beside the values it made of it and never reads it
// again (v0.8.1), and a map keeps its buckets once cleared, so one map serves every enum.
var enumScratch = struct {
	sync.Mutex
	m graphql.EnumValueConfigMap
}{m: graphql.EnumValueConfigMap{}}

// tableFields makes the types of a queryable entry as a reader sees it (see tableRoot). An
// item's name and description document its field on the row type; the filter and aggregate
// types, which repeat the items, give its name only. An aggregate's group values are rows of
// the row type (the same fields, code names included). The types' thunks read the entry and
// its columns through src, which is emptied once every type is defined, before tableFields
// returns: graphql-go keeps a thunk as long as its type, and a province's types would hold
// every entry's columns, and older versions of changed entries, for nothing.
func (s *Service) tableFields(e *catalog.Entry, visible []Column, aggregatesOnly bool, base string) *tableRoot {
	src := &struct {
		e    *catalog.Entry
		cols []Column
	}{e, visible}
	cols := func() []Column { return src.cols }
	// items reads the entry's items once (they are stored packed): each thunk calls it once.
	items := func() map[string]catalog.Item {
		m := make(map[string]catalog.Item, src.e.Items.Len())
		for _, it := range src.e.Items.All() {
			m[it.Field] = it
		}
		return m
	}
	title := e.Name + " (" + e.ResourceCode + ")"

	obj := graphql.NewObject(graphql.ObjectConfig{Name: base, Description: title, Fields: graphql.FieldsThunk(func() graphql.Fields {
		f := graphql.Fields{}
		descs := make(map[string]string, len(cols()))
		byField := items()
		for _, c := range cols() {
			it := byField[c.Field]
			d := it.Name
			if it.Description != "" {
				d += ": " + it.Description
			}
			descs[c.Field] = d
			// Nullable even when required: a snapshot written before the item existed reads it
			// as NULL, and one bad value must not null out the whole list.
			f[c.Field] = &graphql.Field{Type: scalarOf(c.Type), Description: d}
		}
		addCodeNames(f, cols(), func(c Column) string { return descs[c.Field] })
		return f
	})})

	var where *graphql.InputObject
	where = graphql.NewInputObject(graphql.InputObjectConfig{Name: base + "Where", Description: title + " 的过滤条件",
		Fields: graphql.InputObjectConfigFieldMapThunk(func() graphql.InputObjectConfigFieldMap {
			f := graphql.InputObjectConfigFieldMap{
				"and": {Type: graphql.NewList(graphql.NewNonNull(where)), Description: "全部满足"},
				"or":  {Type: graphql.NewList(graphql.NewNonNull(where)), Description: "满足其一"},
				"not": {Type: where, Description: "不满足"},
			}
			byField := items()
			for _, c := range cols() {
				f[c.Field] = &graphql.InputObjectFieldConfig{Type: filterTypes[c.Type], Description: byField[c.Field].Name}
			}
			return f
		})})

	byField := items()
	enumScratch.Lock()
	for _, c := range visible {
		enumScratch.m[c.Field] = &graphql.EnumValueConfig{Value: c.Field, Description: byField[c.Field].Name}
	}
	fieldEnum := graphql.NewEnum(graphql.EnumConfig{Name: base + "Field", Description: title + " 的字段", Values: enumScratch.m})
	clear(enumScratch.m)
	enumScratch.Unlock()

	orderBy := graphql.NewInputObject(graphql.InputObjectConfig{Name: base + "OrderBy", Description: "排序",
		Fields: graphql.InputObjectConfigFieldMapThunk(func() graphql.InputObjectConfigFieldMap {
			return graphql.InputObjectConfigFieldMap{
				"field":     {Type: graphql.NewNonNull(fieldEnum), Description: "排序字段"},
				"direction": {Type: orderDirection, DefaultValue: "ASC", Description: "排序方向"},
			}
		})})

	var numeric *graphql.Object
	if slices.ContainsFunc(visible, func(c Column) bool { return c.Type.Numeric() }) {
		numeric = graphql.NewObject(graphql.ObjectConfig{Name: base + "Numeric", Description: "数值字段的合计或平均", Fields: graphql.FieldsThunk(func() graphql.Fields {
			f := graphql.Fields{}
			byField := items()
			for _, c := range cols() {
				if c.Type.Numeric() {
					f[c.Field] = &graphql.Field{Type: graphql.Float, Description: byField[c.Field].Name}
				}
			}
			return f
		})})
	}
	ordered := slices.ContainsFunc(visible, func(c Column) bool { return c.Type.Ordered() })
	aggDesc := title + " 的统计" // the type's and its root field's
	agg := graphql.NewObject(graphql.ObjectConfig{Name: base + "Aggregate", Description: aggDesc, Fields: graphql.FieldsThunk(func() graphql.Fields {
		f := graphql.Fields{
			"count": {Type: nonNullLong, Description: "行数"},
			"group": {Type: obj, Description: "分组字段的值 (groupBy 所列字段)"},
		}
		if numeric != nil {
			f["sum"] = &graphql.Field{Type: numeric, Description: "合计"}
			f["avg"] = &graphql.Field{Type: numeric, Description: "平均"}
		}
		if ordered {
			// The row type, as for group: a type of its own would repeat most of the items. A
			// boolean item, which has no order, is refused when the aggregate is resolved.
			f["min"] = &graphql.Field{Type: obj, Description: "最小值 (布尔字段不适用)"}
			f["max"] = &graphql.Field{Type: obj, Description: "最大值 (布尔字段不适用)"}
		}
		return f
	})})

	code, table := e.ResourceCode, e.Table
	nn := graphql.NewNonNull
	page := pageType(obj, base, title)
	obj.Fields()
	where.Fields()
	orderBy.Fields()
	agg.Fields()
	page.Fields()
	if numeric != nil {
		numeric.Fields()
	}
	src.e, src.cols = nil, nil
	return &tableRoot{
		rowsType:       nn(graphql.NewList(nn(obj))),
		aggType:        nn(graphql.NewList(nn(agg))),
		pageType:       nn(page),
		where:          where,
		orderBy:        graphql.NewList(nn(orderBy)),
		groupBy:        graphql.NewList(nn(fieldEnum)),
		fieldEnum:      fieldEnum,
		aggregatesOnly: aggregatesOnly,
		table:          table,
		rowsDesc:       title + fmt.Sprintf(" (超过 limit 的部分不返回, 响应的 extensions.truncated 会指明; 翻页请用 %s_page)", table),
		aggDesc:        aggDesc,
		pageDesc:       title + " 分页读取: 各页读取同一快照",
		rows: func(p graphql.ResolveParams) (any, error) {
			return s.resolveRows(p, code, table)
		},
		aggregate: func(p graphql.ResolveParams) (any, error) {
			return s.resolveAggregate(p, code, table)
		},
		pageOf: func(p graphql.ResolveParams) (any, error) {
			return s.resolvePage(p, code, table)
		},
	}
}

// addCodeNames gives each coded column of cols a <field>Name field beside its code: the Chinese
// name of the code (item identifiers are lower case, so the name never meets an item).
func addCodeNames(f graphql.Fields, cols []Column, desc func(Column) string) {
	for _, c := range cols {
		if c.Codes == "" {
			continue
		}
		c := c
		f[c.Field+"Name"] = &graphql.Field{Type: graphql.String, Description: desc(c) + " (名称)",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				row, _ := p.Source.(map[string]any)
				return valueName(c.Codes, row[c.Field]), nil
			}}
	}
}
