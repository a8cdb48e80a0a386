package lineage

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// exprWalker resolves the expressions of one query level: its select list, clauses and modifiers.
// Subqueries inside them are walked as queries of their own, with this level as their outer scope.
type exprWalker struct {
	w          *sqlWalker
	s          *sqlScope
	inputs     map[string]struct{} // where the entries read by subqueries are added
	aliases    []sqlCol            // select-list outputs an unqualified name may mean
	aliasIndex map[string]int      // lower-case name → first position among aliases[:aliasDone]
	aliasDone  int
	aliasFirst bool     // ORDER BY and DISTINCT ON prefer an output name to a column
	lambdas    []string // lambda parameters in scope, which are not columns
	agg        bool     // the current expression called an aggregate
}

// expr adds to into the input columns n reads, each with its way composed with via.
func (e *exprWalker) expr(n jsonObj, via Via, into refSet) error {
	if err := e.w.spend(1); err != nil {
		return err
	}
	switch class := jsonStr(n, "class"); class {
	case "CONSTANT", "PARAMETER":
		return nil
	case "COLUMN_REF":
		col, err := e.resolveRef(jsonStrs(n, "column_names"))
		e.w.add(into, col.refs, via)
		e.agg = e.agg || col.agg
		return err
	case "FUNCTION":
		if e.w.aggregates[lowerName(jsonStr(n, "function_name"))] {
			e.agg = true
			if via == ViaDirect {
				via = ViaAggregate
			}
		}
		return e.children(n, via, into)
	case "WINDOW":
		if via == ViaDirect {
			via = ViaWindow
		}
		return e.children(n, via, into)
	case "CASE", "CAST", "COMPARISON", "CONJUNCTION", "OPERATOR", "BETWEEN", "COLLATE":
		return e.children(n, via, into)
	case "SUBQUERY":
		return e.subquery(n, via, into)
	case "LAMBDA":
		return e.lambda(n, via, into)
	case "STAR":
		return refuseSQL("不支持在表达式中使用 * 或 COLUMNS(...), 请写出列名")
	case "POSITIONAL_REFERENCE":
		return refuseSQL("不支持位置引用 #%v, 请写出列名", n["index"])
	default:
		return refuseSQL("不支持的表达式 %s", class)
	}
}

// children walks every sub-expression of n, whatever key holds it, so that no operand of a known
// expression class is missed; keys are taken in order so that the first error is always the same.
func (e *exprWalker) children(n jsonObj, via Via, into refSet) error {
	keys := slices.Sorted(maps.Keys(n))
	for _, k := range keys {
		if err := e.nested(n[k], via, into); err != nil {
			return err
		}
	}
	return nil
}

func (e *exprWalker) nested(v any, via Via, into refSet) error {
	switch v := v.(type) {
	case jsonObj:
		if _, ok := v["class"]; ok {
			return e.expr(v, via, into)
		}
		if _, ok := v["node"]; ok || strings.HasSuffix(jsonStr(v, "type"), "_NODE") {
			return refuseSQL("不支持的表达式: 其中含有无法归属的查询")
		}
		return e.children(v, via, into)
	case []any:
		for _, x := range v {
			if err := e.nested(x, via, into); err != nil {
				return err
			}
		}
	}
	return nil
}

// subquery: a scalar or IN subquery passes on its output's sources; every kind passes on the
// columns that choose its rows, since they decide its value (or, under WHERE, the outer rows).
func (e *exprWalker) subquery(n jsonObj, via Via, into refSet) error {
	rel, err := e.w.query(asJSONObj(asJSONObj(n["subquery"])["node"]), e.s)
	if err != nil {
		return err
	}
	maps.Copy(e.inputs, rel.inputs)
	switch t := jsonStr(n, "subquery_type"); t {
	case "SCALAR", "ANY":
		for _, c := range rel.columns {
			e.w.add(into, c.refs, via)
		}
	case "EXISTS", "NOT_EXISTS":
	default:
		return refuseSQL("不支持的子查询 %s", t)
	}
	e.w.add(into, rel.filters, via)
	if c := n["child"]; c != nil {
		return e.expr(asJSONObj(c), via, into)
	}
	return nil
}

