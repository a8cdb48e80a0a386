package ingest

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// rowScope is a catalogue row scope (Access.LoadScope, Access.ReplaceScope) prepared for one
// entry. A row is the principal's when each item that ties it to a district holds one of the
// scope's districts: only such rows may be loaded, and a scoped replacement removes only such
// rows of the parent, so it takes away nothing the principal could not have loaded itself. A row
// naming two districts, one of them another's, is not the principal's to load or to remove.
type rowScope struct {
	items     []scopeItem
	codes     map[string]struct{} // allowed district codes, for STRING items
	ints      map[int64]struct{}  // the same as numbers, for INT items
	districts []string            // allowed codes, in the decision's order
	names     string              // allowed districts by name, for reasons: "万州区、渝中区"
	// period, when set, narrows a replacement to the rows whose period item lies in the range
	// the new rows cover.
	period *periodScope
}

// periodScope is a replacement's periods: rows whose item field holds one of the values the new
// rows report. A set, not a range: a file of September and November replaces neither October
// nor anything between two far-apart dates.
type periodScope struct {
	field     string
	timestamp bool // a TIMESTAMP item (microseconds), else a DATE item (days)
	micros    map[int64]struct{}
	days      map[arrow.Date32]struct{}
	from, to  time.Time
}

// withPeriod narrows sc, a replacement's scope, to the periods ps of the new rows. An entry with a
// period item needs them: without any period value in the new rows the replacement could not say
// which of the district's periods it replaces.
func (sc *rowScope) withPeriod(e *catalog.Entry, rs *catalog.RowScope, ps *periodSet) error {
	if rs.Period == "" {
		return nil
	}
	it, _, ok := e.Items.Field(rs.Period)
	if !ok {
		return fmt.Errorf("entry %s: period item %q: %w", e.ResourceCode, rs.Period, schemas.ErrInvalid)
	}
	name := it.Name
	switch {
	case len(ps.values) == 0:
		return schemas.Userf(ErrInvalidSubmission, "替换报送须至少含一行有效的“%s”, 以确定替换哪些时段的数据", name)
	case ps.overflow:
		return schemas.Userf(ErrInvalidSubmission, "替换报送的“%s”超过 %d 个不同时段, 请分批替换", name, maxPeriods)
	}
	p := &periodScope{field: rs.Period, timestamp: it.Type == schemas.Timestamp, micros: ps.values, from: ps.from, to: ps.to}
	if !p.timestamp {
		p.days = make(map[arrow.Date32]struct{}, len(ps.values))
		for us := range ps.values {
			p.days[arrow.Date32FromTime(time.UnixMicro(us).UTC())] = struct{}{}
		}
	}
	sc.period = p
	return nil
}

// describe is the periods for the manifest summary: "2 个时段: 2025-04-01 至 2025-05-01".
func (ps *periodScope) describe() string {
	layout := "2006-01-02"
	if ps.timestamp {
		layout = time.RFC3339
	}
	return fmt.Sprintf("%d 个时段: %s 至 %s", len(ps.micros), ps.from.UTC().Format(layout), ps.to.UTC().Format(layout))
}

// scopeItem is one district-coded item of the entry.
type scopeItem struct {
	item    int    // index into the entry's items
	field   string // item field identifier, the column name in the lake
	name    string // item name, for reasons when the file has no column for it
	numeric bool   // an INT item
}

// newRowScope prepares rs for entry e; nil when rs is nil (no restriction).
func newRowScope(e *catalog.Entry, rs *catalog.RowScope) (*rowScope, error) {
	if rs == nil {
		return nil, nil
	}
	if len(rs.Fields) == 0 {
		return nil, fmt.Errorf("entry %s: row scope without district items: %w", e.ResourceCode, schemas.ErrInvalid)
	}
	sc := &rowScope{codes: map[string]struct{}{}, ints: map[int64]struct{}{}, districts: slices.Clone(rs.Districts)}
	for _, f := range rs.Fields {
		it, i, ok := e.Items.Field(f)
		if !ok {
			return nil, fmt.Errorf("entry %s: row scope names unknown item %q: %w", e.ResourceCode, f, schemas.ErrInvalid)
		}
		if it.Type != schemas.String && it.Type != schemas.Int {
			return nil, fmt.Errorf("entry %s: district item %s has type %s, not STRING or INT: %w", e.ResourceCode, f, it.Type, schemas.ErrInvalid)
		}
		sc.items = append(sc.items, scopeItem{item: i, field: f, name: it.Name, numeric: it.Type == schemas.Int})
	}
	for _, code := range rs.Districts {
		sc.codes[code] = struct{}{}
		if n, err := strconv.ParseInt(code, 10, 64); err == nil {
			sc.ints[n] = struct{}{}
		}
	}
	sc.names = districtNames(rs.Districts)
	return sc, nil
}

// holds reports whether the parsed, non-null value of item it is one of the scope's districts.
func (sc *rowScope) holds(it *scopeItem, v *value) bool {
	if it.numeric {
		_, ok := sc.ints[v.i]
		return ok
	}
	_, ok := sc.codes[v.s]
	return ok
}

// loadCheck is the row scope of one load, bound to the columns of the submitted file.
type loadCheck struct {
	*rowScope
	cols []int // per scope item: the file column holding it, -1 when the file has none
}

