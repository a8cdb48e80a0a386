package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Transform makes an entry derived: its data is the result of a SQL query over other entries,
// materialised into its own snapshots through the same writer and commit as a load. Inputs,
// Columns and Filters are what the SQL reads, attributed by the lineage package from DuckDB's
// own parse of it, never typed by hand; the catalogue checks that they name entries and items
// that exist and that the derivations form no cycle.
//
// Grading follows the columns (DESIGN invariant 6): an output item is never graded below the
// highest grade of the input items that reach it (its sources and the filters), unless a
// reviewed downgrade recorded a waiver for it. Every command that writes an entry applies
// this, and a rise upstream re-grades every derived entry below in the same command
// (propagateGrades).
type Transform struct {
	SQL     string
	Inputs  []string        // resource codes of the entries the SQL reads, sorted
	Columns []DerivedColumn // one per output item, in output order
	Filters []ColumnSource  // input items that decide which rows appear (WHERE, JOIN ON, GROUP BY …)
	Waivers []GradeWaiver   // reviewed downgrades below the floor
}

// DerivedColumn is one output item and the input items it is computed from.
type DerivedColumn struct {
	Field   string
	Sources []ColumnSource
}

// ColumnSource is an input item (an entry's field) and how it reaches the output.
type ColumnSource struct {
	Entry string // resource code
	Field string
	Via   string // Via… below
}

// How an input item reaches an output item.
const (
	ViaDirect    = "direct"    // copied or computed row by row
	ViaAggregate = "aggregate" // inside an aggregate function
	ViaWindow    = "window"    // inside a window function
	ViaFilter    = "filter"    // decides which rows appear
	ViaGroup     = "group"     // a GROUP BY key
)

// ViaNames are the Chinese names of the ways an item reaches an output.
var ViaNames = map[string]string{
	ViaDirect: "直接取值或计算", ViaAggregate: "汇总", ViaWindow: "窗口计算", ViaFilter: "筛选条件", ViaGroup: "分组",
}

// GradeWaiver is a reviewed downgrade of a derived item below its floor (an anonymising
// aggregate, say): the item keeps Grade while the inputs that reach it are graded Floor or
// lower. A rise upstream above Floor ends the waiver and re-grades the item.
type GradeWaiver struct {
	Field string
	Grade schemas.Grade // the grade the review accepted
	Floor schemas.Grade // the inputs' grade the review saw
	Index uint64        // journal index of the approval
}

// MaxTransformSQL bounds a transform's SQL text.
const MaxTransformSQL = 64 << 10

// maxDerivationDepth bounds the chain of derived entries a cycle check or a propagation walks.
const maxDerivationDepth = 64

// Copy returns a deep copy of t (nil for nil).
func (t *Transform) Copy() *Transform {
	if t == nil {
		return nil
	}
	c := *t
	c.Inputs = slices.Clone(t.Inputs)
	c.Columns = make([]DerivedColumn, len(t.Columns))
	for i, col := range t.Columns {
		c.Columns[i] = DerivedColumn{Field: col.Field, Sources: slices.Clone(col.Sources)}
	}
	c.Filters = slices.Clone(t.Filters)
	c.Waivers = slices.Clone(t.Waivers)
	return &c
}

// DerivedFrom lists the entries whose transforms read code, as resource codes, sorted; the
// caller decides which of them a principal may see.
func (v *View) DerivedFrom(code string) []string { return derivedFrom(v.txn, code) }

// checkTransform checks e's transform: bounded SQL, inputs that exist and lead back to no
// derivation of e, output columns that are e's items, sources that are items of the inputs.
func checkTransform(txn *memdb.Txn, p *problems, e *Entry) {
	t := e.Transform
	if t == nil {
		return
	}
	if strings.TrimSpace(t.SQL) == "" {
		p.add("transform.sql", "必填")
	} else if len(t.SQL) > MaxTransformSQL {
		p.add("transform.sql", "长度 %d 字节，超过上限 %d", len(t.SQL), MaxTransformSQL)
	}
	if len(t.Inputs) == 0 {
		p.add("transform.inputs", "加工至少需要读取一个目录")
	}
	inputs := map[string]*Entry{}
	for _, in := range t.Inputs {
		if in == e.ResourceCode {
			p.add("transform.inputs", "目录不能由自身加工生成")
			continue
		}
		src, err := entryTxn(txn, in)
		if err != nil {
			p.add("transform.inputs", "目录%s不存在", schemas.Quote(in))
			continue
		}
		inputs[in] = src
	}
	if path := derivationPath(txn, e.ResourceCode, inputs); path != nil {
		p.add("transform.inputs", "形成循环加工：%s", strings.Join(path, " → "))
	}
	outputs := map[string]bool{}
	for i, c := range t.Columns {
		at := fmt.Sprintf("transform.columns[%d]", i)
		if _, ok := e.Item(c.Field); !ok {
			p.add(at, "输出列%s不是本目录的信息项", schemas.Quote(c.Field))
		}
		if outputs[c.Field] {
			p.add(at, "输出列%s重复", schemas.Quote(c.Field))
		}
		outputs[c.Field] = true
		for _, s := range c.Sources {
			checkSource(p, at, inputs, s)
		}
	}
	for _, it := range e.Items.All() {
		if !outputs[it.Field] {
			p.add("transform.columns", "信息项%s不是加工结果的输出列", schemas.Quote(it.Field))
		}
	}
	for i, s := range t.Filters {
		checkSource(p, fmt.Sprintf("transform.filters[%d]", i), inputs, s)
	}
	for i, w := range t.Waivers {
		if !outputs[w.Field] {
			p.add(fmt.Sprintf("transform.waivers[%d]", i), "%s不是输出列", schemas.Quote(w.Field))
		}
	}
}

