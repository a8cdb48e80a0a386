package ingest

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// An entry's row checks beyond each cell's type: its items' ranges and its cross-field rules
// (catalog.ItemRange, catalog.ParseRule). They are parsed once per load into typed values and
// compared with the row's parsed values, so that a row costs a few comparisons, never a parse.
// A null passes both: whether a value is required is a check of its own.

// bound is one item's range.
type bound struct {
	lo, hi       value
	hasLo, hasHi bool
	typ          schemas.DataType
	kind         cmpKind
	name         string // the item's Chinese name
	min, max     string // the bounds as the catalogue holds them, for reasons
}

// cmpKind is how two values of a rule compare.
type cmpKind uint8

const (
	cmpInt    cmpKind = iota // both INT
	cmpFloat                 // numbers, one of them FLOAT
	cmpTime                  // DATE or TIMESTAMP
	cmpString                // STRING, = and != only
	cmpBool                  // BOOL, = and != only
)

// rowRule is one rule of the entry, ready for rows.
type rowRule struct {
	left, right   int // item positions; right is -1 for a constant
	ltyp, rtyp    schemas.DataType
	op            string
	kind          cmpKind
	constant      value
	label         string // the rule with the items' Chinese names
	field, header string // the left item's field and its column's header, for the reject
}

// compileChecks reads the ranges and rules of p's entry. The catalogue validated them, so an
// error here means the entry changed under a rule it no longer allows: the load is refused.
func (p *plan) compileChecks() error {
	e := p.entry
	headers := make([]string, len(p.items))
	for _, c := range p.cols {
		if c.item >= 0 {
			headers[c.item] = c.header
		}
	}
	for i, it := range p.items {
		if it.Min == "" && it.Max == "" {
			continue
		}
		lo, hi, err := catalog.ItemRange(it)
		if err != nil {
			return fmt.Errorf("entry %s item %s range: %w", e.ResourceCode, it.Field, err)
		}
		if p.bounds == nil {
			p.bounds = make([]*bound, len(p.items))
		}
		b := &bound{typ: it.Type, kind: kindOf(it.Type, it.Type), name: it.Name, min: it.Min, max: it.Max}
		b.lo, b.hasLo = valueOf(lo), lo != nil
		b.hi, b.hasHi = valueOf(hi), hi != nil
		p.bounds[i] = b
	}
	for _, text := range e.Rules {
		r, err := catalog.ParseRule(e.Items, text)
		if err != nil {
			return fmt.Errorf("entry %s rule %q: %w", e.ResourceCode, text, err)
		}
		rr := rowRule{left: r.LeftAt, right: r.RightAt, ltyp: r.Left.Type, rtyp: r.Left.Type, op: r.Op,
			label: r.Label(), field: r.Left.Field, header: headers[r.LeftAt]}
		if r.RightAt >= 0 {
			rr.rtyp = r.Right.Type
		} else {
			rr.constant = valueOf(r.Const)
		}
		rr.kind = kindOf(rr.ltyp, rr.rtyp)
		p.rules = append(p.rules, rr)
	}
	return nil
}

// valueOf is a parsed value (schemas.DataType.Parse's) as a row holds it; nil is null.
func valueOf(v any) value {
	switch x := v.(type) {
	case string:
		return value{s: x}
	case int64:
		return value{i: x}
	case float64:
		return value{f: x}
	case bool:
		return value{b: x}
	case time.Time:
		return value{t: x}
	}
	return value{null: true}
}

func kindOf(a, b schemas.DataType) cmpKind {
	switch {
	case a == schemas.Int && b == schemas.Int:
		return cmpInt
	case a.Numeric():
		return cmpFloat
	case a == schemas.Date || a == schemas.Timestamp:
		return cmpTime
	case a == schemas.Bool:
		return cmpBool
	}
	return cmpString
}

func number(t schemas.DataType, v *value) float64 {
	if t == schemas.Int {
		return float64(v.i)
	}
	return v.f
}

// compare orders a (of type at) against b (of type bt) as kind k does; for text and yes/no it
// only tells equal (0) from not (1).
func compare(k cmpKind, at, bt schemas.DataType, a, b *value) int {
	switch k {
	case cmpInt:
		return cmp.Compare(a.i, b.i)
	case cmpFloat:
		return cmp.Compare(number(at, a), number(bt, b))
	case cmpTime:
		return a.t.Compare(b.t)
	case cmpBool:
		if a.b == b.b {
			return 0
		}
		return 1
	}
	if a.s == b.s {
		return 0
	}
	return 1
}

func holds(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "=":
		return c == 0
	}
	return c != 0 // "!="
}

// outside returns why v, written as cell, is outside b; "" when it is within.
func (b *bound) outside(v *value, cell string) string {
	below := b.hasLo && compare(b.kind, b.typ, b.typ, v, &b.lo) < 0
	above := b.hasHi && compare(b.kind, b.typ, b.typ, v, &b.hi) > 0
	switch {
	case !below && !above:
		return ""
	case b.hasLo && b.hasHi:
		return fmt.Sprintf("“%s”值 %s 超出取值范围 %s–%s", b.name, cell, b.min, b.max)
	case below:
		return fmt.Sprintf("“%s”值 %s 小于最小值 %s", b.name, cell, b.min)
	}
	return fmt.Sprintf("“%s”值 %s 大于最大值 %s", b.name, cell, b.max)
}

// checkRules appends a reject for each rule of p the row vals breaks.
func (p *plan) checkRules(line int, vals []value, rejects []Reject) []Reject {
	for i := range p.rules {
		r := &p.rules[i]
		a, b := &vals[r.left], &r.constant
		if r.right >= 0 {
			b = &vals[r.right]
		}
		if a.null || b.null {
			continue
		}
		c := compare(r.kind, r.ltyp, r.rtyp, a, b)
		if holds(r.op, c) {
			continue
		}
		left := formatValue(r.ltyp, a)
		rejects = append(rejects, Reject{Row: line, Column: r.header, Field: r.field, Value: clip(left),
			Reason: fmt.Sprintf("不满足规则“%s”（%s %s %s）", r.label, left, relation(r.kind, c), formatValue(r.rtyp, b))})
	}
	return rejects
}

// relation is how two values that break a rule stand.
func relation(k cmpKind, c int) string {
	switch {
	case c == 0:
		return "="
	case k == cmpString || k == cmpBool:
		return "!="
	case c < 0:
		return "<"
	}
	return ">"
}

// formatValue writes a value for a reason, as the lake's readers show it.
func formatValue(t schemas.DataType, v *value) string {
	switch t {
	case schemas.Int:
		return strconv.FormatInt(v.i, 10)
	case schemas.Float:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case schemas.Date:
		return v.t.Format("2006-01-02")
	case schemas.Timestamp:
		return v.t.Format("2006-01-02 15:04:05")
	case schemas.Bool:
		if v.b {
			return "是"
		}
		return "否"
	}
	return v.s
}

// rejectedShare is the share of a load's rows into e that may be invalid: the entry's own
// setting when it has one, the service's (Config.MaxRejectedShare) otherwise.
func rejectedShare(e *catalog.Entry, service float64) float64 {
	if e.MaxRejectedPercent != nil {
		return *e.MaxRejectedPercent / 100
	}
	return service
}