// forPlan binds the scope to the columns of a submitted file; nil for no scope.
func (sc *rowScope) forPlan(p *plan) *loadCheck {
	if sc == nil {
		return nil
	}
	lc := &loadCheck{rowScope: sc, cols: make([]int, len(sc.items))}
	for i, it := range sc.items {
		lc.cols[i] = slices.IndexFunc(p.cols, func(c column) bool { return c.item == it.item })
	}
	return lc
}

// check appends a reject for each district item of the row that does not hold one of the
// scope's districts. vals are the row's values as plan.row filled them; an item whose cell was
// rejected already is not reported twice.
func (lc *loadCheck) check(p *plan, line int, rec []string, vals []value, rejects []Reject) []Reject {
	for i := range lc.items {
		it := &lc.items[i]
		v := &vals[it.item]
		if !v.null && lc.holds(it, v) {
			continue
		}
		if v.null && slices.ContainsFunc(rejects, func(r Reject) bool { return r.Field == it.field }) {
			continue
		}
		header, raw := it.name, ""
		if c := lc.cols[i]; c >= 0 {
			header, raw = p.cols[c].header, rec[c]
		}
		reason := fmt.Sprintf("%s为空，不在本账号的报送范围（%s）内", header, lc.names)
		if s := trimBlank(raw); s != "" {
			reason = fmt.Sprintf("%s“%s”不在本账号的报送范围（%s）内", header, clip(s), lc.names)
		}
		rejects = append(rejects, Reject{Row: line, Column: header, Field: it.field, Value: clip(raw), Reason: reason})
	}
	return rejects
}

// columns are the district items' columns and the period's, which within reads.
func (sc *rowScope) columns() []string {
	out := make([]string, 0, len(sc.items)+1)
	for _, it := range sc.items {
		out = append(out, it.field)
	}
	if sc.period != nil {
		out = append(out, sc.period.field)
	}
	return out
}

// within reports for each row of rec whether it is the principal's. A district column the
// record lacks holds no district, so no row is.
func (sc *rowScope) within(rec arrow.RecordBatch) ([]bool, error) {
	n := int(rec.NumRows())
	in := make([]bool, n)
	for i := range in {
		in[i] = true
	}
	for _, it := range sc.items {
		idx := rec.Schema().FieldIndices(it.field)
		if len(idx) == 0 {
			clear(in)
			return in, nil
		}
		switch col := rec.Column(idx[0]).(type) {
		case *array.String:
			for r := range n {
				if in[r] {
					_, ok := sc.codes[col.Value(r)]
					in[r] = ok && col.IsValid(r)
				}
			}
		case *array.Int64:
			for r := range n {
				if in[r] {
					_, ok := sc.ints[col.Value(r)]
					in[r] = ok && col.IsValid(r)
				}
			}
		default:
			return nil, fmt.Errorf("district column %s has type %s: %w", it.field, col.DataType(), schemas.ErrInvalid)
		}
	}
	if sc.period != nil {
		return sc.inPeriod(rec, in)
	}
	return in, nil
}

// inPeriod keeps in[r] only for rows whose period value is one the new rows report; a record
// without the period column has no row in it.
func (sc *rowScope) inPeriod(rec arrow.RecordBatch, in []bool) ([]bool, error) {
	ps := sc.period
	idx := rec.Schema().FieldIndices(ps.field)
	if len(idx) == 0 {
		clear(in)
		return in, nil
	}
	switch col := rec.Column(idx[0]).(type) {
	case *array.Date32:
		for r := range in {
			if in[r] {
				_, ok := ps.days[col.Value(r)]
				in[r] = ok && col.IsValid(r)
			}
		}
	case *array.Timestamp:
		for r := range in {
			if in[r] {
				_, ok := ps.micros[int64(col.Value(r))]
				in[r] = ok && col.IsValid(r)
			}
		}
	default:
		return nil, fmt.Errorf("period column %s has type %s: %w", ps.field, col.DataType(), schemas.ErrInvalid)
	}
	return in, nil
}

// fileClass is what the bounds of a data file tell about its rows.
type fileClass int

const (
	classUnknown fileClass = iota // some rows may be the principal's and some not: read it
	classOutside                  // no row is the principal's: keep the file as it is
	classWithin                   // every row is the principal's: drop the file
)

// classify judges a data file by its recorded bounds without reading it.
func (sc *rowScope) classify(f lake.DataFile) fileClass {
	if f.Bounds == nil {
		return classUnknown
	}
	within := true
	for i := range sc.items {
		it := &sc.items[i]
		b, ok := f.Bounds[it.field]
		if !ok {
			within = false
			continue
		}
		if b.Nulls == f.Rows || !sc.anyBetween(it, b) {
			return classOutside // a row is the principal's only if every district item is
		}
		// Only a single allowed value is certain to be within: bounds say nothing of the values
		// between two allowed codes.
		if b.Nulls > 0 || b.Min != b.Max || !slices.Contains(sc.districts, b.Min) {
			within = false
		}
	}
	if within && sc.period == nil { // dates carry no bounds: a period leaves the file to be read
		return classWithin
	}
	return classUnknown
}

// anyBetween reports whether one of the scope's districts lies within bound b of item it.
func (sc *rowScope) anyBetween(it *scopeItem, b lake.Bound) bool {
	for _, d := range sc.districts {
		if lake.CompareBound(it.numeric, b.Min, d) <= 0 && lake.CompareBound(it.numeric, d, b.Max) <= 0 {
			return true
		}
	}
	return false
}
