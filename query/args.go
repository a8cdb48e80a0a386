package query

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// This file is the resolvers' half of the work: GraphQL arguments in, a typed Plan out.
// Messages are for the person who wrote the query, so they are in Simplified Chinese.

// maxInValues bounds the list of an `in` filter.
const maxInValues = 1000

// columns returns the entry's items as plan columns, skipping items that could never reach SQL.
func columns(e *catalog.Entry) []Column {
	out := make([]Column, 0, e.Items.Len())
	for _, it := range e.Items.All() {
		if schemas.CheckIdent(it.Field) != nil || !it.Type.Valid() {
			continue
		}
		out = append(out, Column{Field: it.Field, Type: it.Type, Codes: it.CodeList})
	}
	return out
}

// keyColumns are the columns of e's key items, in item order.
func keyColumns(e *catalog.Entry) []Column {
	var out []Column
	for _, it := range e.Items.All() {
		if it.IsKey && schemas.CheckIdent(it.Field) == nil && it.Type.Valid() {
			out = append(out, Column{Field: it.Field, Type: it.Type, Codes: it.CodeList})
		}
	}
	return out
}

// hasColumns reports whether columns(e) holds any, without making them.
func hasColumns(e *catalog.Entry) bool {
	for _, it := range e.Items.All() {
		if schemas.CheckIdent(it.Field) == nil && it.Type.Valid() {
			return true
		}
	}
	return false
}

func column(e *catalog.Entry, field string) (Column, error) {
	for _, c := range columns(e) {
		if c.Field == field {
			return c, nil
		}
	}
	return Column{}, invalidf("数据表 %s 没有字段 %s", e.Table, field)
}

func basePlan(e *catalog.Entry, args map[string]any) (*Plan, error) {
	all := columns(e)
	p := &Plan{Entry: e.ResourceCode, Table: e.Table, Snapshot: e.CurrentSnapshot, Source: all, Stored: all, Key: keyColumns(e)}
	if w, ok := args["where"]; ok && w != nil {
		c, err := whereCond(e, w, "where", 0)
		if err != nil {
			return nil, err
		}
		p.Where = c
	}
	return p, nil
}

// rowsPlan translates the arguments of <table>(where, orderBy, limit, offset).
func rowsPlan(cfg Config, e *catalog.Entry, args map[string]any, sel selection) (*Plan, error) {
	p, err := basePlan(e, args)
	if err != nil {
		return nil, err
	}
	for _, c := range p.Source {
		_, code := sel[c.Field]
		_, name := sel[c.Field+"Name"]
		if code || (name && c.Codes != "") {
			p.Columns = append(p.Columns, c)
		}
	}
	if len(p.Columns) == 0 && len(p.Source) > 0 {
		p.Columns = p.Source[:1] // only __typename asked for: still one row per record
	}
	p.Limit = cfg.DefaultLimit
	if v, ok := args["limit"].(int); ok {
		switch {
		case v < 0:
			return nil, invalidf("limit 不能为负数 (请求为 %d)", v)
		case v > cfg.MaxLimit:
			return nil, invalidf("limit 不能超过 %d (请求为 %d)", cfg.MaxLimit, v)
		}
		p.Limit = v
	}
	if v, ok := args["offset"].(int); ok {
		if v < 0 {
			return nil, invalidf("offset 不能为负数 (请求为 %d)", v)
		}
		p.Offset = v
	}
	if ob, ok := args["orderBy"].([]any); ok {
		for i, o := range ob {
			m, _ := o.(map[string]any)
			f, _ := m["field"].(string)
			c, err := column(e, f)
			if err != nil {
				return nil, invalidf("orderBy[%d]: %s", i, err)
			}
			dir, _ := m["direction"].(string)
			p.OrderBy = append(p.OrderBy, Order{Column: c, Desc: dir == "DESC"})
		}
	}
	if len(p.OrderBy) == 0 {
		// Pagination with offset needs a stable order; the key items give one, unless the filter
		// fixes every one of them (a point query): its rows all share the key, so ordering by it
		// changes nothing and would only cost a sort.
		var keys []Order
		fixed := map[string]bool{}
		pinned(p.Where, fixed)
		all := true
		for _, c := range p.Key {
			keys = append(keys, Order{Column: c})
			all = all && fixed[c.Field]
		}
		if !all {
			p.OrderBy = keys
		}
	}
	return p, nil
}

// pinned adds to out the items a condition fixes to one value: the equalities it requires of
// every row, its own or its AND list's, none under NOT or OR.
func pinned(c *Cond, out map[string]bool) {
	if c == nil || c.Not {
		return
	}
	if c.Op == OpEq && c.Column.Field != "" {
		out[c.Column.Field] = true
	}
	for _, a := range c.And {
		pinned(a, out)
	}
}