func checkSource(p *problems, at string, inputs map[string]*Entry, s ColumnSource) {
	src, ok := inputs[s.Entry]
	if !ok {
		p.add(at, "来源目录%s不在加工的输入之中", schemas.Quote(s.Entry))
		return
	}
	if _, ok := src.Item(s.Field); !ok {
		p.add(at, "来源目录 %s 没有信息项%s", s.Entry, schemas.Quote(s.Field))
	}
	if _, ok := ViaNames[s.Via]; !ok {
		p.add(at, "来源方式%s无效", schemas.Quote(s.Via))
	}
}

// derivationPath returns a chain of derivations from code down to one of inputs (code first),
// or nil when none of inputs is derived, at any depth, from code: reading it would close a
// cycle. The walk follows the entries derived from code, which are few, not the inputs' own
// upstream, which may be most of the directory. A chain longer than maxDerivationDepth counts
// as a cycle: nothing legitimate is derived that deep.
func derivationPath(txn *memdb.Txn, code string, inputs map[string]*Entry) []string {
	seen := map[string]bool{}
	var walk func(c string, depth int) []string
	walk = func(c string, depth int) []string {
		if _, ok := inputs[c]; ok && depth > 0 || depth > maxDerivationDepth {
			return []string{c}
		}
		if seen[c] {
			return nil
		}
		seen[c] = true
		for _, d := range derivedFrom(txn, c) {
			if path := walk(d, depth+1); path != nil {
				return append([]string{c}, path...)
			}
		}
		return nil
	}
	return walk(code, 0)
}

// sourceGrade is the grade an input item carries into what is derived from it: its own, and at
// least its entry's manual override (a table graded up as a whole is that grade throughout).
func sourceGrade(txn *memdb.Txn, s ColumnSource) schemas.Grade {
	e, err := entryTxn(txn, s.Entry)
	if err != nil {
		return ""
	}
	it, _ := e.Item(s.Field)
	return schemas.MaxGrade(it.Grade, e.GradeOverride)
}

// floors gives each output item of t the lowest grade it may have: the highest grade of its
// sources and of the filters. Items no input reaches have no floor.
func floors(txn *memdb.Txn, t *Transform) map[string]schemas.Grade {
	memo := map[ColumnSource]schemas.Grade{}
	grade := func(s ColumnSource) schemas.Grade {
		k := ColumnSource{Entry: s.Entry, Field: s.Field}
		g, ok := memo[k]
		if !ok {
			g = sourceGrade(txn, k)
			memo[k] = g
		}
		return g
	}
	var filter schemas.Grade
	for _, s := range t.Filters {
		filter = schemas.MaxGrade(filter, grade(s))
	}
	out := make(map[string]schemas.Grade, len(t.Columns))
	for _, c := range t.Columns {
		g := filter
		for _, s := range c.Sources {
			g = schemas.MaxGrade(g, grade(s))
		}
		if g != "" {
			out[c.Field] = g
		}
	}
	return out
}

// Fingerprint names t's SQL: a derived run records it (Run.Transform).
func (t *Transform) Fingerprint() string {
	h := sha256.Sum256([]byte(t.SQL))
	return "sql:" + hex.EncodeToString(h[:8])
}