func (e *exprWalker) lambda(n jsonObj, via Via, into refSet) error {
	lhs := asJSONObj(n["lhs"])
	params := []any{lhs}
	if lhs["class"] == "FUNCTION" && jsonStr(lhs, "function_name") == "row" { // (x, i) -> …
		params = jsonArr(lhs, "children")
	}
	saved := e.lambdas
	defer func() { e.lambdas = saved }()
	e.lambdas = slices.Clone(saved)
	for _, p := range params {
		names := jsonStrs(asJSONObj(p), "column_names")
		if asJSONObj(p)["class"] != "COLUMN_REF" || len(names) != 1 {
			return refuseSQL("不支持的 lambda 参数")
		}
		e.lambdas = append(e.lambdas, lowerName(names[0]))
	}
	return e.expr(asJSONObj(n["expr"]), via, into)
}

// resolveRef resolves a column reference: an unqualified name in the nearest scope that has it (a
// select-list alias after this level's own columns, or before them in ORDER BY), a qualified one
// in the nearest scope with that table or alias; further parts are struct fields.
func (e *exprWalker) resolveRef(parts []string) (sqlCol, error) {
	if len(parts) == 0 {
		return sqlCol{}, refuseSQL("不支持的列引用")
	}
	name := parts[len(parts)-1]
	if len(parts) == 1 {
		if slices.Contains(e.lambdas, lowerName(name)) {
			return sqlCol{name: name}, nil
		}
		if c, ok := e.alias(name); ok && e.aliasFirst {
			return c, nil
		}
		for sc := e.s; sc != nil; sc = sc.parent {
			if sc.frame != nil {
				if err := e.w.spend(len(sc.frame.bindings)); err != nil {
					return sqlCol{}, err
				}
				c, _, ok, err := sc.frame.lookup(name)
				if ok || err != nil {
					return c, err
				}
			}
			if c, ok := e.alias(name); ok && sc == e.s {
				return c, nil
			}
		}
		return sqlCol{}, refuseSQL("未知的列 %s", name)
	}
	for sc := e.s; sc != nil; sc = sc.parent {
		if sc.frame == nil {
			continue
		}
		if b := sc.frame.binding(parts[0]); b != nil {
			c, ok := b.rel.column(parts[1])
			if !ok {
				return sqlCol{}, refuseSQL("列 %s.%s 不存在", parts[0], parts[1])
			}
			if len(parts) == 2 {
				name = c.name
			}
			return sqlCol{name: name, refs: c.refs}, nil
		}
	}
	if c, err := e.resolveRef(parts[:1]); err == nil { // a struct column's field
		return sqlCol{name: name, refs: c.refs, agg: c.agg}, nil
	}
	return sqlCol{}, refuseSQL("未知的表或别名 %s", parts[0])
}

func (f *sqlFrame) binding(name string) *sqlBinding {
	name = lowerName(name)
	for _, b := range f.bindings {
		if b.name != "" && b.name == name {
			return b
		}
	}
	return nil
}

// lookup finds an unqualified column in the frame: a USING column, else the one binding that has
// it. It also returns the bindings the column stands for, which a USING join then merges.
func (f *sqlFrame) lookup(name string) (sqlCol, []*sqlBinding, bool, error) {
	var found []string
	var col sqlCol
	var covers []*sqlBinding
	u := f.merged[lowerName(name)]
	if u != nil {
		col = u.col
		for _, b := range f.bindings {
			if u.covers[b] {
				covers = append(covers, b)
			}
		}
		found = append(found, covers[0].shown) // the left-most side, which DuckDB binds
	}
	for _, b := range f.bindings {
		if c, ok := b.rel.column(name); ok && (u == nil || !u.covers[b]) {
			col, covers, found = c, []*sqlBinding{b}, append(found, b.shown)
		}
	}
	if len(found) > 1 {
		slices.Sort(found)
		return sqlCol{}, nil, false, refuseSQL("列 %s 有歧义: 出现在 %s", name, strings.Join(found, ", "))
	}
	return sqlCol{name: col.name, refs: col.refs}, covers, len(found) == 1, nil
}