// aggregatePlan translates the arguments of <table>_aggregate(where, groupBy) and the selection
// of sum/avg/min/max sub-fields.
func aggregatePlan(cfg Config, e *catalog.Entry, args map[string]any, sel selection) (*Plan, error) {
	p, err := basePlan(e, args)
	if err != nil {
		return nil, err
	}
	p.Aggregate = true
	p.Limit = cfg.MaxLimit + 1 // one more than allowed, to tell a full result from a cut one
	if gb, ok := args["groupBy"].([]any); ok {
		seen := map[string]bool{}
		for i, g := range gb {
			f, _ := g.(string)
			c, err := column(e, f)
			if err != nil {
				return nil, invalidf("groupBy[%d]: %s", i, err)
			}
			if !seen[f] {
				seen[f] = true
				p.GroupBy = append(p.GroupBy, c)
			}
		}
	}
	for _, fn := range []AggFunc{AggSum, AggAvg, AggMin, AggMax} {
		fields := sel[string(fn)]
		names := make([]string, 0, len(fields))
		for f := range fields {
			names = append(names, f)
		}
		sort.Strings(names)
		seen := map[string]bool{}
		for _, f := range names {
			c, err := column(e, f)
			if err != nil {
				// min and max are rows of the row type: the name of a coded item (<field>Name)
				// is the name of the code's minimum or maximum, so the code is computed.
				code, named := strings.CutSuffix(f, "Name")
				if c, err = column(e, code); fn != AggMin && fn != AggMax || !named || err != nil || c.Codes == "" {
					continue // __typename and the like
				}
			}
			if (fn == AggSum || fn == AggAvg) && !c.Type.Numeric() || !c.Type.Ordered() {
				return nil, invalidf("字段 %s 不支持 %s", f, fn)
			}
			if !seen[c.Field] {
				seen[c.Field] = true
				p.Aggs = append(p.Aggs, Agg{Func: fn, Column: c})
			}
		}
	}
	return p, nil
}