// DerivedStale says whether derived entry code's data is not what its transform, as it stands,
// made of its inputs' current snapshots, and why (in Chinese): never made, an input has newer
// data, or the SQL was edited since. The entry's data was made so when the run of its current
// snapshot was, or when the last run after that one was an UNCHANGED materialisation that was
// (its rows came out the same). An entry that is not derived is never stale.
func (v *View) DerivedStale(code string) (reason string, stale bool) {
	e, err := entryTxn(v.txn, code)
	if err != nil || e.Transform == nil {
		return "", false
	}
	want := make([]RunInput, 0, len(e.Transform.Inputs))
	for _, in := range slices.Sorted(slices.Values(e.Transform.Inputs)) {
		ie, err := entryTxn(v.txn, in)
		if err != nil {
			return "", false
		}
		want = append(want, RunInput{Entry: in, Snapshot: ie.CurrentSnapshot})
	}
	fp := e.Transform.Fingerprint()
	made := func(r *Run) bool { return r.Transform == fp && slices.Equal(r.Inputs, want) }
	var current *Run
	if s := snapshotsByID.get(v.txn, e.CurrentSnapshot); s != nil {
		current = runsByID.get(v.txn, s.Run)
	}
	if current != nil && made(current) {
		return "", false
	}
	for _, r := range v.Runs(code) { // newest first
		if r.Status == RunRunning || r.Status == RunFailed {
			continue // changed nothing
		}
		if r.Status == RunUnchanged && made(r) {
			return "", false
		}
		break
	}
	switch {
	case current == nil:
		return "尚未加工生成", true
	case current.Transform != fp:
		return "加工 SQL 已修改，尚未重新加工", true
	}
	for _, w := range want {
		if i := slices.IndexFunc(current.Inputs, func(in RunInput) bool { return in.Entry == w.Entry }); i < 0 || current.Inputs[i] != w {
			return fmt.Sprintf("输入 %s 已有更新的数据，尚未重新加工", w.Entry), true
		}
	}
	return "加工 SQL 已修改，尚未重新加工", true
}

// transformSQL is e's transform SQL, "" for an entry that is not derived.
func transformSQL(e *Entry) string {
	if e.Transform == nil {
		return ""
	}
	return e.Transform.SQL
}

// validateRunInputs checks the input snapshots a run of e claims to have read: snapshots of
// e's transform inputs, one per input. A run of an entry that is not derived reads none.
func validateRunInputs(txn *memdb.Txn, p *problems, e *Entry, run *Run) {
	if len(run.Inputs) == 0 {
		return
	}
	if e.Transform == nil {
		p.add("run.inputs", "目录 %s 不是加工目录，运行不能记录输入快照", e.ResourceCode)
		return
	}
	seen := map[string]bool{}
	for i, in := range run.Inputs {
		at := fmt.Sprintf("run.inputs[%d]", i)
		if !slices.Contains(e.Transform.Inputs, in.Entry) {
			p.add(at, "目录%s不是加工的输入", schemas.Quote(in.Entry))
		}
		if seen[in.Entry] {
			p.add(at, "目录%s重复", schemas.Quote(in.Entry))
		}
		seen[in.Entry] = true
		s, err := snapshotTxn(txn, in.Snapshot)
		if err != nil || s.Entry != in.Entry {
			p.add(at, "快照%s不是目录 %s 的快照", schemas.Quote(in.Snapshot), in.Entry)
		} else if s.Expired() {
			p.add(at, "目录 %s 的快照%s已按快照保留策略过期，请以输入的当前数据重新加工", in.Entry, schemas.Quote(in.Snapshot))
		}
	}
}

// LagOf says whether entry code, due for collection, is not collected at now, and why (as
// Lagging would list it for p); false for an entry that is collected, not due or not there.
func (v *View) LagOf(code string, now time.Time, p *Principal) (Lag, bool) {
	e, err := entryTxn(v.txn, code)
	if err != nil || !isDue(e) {
		return Lag{}, false
	}
	st := newLoadStates(v.txn, e.ResourceCode).of(e.ResourceCode)
	if collected(e, now, st) {
		return Lag{}, false
	}
	return lagOf(v.txn, e, now, p, st), true
}

// LineageEntry is what lineage reads of an entry: its names, items, transform, links and data,
// shared with the stored entry (read only), with the access decision of the principal asking.
type LineageEntry struct {
	Code, Table, Name string
	Items             ItemList
	Transform         *Transform // shared: never changed by the caller
	Scenes            []string   // shared
	BusinessItems     []string   // shared
	CurrentSnapshot   string
	Due               bool // counted in the collection figure (数据归集率)
}

// LineageOf returns entry code as lineage reads it for p, without copying it; false when it
// does not exist for p (exactly as when it does not exist). Whether p may read its data, and
// so its runs, is View.Decide's to say.
func (v *View) LineageOf(p *Principal, code string) (LineageEntry, bool) {
	e, err := entryTxn(v.txn, code)
	if err != nil || !exists(p, e) {
		return LineageEntry{}, false
	}
	return LineageEntry{Code: e.ResourceCode, Table: e.Table, Name: e.Name, Items: e.Items, Transform: e.Transform,
		Scenes: e.Scenes, BusinessItems: e.BusinessItems, CurrentSnapshot: e.CurrentSnapshot, Due: isDue(e)}, true
}

// ReadsData reports whether p may read entry code's data at now (View.Decide), and so its runs.
func (v *View) ReadsData(p *Principal, code string, now time.Time) bool {
	e, err := entryTxn(v.txn, code)
	return err == nil && v.Decide(p, e, now).Read
}
