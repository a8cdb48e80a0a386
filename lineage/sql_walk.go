package lineage

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The walk over DuckDB's parse tree. A query node becomes a relation (its output columns with
// their sources, the columns that choose its rows, the entries it reads); a FROM clause becomes a
// frame of named bindings that expressions resolve their column references in.

type sqlCol struct {
	name string
	refs refSet
	agg  bool // an output whose expression calls an aggregate; GROUP BY ALL leaves it out
}

type sqlRel struct {
	columns []sqlCol
	filters refSet
	inputs  map[string]struct{}
	index   map[string]int // lower-case column name → position, once names are unique
}

func newSQLRel() *sqlRel {
	return &sqlRel{filters: refSet{}, inputs: map[string]struct{}{}}
}

// sqlBinding is one named relation in a FROM clause: a table, CTE or subquery under its alias.
type sqlBinding struct {
	name  string // lower case, "" for a subquery without alias
	shown string // as written, for messages
	rel   *sqlRel
}

// sqlUsing is a column a USING or NATURAL join made one: unqualified, it names neither side alone.
type sqlUsing struct {
	col    sqlCol
	covers map[*sqlBinding]bool
}

type sqlFrame struct {
	bindings []*sqlBinding
	merged   map[string]*sqlUsing
	star     []sqlStar // what SELECT * expands to, in DuckDB's order
	filters  refSet    // join conditions and the row choices of derived relations
	inputs   map[string]struct{}
}

type sqlStar struct {
	sqlCol
	from *sqlBinding
}

type sqlScope struct {
	parent *sqlScope
	frame  *sqlFrame // nil while the FROM clause of its query is being read
	ctes   map[string]*sqlRel
}

type sqlWalker struct {
	aggregates map[string]bool
	resolve    Resolver
	work       int // column copies, look-ups and nodes so far, against maxWork
}

func lowerName(s string) string { return strings.ToLower(s) }

func (w *sqlWalker) query(node jsonObj, parent *sqlScope) (*sqlRel, error) {
	if err := w.spend(1); err != nil {
		return nil, err
	}
	switch t := jsonStr(node, "type"); t {
	case "SELECT_NODE":
		return w.selectNode(node, parent)
	case "SET_OPERATION_NODE":
		return w.setOperation(node, parent)
	case "RECURSIVE_CTE_NODE":
		return nil, refuseSQL("不支持递归 CTE %s", jsonStr(node, "cte_name"))
	default:
		return nil, refuseSQL("不支持的查询结构 %s", t)
	}
}

// withCTEs reads a node's WITH clause; each CTE sees the ones before it. A CTE is walked once
// however often it is used, and also when unused, so that a wrong name in it is still refused.
func (w *sqlWalker) withCTEs(node jsonObj, parent *sqlScope) (*sqlScope, error) {
	s := &sqlScope{parent: parent, ctes: map[string]*sqlRel{}}
	for _, e := range jsonArr(asJSONObj(node["cte_map"]), "map") {
		name, def := jsonStr(asJSONObj(e), "key"), asJSONObj(asJSONObj(e)["value"])
		q := asJSONObj(asJSONObj(def["query"])["node"])
		if jsonStr(q, "type") == "RECURSIVE_CTE_NODE" {
			return nil, refuseSQL("不支持递归 CTE %s", name)
		}
		rel, err := w.query(q, s)
		if err == nil {
			rel, err = renameColumns(rel, jsonStrs(def, "aliases"), name)
		}
		if err != nil {
			return nil, err
		}
		s.ctes[lowerName(name)] = rel
	}
	return s, nil
}

func (s *sqlScope) cte(name string) *sqlRel {
	for ; s != nil; s = s.parent {
		if rel, ok := s.ctes[name]; ok {
			return rel
		}
	}
	return nil
}