// whereCond translates one <T>Where object: every field filter and the and/or lists are ANDed.
func whereCond(e *catalog.Entry, v any, path string, depth int) (*Cond, error) {
	if depth > 32 {
		return nil, invalidf("%s: 条件嵌套过深", path)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf("%s: 条件应为对象", path)
	}
	if len(m) == 0 {
		// graphql-go drops null fields of a variable's object: {"district": null} arrives as {},
		// which would otherwise match every row.
		return nil, invalidf("%s: 条件为空 (值为 null 或未提供)", path)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // stable SQL text for the same query
	out := &Cond{And: []*Cond{}}
	for _, k := range keys {
		val := m[k]
		if val == nil {
			// A null filter must not widen the query to every row.
			return nil, invalidf("%s.%s: 条件不能为 null", path, k)
		}
		switch k {
		case "not":
			c, err := whereCond(e, val, path+".not", depth+1)
			if err != nil {
				return nil, err
			}
			out.And = append(out.And, &Cond{Not: true, And: []*Cond{c}})
		case "and", "or":
			list, ok := val.([]any)
			if !ok {
				return nil, invalidf("%s.%s: 应为列表", path, k)
			}
			subs := []*Cond{}
			for i, x := range list {
				c, err := whereCond(e, x, fmt.Sprintf("%s.%s[%d]", path, k, i), depth+1)
				if err != nil {
					return nil, err
				}
				subs = append(subs, c)
			}
			if k == "and" {
				out.And = append(out.And, subs...)
			} else {
				out.And = append(out.And, &Cond{Or: subs})
			}
		default:
			col, err := column(e, k)
			if err != nil {
				return nil, invalidf("%s: %s", path, err)
			}
			cs, err := fieldConds(col, val, path+"."+k)
			if err != nil {
				return nil, err
			}
			out.And = append(out.And, cs...)
		}
	}
	return out, nil
}

var filterOps = []Op{OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpIn, OpIsNull, OpLike}

// maxLikePattern bounds a like pattern, in characters.
const maxLikePattern = 200

func fieldConds(col Column, v any, path string) ([]*Cond, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf("%s: 过滤条件应为对象", path)
	}
	var out []*Cond
	for _, op := range filterOps {
		raw, ok := m[string(op)]
		if !ok {
			continue
		}
		if raw == nil {
			// {eq: null} would otherwise match every row; nulls are asked for with isNull.
			return nil, invalidf("%s.%s: 值不能为 null (查询空值请用 isNull)", path, op)
		}
		switch op {
		case OpIsNull:
			b, ok := raw.(bool)
			if !ok {
				return nil, invalidf("%s.isNull: 应为布尔值", path)
			}
			out = append(out, &Cond{Column: col, Op: OpIsNull, IsNull: b})
		case OpIn:
			list, ok := raw.([]any)
			if !ok {
				return nil, invalidf("%s.in: 应为列表", path)
			}
			if len(list) > maxInValues {
				return nil, invalidf("%s.in: 列表不能超过 %d 个值 (请求为 %d)", path, maxInValues, len(list))
			}
			vals := make([]any, 0, len(list))
			for i, x := range list {
				gv, err := goValue(col, x, fmt.Sprintf("%s.in[%d]", path, i))
				if err != nil {
					return nil, err
				}
				vals = append(vals, gv)
			}
			out = append(out, &Cond{Column: col, Op: OpIn, Values: withCodes(col, vals)})
		case OpEq, OpNe:
			gv, err := goValue(col, raw, path+"."+string(op))
			if err != nil {
				return nil, err
			}
			vals := withCodes(col, []any{gv})
			switch {
			case len(vals) == 1:
				out = append(out, &Cond{Column: col, Op: op, Value: gv})
			case op == OpEq:
				out = append(out, &Cond{Column: col, Op: OpIn, Values: vals})
			default:
				out = append(out, &Cond{Not: true, And: []*Cond{{Column: col, Op: OpIn, Values: vals}}})
			}
		case OpLike:
			pat, ok := raw.(string)
			if !ok || col.Type != schemas.String {
				return nil, invalidf("%s.like: 只用于文本字段, 值为文本模式 (%% 任意多个字符, _ 一个字符, \\ 转义)", path)
			}
			if n := utf8.RuneCountInString(pat); n > maxLikePattern {
				return nil, invalidf("%s.like: 模式不能超过 %d 个字符 (请求为 %d)", path, maxLikePattern, n)
			}
			out = append(out, &Cond{Column: col, Op: OpLike, Value: pat})
		default:
			if op != OpEq && op != OpNe && !col.Type.Ordered() {
				return nil, invalidf("%s.%s: %s 类型的字段不支持范围比较", path, op, col.Type)
			}
			gv, err := goValue(col, raw, path+"."+string(op))
			if err != nil {
				return nil, err
			}
			out = append(out, &Cond{Column: col, Op: op, Value: gv})
		}
	}
	if len(out) == 0 {
		// The GraphQL layer drops null values (a null or unset variable): an empty filter must not
		// quietly widen the query to every row.
		return nil, invalidf("%s: 过滤条件为空 (值为 null 或未提供; 查询空值请用 isNull)", path)
	}
	return out, nil
}

// goValue converts a coerced GraphQL input value to the Go value of the column type.
func goValue(col Column, v any, path string) (any, error) {
	switch col.Type {
	case schemas.Date, schemas.Timestamp:
		s, ok := v.(string)
		if !ok {
			return nil, invalidf("%s: 应为日期文本", path)
		}
		t, err := col.Type.Parse(s)
		if err != nil {
			return nil, invalidf("%s: %s", path, err)
		}
		return t, nil
	case schemas.Int:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case schemas.Float:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int:
			return float64(n), nil
		case int64:
			return float64(n), nil
		}
	case schemas.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case schemas.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	}
	return nil, invalidf("%s: 值 %v 不是 %s 类型", path, v, col.Type)
}

// withCodes adds to vals, for an item coded with a code list, the code each value names (a
// filter may give the code or the Chinese name; stored values are codes).
func withCodes(col Column, vals []any) []any {
	if col.Codes == "" {
		return vals
	}
	out := vals
	for _, v := range vals {
		if s, ok := v.(string); ok {
			if c := listCode(col.Codes, s); c != s && !slices.Contains(out, any(c)) {
				out = append(out, c)
			}
		}
	}
	return out
}

// listCode returns the code that s names in the code list list (s is a code or a Chinese name; a
// district also by its short name), s itself when it names none.
func listCode(list, s string) string {
	if list == "districts" {
		if d, ok := schemas.LookupDistrict(s); ok {
			return d.Code
		}
		return s
	}
	if l, ok := schemas.List(list); ok {
		if c, ok := l.Lookup(s); ok {
			return c.ID
		}
	}
	return s
}

// valueName returns the Chinese name of a value of an item coded with the list list, nil when
// the value is no code of it.
func valueName(list string, v any) any {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if l, ok := schemas.List(list); ok {
		if n := l.NameOf(s); n != s {
			return n
		}
	}
	return nil
}
