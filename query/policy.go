package query

import (
	"fmt"
	"slices"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The policy stage: the one place where a Plan meets the catalogue's access decision. Resolvers
// build a plan from the arguments alone; applyPolicy then rewrites or refuses it, before any SQL
// exists, so that every output path (rows, aggregates, filters, ordering, grouping) is governed
// by the same answer the other doors get.

// visibleColumns are the plan columns of the items the decision shows.
func visibleColumns(e *catalog.Entry, a catalog.Access) []Column { return visibleOf(columns(e), a) }

// visibleOf keeps the columns of cols whose items the decision shows: cols itself, not a copy,
// when it shows them all.
func visibleOf(cols []Column, a catalog.Access) []Column {
	visible := func(field string) bool { return itemVisible(a, field) }
	if !slices.ContainsFunc(cols, func(c Column) bool { return !visible(c.Field) }) {
		return cols
	}
	var out []Column
	for _, c := range cols {
		if visible(c.Field) {
			out = append(out, c)
		}
	}
	return out
}

// itemVisible reports whether the decision a shows the item field.
func itemVisible(a catalog.Access, field string) bool {
	for _, it := range a.Items {
		if it.Field == field {
			return it.Visible
		}
	}
	return false
}

// anyVisible reports whether visibleColumns(e, a) holds any, without making them.
func anyVisible(e *catalog.Entry, a catalog.Access) bool {
	for _, it := range e.Items.All() {
		if schemas.CheckIdent(it.Field) == nil && it.Type.Valid() && itemVisible(a, it.Field) {
			return true
		}
	}
	return false
}

// applyPolicy rewrites p for the decision a on entry e:
//   - no read right: the entry's data does not exist for the principal;
//   - aggregates only: row reads are refused; with a minimum group size, smaller groups (and
//     filtered totals) are withheld by the SQL itself;
//   - every column the plan names must be a visible item; a masked item is projected through its
//     masking expression and refused in filters, ordering, groups and aggregates (mask.go);
//   - the row scope becomes a bound predicate ANDed to the filter, so that rows, counts and every
//     aggregate see the same rows.
func applyPolicy(p *Plan, e *catalog.Entry, a catalog.Access) error {
	if !a.Exists || !a.Read {
		return notFound(e.ResourceCode)
	}
	if a.AggregatesOnly && !p.Aggregate {
		return &userError{msg: fmt.Sprintf("数据表 %s 只允许统计查询, 请使用 %s_aggregate", e.Table, e.Table), err: ErrForbidden}
	}
	if a.MinGroupSize > 0 {
		if !p.Aggregate {
			return &userError{msg: fmt.Sprintf("数据表 %s 只允许统计查询, 请使用 %s_aggregate", e.Table, e.Table), err: ErrForbidden}
		}
		p.MinGroup = a.MinGroupSize
	}
	if a.AggregatesOnly {
		if err := aggregateRules(p, e); err != nil {
			return err
		}
	}
	items := map[string]catalog.ItemAccess{}
	for _, it := range a.Items {
		items[it.Field] = it
	}
	for _, c := range p.referenced() {
		if it, ok := items[c.Field]; !ok || !it.Visible {
			return invalidf("数据表 %s 没有字段 %s", e.Table, c.Field)
		}
	}
	// A masked item is projected masked and used for nothing else (mask.go).
	for _, c := range p.conditioned() {
		if m := items[c.Field].Mask; m != "" {
			return &userError{msg: fmt.Sprintf("字段 %s 为个人信息（%s），只返回脱敏后的值，不能用于过滤、排序、分组或统计",
				c.Field, schemas.PITypes.NameOf(m)), err: ErrForbidden}
		}
	}
	p.Masks = nil
	for _, c := range p.Columns {
		if m := items[c.Field].Mask; m != "" {
			if p.Masks == nil {
				p.Masks = map[string]string{}
			}
			p.Masks[c.Field] = m
		}
	}
	p.Source = visibleColumns(e, a)
	if a.Rows == nil {
		return nil
	}
	scope, err := scopeCond(e, a.Rows)
	if err != nil {
		return err
	}
	if p.Where == nil {
		p.Where = scope
	} else {
		p.Where = &Cond{And: []*Cond{p.Where, scope}}
	}
	return nil
}

// scopeCond is the row scope as a filter: any district item holds one of the districts.
func scopeCond(e *catalog.Entry, rs *catalog.RowScope) (*Cond, error) {
	vals := make([]any, len(rs.Districts))
	for i, d := range rs.Districts {
		vals[i] = d
	}
	or := &Cond{}
	for _, f := range rs.Fields {
		c, err := column(e, f)
		if err != nil || c.Type != schemas.String {
			// A scope the SQL cannot express must not become "every row".
			return nil, fmt.Errorf("row scope of %s on item %s cannot be applied: %w", e.ResourceCode, f, ErrForbidden)
		}
		or.Or = append(or.Or, &Cond{Column: c, Op: OpIn, Values: vals})
	}
	if len(or.Or) == 0 || len(vals) == 0 {
		return nil, fmt.Errorf("row scope of %s is empty: %w", e.ResourceCode, ErrForbidden)
	}
	return or, nil
}

// referenced lists every column the plan reads, filters, orders, groups or aggregates on.
func (p *Plan) referenced() []Column {
	return append(append([]Column(nil), p.Columns...), p.conditioned()...)
}

// conditioned lists every column the plan filters, orders, groups or aggregates on: all it
// references but its projection.
func (p *Plan) conditioned() []Column {
	var out []Column
	for _, o := range p.OrderBy {
		out = append(out, o.Column)
	}
	out = append(out, p.GroupBy...)
	for _, a := range p.Aggs {
		out = append(out, a.Column)
	}
	var walk func(c *Cond)
	walk = func(c *Cond) {
		if c == nil {
			return
		}
		if c.Column.Field != "" {
			out = append(out, c.Column)
		}
		for _, x := range c.And {
			walk(x)
		}
		for _, x := range c.Or {
			walk(x)
		}
	}
	walk(p.Where)
	return out
}

// aggregateRules hold an aggregates-only reader to statistics: no filter or group on a key item
// (which names single rows), no range over text (a binary search spells values out), and min/max
// only over numbers and dates. With the minimum group size this keeps single rows out of plain
// answers; it does not stop differencing between overlapping filters, which the aggregation
// rules of the governed-query policy are for.
func aggregateRules(p *Plan, e *catalog.Entry) error {
	key := map[string]bool{}
	for _, it := range e.Items.All() {
		key[it.Field] = it.IsKey
	}
	refuse := func(format string, args ...any) error {
		return &userError{msg: fmt.Sprintf(format, args...), err: ErrForbidden}
	}
	for _, c := range p.GroupBy {
		if key[c.Field] {
			return refuse("只允许统计查询的账号不能按主键字段 %s 分组", c.Field)
		}
	}
	for _, ag := range p.Aggs {
		if (ag.Func == AggMin || ag.Func == AggMax) && ag.Column.Type == schemas.String {
			return refuse("只允许统计查询的账号不能取文本字段 %s 的最小值或最大值", ag.Column.Field)
		}
	}
	var walk func(c *Cond) error
	walk = func(c *Cond) error {
		if c == nil {
			return nil
		}
		if c.Column.Field != "" {
			if key[c.Column.Field] {
				return refuse("只允许统计查询的账号不能按主键字段 %s 过滤", c.Column.Field)
			}
			if c.Column.Type == schemas.String && c.Op != OpEq && c.Op != OpNe && c.Op != OpIn && c.Op != OpIsNull {
				return refuse("只允许统计查询的账号不能对文本字段 %s 做范围比较", c.Column.Field)
			}
		}
		for _, x := range append(append([]*Cond(nil), c.And...), c.Or...) {
			if err := walk(x); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(p.Where)
}