func (w *sqlWalker) selectNode(node jsonObj, parent *sqlScope) (*sqlRel, error) {
	s, err := w.withCTEs(node, parent)
	if err != nil {
		return nil, err
	}
	if s.frame, err = w.from(asJSONObj(node["from_table"]), s); err != nil {
		return nil, err
	}
	rel := newSQLRel()
	w.add(rel.filters, s.frame.filters, ViaDirect)
	maps.Copy(rel.inputs, s.frame.inputs)
	e := &exprWalker{w: w, s: s, inputs: rel.inputs}
	for _, item := range jsonArr(node, "select_list") {
		cols, err := e.item(asJSONObj(item))
		if err != nil {
			return nil, err
		}
		rel.columns = append(rel.columns, cols...)
		e.aliases = rel.columns // a later item may use an earlier one's alias
	}
	for _, k := range []string{"where_clause", "having", "qualify"} {
		if err := e.clause(node[k], ViaFilter, rel.filters); err != nil {
			return nil, err
		}
	}
	groups := jsonArr(node, "group_expressions")
	for _, g := range groups {
		if err := e.positional(asJSONObj(g), ViaGroup, rel.columns, rel.filters, false); err != nil {
			return nil, err
		}
	}
	if len(groups) == 0 && jsonStr(node, "aggregate_handling") == "FORCE_AGGREGATES" { // GROUP BY ALL
		for _, c := range rel.columns {
			if !c.agg {
				w.add(rel.filters, c.refs, ViaGroup)
			}
		}
	}
	return rel, e.modifiers(node, rel)
}

// setOperation gives output column i the sources of column i of every branch (of the same name for
// UNION BY NAME), and the row choices of all branches.
func (w *sqlWalker) setOperation(node jsonObj, parent *sqlScope) (*sqlRel, error) {
	s, err := w.withCTEs(node, parent)
	if err != nil {
		return nil, err
	}
	op := jsonStr(node, "setop_type")
	if !slices.Contains([]string{"UNION", "UNION_BY_NAME", "EXCEPT", "INTERSECT"}, op) {
		return nil, refuseSQL("不支持的集合运算 %s", op)
	}
	kids := jsonArr(node, "children")
	if len(kids) == 0 {
		kids = []any{node["left"], node["right"]}
	}
	rel, byName := newSQLRel(), map[string]int{}
	for i, k := range kids {
		b, err := w.query(asJSONObj(k), s)
		if err == nil {
			err = w.spend(len(b.columns))
		}
		if err != nil {
			return nil, err
		}
		w.add(rel.filters, b.filters, ViaDirect)
		maps.Copy(rel.inputs, b.inputs)
		if i > 0 && op != "UNION_BY_NAME" && len(b.columns) != len(rel.columns) {
			return nil, refuseSQL("%s 的各分支列数不同: %d 与 %d", op, len(rel.columns), len(b.columns))
		}
		for j, c := range b.columns {
			if op == "UNION_BY_NAME" {
				var ok bool
				if j, ok = byName[lowerName(c.name)]; !ok {
					j = -1
				}
			}
			if i == 0 || j < 0 {
				rel.columns = append(rel.columns, sqlCol{name: c.name, refs: refSet{}})
				j = len(rel.columns) - 1
				byName[lowerName(c.name)] = j
			}
			w.add(rel.columns[j].refs, c.refs, ViaDirect)
		}
	}
	// ORDER BY and LIMIT of a set operation see only its output columns.
	outs, err := renameColumns(&sqlRel{columns: rel.columns}, nil, "")
	if err != nil {
		return nil, err
	}
	s.frame = &sqlFrame{bindings: []*sqlBinding{newSQLBinding("", outs)}}
	e := &exprWalker{w: w, s: s, inputs: rel.inputs}
	return rel, e.modifiers(node, rel)
}