func (e *exprWalker) alias(name string) (sqlCol, bool) {
	if e.aliasIndex == nil || e.aliasDone > len(e.aliases) {
		e.aliasIndex, e.aliasDone = map[string]int{}, 0
	}
	for ; e.aliasDone < len(e.aliases); e.aliasDone++ { // the outputs only ever grow by appending
		if key := lowerName(e.aliases[e.aliasDone].name); key != "" {
			if _, seen := e.aliasIndex[key]; !seen {
				e.aliasIndex[key] = e.aliasDone
			}
		}
	}
	if i, ok := e.aliasIndex[lowerName(name)]; ok {
		return e.aliases[i], true
	}
	return sqlCol{}, false
}

// item reads one select-list item into its output columns; a bare column keeps its name.
func (e *exprWalker) item(n jsonObj) ([]sqlCol, error) {
	if n["class"] == "STAR" {
		return e.star(n)
	}
	e.agg = false
	col := sqlCol{name: jsonStr(n, "alias"), refs: refSet{}}
	if n["class"] == "COLUMN_REF" {
		c, err := e.resolveRef(jsonStrs(n, "column_names"))
		e.w.add(col.refs, c.refs, ViaDirect)
		col.name, col.agg = cmp.Or(col.name, c.name), c.agg
		return []sqlCol{col}, err
	}
	err := e.expr(n, ViaDirect, col.refs)
	col.agg = e.agg
	return []sqlCol{col}, err
}

// star expands * or t.* from the frame, with EXCLUDE, REPLACE and RENAME; COLUMNS(…) is refused
// since which columns it picks is a pattern match the walk would have to guess.
func (e *exprWalker) star(n jsonObj) ([]sqlCol, error) {
	if n["columns"] == true || n["expr"] != nil {
		return nil, refuseSQL("不支持 COLUMNS(...), 请写出列名")
	}
	src := e.s.frame.star
	if r := jsonStr(n, "relation_name"); r != "" {
		b := e.s.frame.binding(r)
		if b == nil {
			return nil, refuseSQL("未知的表或别名 %s", r)
		}
		src = nil
		for _, c := range b.rel.columns {
			src = append(src, sqlStar{sqlCol: c, from: b})
		}
	}
	if len(src) == 0 {
		return nil, refuseSQL("SELECT * 没有可展开的列")
	}
	if err := e.w.spend(len(src)); err != nil {
		return nil, err
	}
	pending := map[string]string{} // every EXCLUDE, REPLACE and RENAME must meet its column
	excluded, replaced, renames := map[string]bool{}, map[string]jsonObj{}, map[string]string{}
	for _, x := range jsonStrs(n, "exclude_list") {
		excluded["*."+lowerName(x)], pending["*."+lowerName(x)] = true, x
	}
	for _, q := range jsonArr(n, "qualified_exclude_list") {
		key := lowerName(jsonStr(asJSONObj(q), "table")) + "." + lowerName(jsonStr(asJSONObj(q), "column"))
		excluded[key], pending[key] = true, jsonStr(asJSONObj(q), "column")
	}
	for _, r := range jsonArr(n, "replace_list") {
		key := jsonStr(asJSONObj(r), "key")
		replaced[lowerName(key)], pending["*."+lowerName(key)] = asJSONObj(asJSONObj(r)["value"]), key
	}
	for _, r := range jsonArr(n, "rename_list") {
		key := asJSONObj(asJSONObj(r)["key"])
		k := cmp.Or(lowerName(jsonStr(key, "table")), "*") + "." + lowerName(jsonStr(key, "column"))
		renames[k], pending[k] = jsonStr(asJSONObj(r), "value"), jsonStr(key, "column")
	}
	var out []sqlCol
	for _, c := range src {
		plain, qual := "*."+lowerName(c.name), "*"
		if c.from != nil {
			qual = c.from.name + "." + lowerName(c.name)
		}
		delete(pending, plain)
		delete(pending, qual)
		if excluded[plain] || excluded[qual] {
			continue
		}
		col := sqlCol{name: c.name, refs: c.refs}
		if x, ok := replaced[lowerName(c.name)]; ok {
			e.agg, col.refs = false, refSet{}
			if err := e.expr(x, ViaDirect, col.refs); err != nil {
				return nil, err
			}
			col.agg = e.agg
		}
		col.name = cmp.Or(cmp.Or(renames[qual], renames[plain]), col.name)
		out = append(out, col)
	}
	for _, k := range slices.Sorted(maps.Keys(pending)) {
		return nil, refuseSQL("* 的 EXCLUDE、REPLACE 或 RENAME 中的列 %s 不存在", pending[k])
	}
	return out, nil
}