// from reads a FROM item: only catalogue tables, CTEs and subqueries, joined in any way that can
// be attributed.
func (w *sqlWalker) from(n jsonObj, s *sqlScope) (*sqlFrame, error) {
	if err := w.spend(1); err != nil {
		return nil, err
	}
	switch t := jsonStr(n, "type"); t {
	case "", "EMPTY":
		return &sqlFrame{filters: refSet{}, inputs: map[string]struct{}{}}, nil
	case "BASE_TABLE":
		name := jsonStr(n, "table_name")
		if sch, cat := jsonStr(n, "schema_name"), jsonStr(n, "catalog_name"); sch != "" || cat != "" {
			full := strings.TrimPrefix(strings.Join([]string{cat, sch, name}, "."), ".")
			return nil, refuseSQL("不支持带模式限定的表名 %s, 请直接写表名", full)
		}
		if n["at_clause"] != nil {
			return nil, refuseSQL("不支持对数据表 %s 使用 AT 子句", name)
		}
		rel := s.cte(lowerName(name))
		if rel == nil {
			t, ok := w.resolve(lowerName(name))
			if !ok {
				return nil, refuseSQL("未知的数据表 %s", name)
			}
			rel = newSQLRel()
			rel.inputs[t.Entry] = struct{}{}
			for _, c := range t.Columns {
				rel.columns = append(rel.columns, sqlCol{name: c, refs: refSet{{Entry: t.Entry, Field: c, Via: ViaDirect}: {}}})
			}
		}
		return w.singleFrame(cmp.Or(jsonStr(n, "alias"), name), rel, jsonStrs(n, "column_name_alias"))
	case "SUBQUERY":
		rel, err := w.query(asJSONObj(asJSONObj(n["subquery"])["node"]), s)
		if err != nil {
			return nil, err
		}
		return w.singleFrame(jsonStr(n, "alias"), rel, jsonStrs(n, "column_name_alias"))
	case "JOIN":
		return w.join(n, s)
	case "TABLE_FUNCTION":
		return nil, refuseSQL("不支持表函数或文件读取 %s: FROM 只能是目录中的数据表、CTE 或子查询",
			jsonStr(asJSONObj(n["function"]), "function_name"))
	default:
		return nil, refuseSQL("不支持的 FROM 项 %s: FROM 只能是目录中的数据表、CTE 或子查询", t)
	}
}

// renameColumns applies column aliases (t AS x(a, b), WITH c(a, b)) and, as DuckDB does, names a
// repeated column name_1, name_2, … so that each stays reachable. A relation already so named (a
// CTE read again) is returned as it is.
func renameColumns(rel *sqlRel, aliases []string, name string) (*sqlRel, error) {
	if len(aliases) > len(rel.columns) {
		return nil, refuseSQL("%s 给出 %d 个列别名, 但只有 %d 列", cmp.Or(name, "子查询"), len(aliases), len(rel.columns))
	}
	if rel.index != nil && len(aliases) == 0 {
		return rel, nil
	}
	out := *rel
	out.columns, out.index = slices.Clone(rel.columns), map[string]int{}
	suffix := map[string]int{} // next _k to try for a name, so that many repeats stay linear
	for i := range out.columns {
		if i < len(aliases) {
			out.columns[i].name = aliases[i]
		}
		n, base := out.columns[i].name, lowerName(out.columns[i].name)
		for ; n != "" && out.index[lowerName(n)] > 0; suffix[base]++ {
			n = fmt.Sprintf("%s_%d", out.columns[i].name, max(suffix[base], 1))
		}
		if out.columns[i].name = n; n != "" {
			out.index[lowerName(n)] = i + 1 // 0 is absent
		}
	}
	return &out, nil
}

// column is the column of the relation with that name, if any.
func (r *sqlRel) column(name string) (sqlCol, bool) {
	i := r.index[lowerName(name)]
	if i == 0 {
		return sqlCol{}, false
	}
	return r.columns[i-1], true
}

func newSQLBinding(name string, rel *sqlRel) *sqlBinding {
	return &sqlBinding{name: lowerName(name), shown: cmp.Or(name, "子查询"), rel: rel}
}

func (w *sqlWalker) singleFrame(name string, rel *sqlRel, aliases []string) (*sqlFrame, error) {
	if err := w.spend(len(rel.columns)); err != nil {
		return nil, err
	}
	rel, err := renameColumns(rel, aliases, name)
	if err != nil {
		return nil, err
	}
	b := newSQLBinding(name, rel)
	f := &sqlFrame{bindings: []*sqlBinding{b}, filters: refSet{}, inputs: maps.Clone(rel.inputs)}
	w.add(f.filters, rel.filters, ViaDirect)
	for _, c := range rel.columns {
		f.star = append(f.star, sqlStar{sqlCol: c, from: b})
	}
	return f, nil
}

// join reads a JOIN: both sides, its condition (ON, USING or NATURAL) as a row filter, and which
// columns it makes one. SEMI and ANTI joins keep only the left side visible.
func (w *sqlWalker) join(n jsonObj, s *sqlScope) (*sqlFrame, error) {
	left, err := w.from(asJSONObj(n["left"]), s)
	if err != nil {
		return nil, err
	}
	// A subquery on the right may read the left side's columns: DuckDB joins it laterally.
	right, err := w.from(asJSONObj(n["right"]), &sqlScope{parent: s, frame: left})
	if err != nil {
		return nil, err
	}
	if err := w.spend(len(left.star) + len(right.star) + len(left.bindings) + len(right.bindings)); err != nil {
		return nil, err
	}
	jt, rt := jsonStr(n, "join_type"), jsonStr(n, "ref_type")
	if !slices.Contains([]string{"INNER", "LEFT", "RIGHT", "FULL", "OUTER", "SEMI", "ANTI"}, jt) {
		return nil, refuseSQL("不支持 %s 连接", jt)
	}
	if !slices.Contains([]string{"REGULAR", "CROSS", "NATURAL", "ASOF"}, rt) {
		return nil, refuseSQL("不支持 %s JOIN", rt)
	}
	for _, b := range right.bindings {
		if b.name != "" && left.binding(b.name) != nil {
			return nil, refuseSQL("表名或别名 %s 重复", b.shown)
		}
	}
	f := &sqlFrame{bindings: append(slices.Clone(left.bindings), right.bindings...), filters: refSet{},
		merged: map[string]*sqlUsing{}, inputs: maps.Clone(left.inputs)}
	maps.Copy(f.merged, left.merged)
	maps.Copy(f.merged, right.merged)
	maps.Copy(f.inputs, right.inputs)
	w.add(f.filters, left.filters, ViaDirect)
	w.add(f.filters, right.filters, ViaDirect)
	e := &exprWalker{w: w, s: &sqlScope{parent: s, frame: f}, inputs: f.inputs}
	if err := e.clause(n["condition"], ViaFilter, f.filters); err != nil {
		return nil, err
	}
	using, isUsing := jsonStrs(n, "using_columns"), map[string]bool{}
	if rt == "NATURAL" {
		onRight := map[string]bool{}
		for _, c := range right.star {
			onRight[lowerName(c.name)] = true
		}
		for _, c := range left.star {
			if c.name != "" && onRight[lowerName(c.name)] && !slices.Contains(using, c.name) {
				using = append(using, c.name)
			}
		}
		if len(using) == 0 {
			return nil, refuseSQL("NATURAL JOIN 的两侧没有同名列, 无法确定连接条件")
		}
	}
	for _, name := range using {
		lcol, lcov, lok, err := left.lookup(name)
		if err != nil {
			return nil, err
		}
		rcol, rcov, rok, err := right.lookup(name)
		if err != nil {
			return nil, err
		}
		if !lok || !rok {
			return nil, refuseSQL("USING 的列 %s 不在连接的两侧", name)
		}
		w.add(f.filters, lcol.refs, ViaFilter)
		w.add(f.filters, rcol.refs, ViaFilter)
		u := &sqlUsing{col: sqlCol{name: lcol.name, refs: refSet{}}, covers: map[*sqlBinding]bool{}}
		for _, b := range append(lcov, rcov...) {
			u.covers[b] = true
		}
		switch jt { // what DuckDB binds the unqualified name to
		case "RIGHT":
			w.add(u.col.refs, rcol.refs, ViaDirect)
		case "FULL", "OUTER": // COALESCE(left, right)
			w.add(u.col.refs, lcol.refs, ViaDirect)
			w.add(u.col.refs, rcol.refs, ViaDirect)
		default:
			w.add(u.col.refs, lcol.refs, ViaDirect)
		}
		f.merged[lowerName(name)], isUsing[lowerName(name)] = u, true
	}
	if jt == "SEMI" || jt == "ANTI" {
		f.bindings, f.merged, f.star = left.bindings, left.merged, left.star
		return f, nil
	}
	// SELECT * shows a USING column once, where the left side has it.
	for _, c := range left.star {
		if isUsing[lowerName(c.name)] {
			c.refs = f.merged[lowerName(c.name)].col.refs
		}
		f.star = append(f.star, c)
	}
	for _, c := range right.star {
		if !isUsing[lowerName(c.name)] {
			f.star = append(f.star, c)
		}
	}
	return f, nil
}