func (e *exprWalker) clause(v any, via Via, into refSet) error {
	if n := asJSONObj(v); n != nil {
		return e.expr(n, via, into)
	}
	return nil
}

// positional reads a GROUP BY, ORDER BY or DISTINCT ON item, where an integer means the output
// column at that position and ORDER BY ALL means every output.
func (e *exprWalker) positional(n jsonObj, via Via, outs []sqlCol, into refSet, aliasFirst bool) error {
	if i, ok := intLiteral(n); ok {
		if i < 1 || i > len(outs) {
			return refuseSQL("位置 %d 超出输出列的范围 1 到 %d", i, len(outs))
		}
		e.w.add(into, outs[i-1].refs, via)
		return nil
	}
	if n["class"] == "STAR" && n["columns"] == true && n["expr"] == nil && jsonStr(n, "relation_name") == "" {
		for _, c := range outs {
			e.w.add(into, c.refs, via)
		}
		return nil
	}
	e.aliases, e.aliasFirst = outs, aliasFirst
	defer func() { e.aliasFirst = false }()
	return e.expr(n, via, into)
}

// modifiers reads ORDER BY, LIMIT and DISTINCT ON. Ordering decides which rows appear only when a
// LIMIT cuts the ordered rows; without one it is still resolved, so that a wrong name is refused.
func (e *exprWalker) modifiers(node jsonObj, rel *sqlRel) error {
	mods := jsonArr(node, "modifiers")
	limited := slices.ContainsFunc(mods, func(m any) bool {
		return slices.Contains([]string{"LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER"}, jsonStr(asJSONObj(m), "type"))
	})
	e.aliases = rel.columns
	for _, m := range mods {
		mod := asJSONObj(m)
		switch t := jsonStr(mod, "type"); t {
		case "ORDER_MODIFIER":
			order := refSet{}
			for _, o := range jsonArr(mod, "orders") {
				if err := e.positional(asJSONObj(asJSONObj(o)["expression"]), ViaFilter, rel.columns, order, true); err != nil {
					return err
				}
			}
			if limited {
				e.w.add(rel.filters, order, ViaFilter)
			}
		case "LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER":
			for _, k := range []string{"limit", "offset"} {
				if err := e.clause(mod[k], ViaFilter, rel.filters); err != nil {
					return err
				}
			}
		case "DISTINCT_MODIFIER":
			for _, d := range jsonArr(mod, "distinct_on_targets") {
				if err := e.positional(asJSONObj(d), ViaFilter, rel.columns, rel.filters, true); err != nil {
					return err
				}
			}
		default:
			return refuseSQL("不支持的查询修饰 %s", t)
		}
	}
	return nil
}
