package query

import (
	"slices"
	"strconv"
	"time"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// A read of a snapshot's files skips the files that cannot hold a row of the plan: those whose
// partition value (a partitioned table's files, lake.PartitionedWriter) or recorded bounds
// (lake.DataFile.Bounds) exclude what the filter requires. Only what the whole filter requires
// counts: the equalities and lists of its top-level conjunction, the row scope of a district
// account among them. Pruning changes which files are read, never the answer.

// required returns, per column, the values the filter requires one of: the eq and in
// comparisons of Where's top-level conjunction. A column required twice keeps the values both
// allow.
func required(c *Cond) map[string][]string {
	out := map[string][]string{}
	var walk func(c *Cond)
	walk = func(c *Cond) {
		switch {
		case c == nil || c.Not || len(c.Or) > 0:
			return
		case len(c.And) > 0:
			for _, ch := range c.And {
				walk(ch)
			}
			return
		}
		var vals []any
		switch c.Op {
		case OpEq:
			vals = []any{c.Value}
		case OpIn:
			vals = c.Values
		default:
			return
		}
		texts := make([]string, 0, len(vals))
		for _, v := range vals {
			t, ok := pruneText(c.Column.Type, v)
			if !ok {
				return // a value no partition or bound is written as: the column prunes nothing
			}
			texts = append(texts, t)
		}
		if prev, ok := out[c.Column.Field]; ok {
			texts = slices.DeleteFunc(texts, func(v string) bool { return !slices.Contains(prev, v) })
		}
		out[c.Column.Field] = texts
	}
	walk(c)
	return out
}

// pruneText renders a filter value as partition values and bounds are written; false for a
// value they are never written as (a float, a timestamp).
func pruneText(t schemas.DataType, v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		return strconv.FormatBool(x), true
	case time.Time:
		if t == schemas.Date {
			return x.UTC().Format("2006-01-02"), true
		}
	}
	return "", false
}

// prune returns the files of a plan's read that may hold its rows.
func prune(p *Plan, files []lake.DataFile) []lake.DataFile {
	req := required(p.Where)
	if len(req) == 0 {
		return files
	}
	types := map[string]schemas.DataType{}
	for _, c := range p.Source {
		types[c.Field] = c.Type
	}
	out := make([]lake.DataFile, 0, len(files))
	for _, f := range files {
		if mayHold(f, req, types) {
			out = append(out, f)
		}
	}
	return out
}

// mayHold reports whether file f may hold a row with one of the required values of each column.
func mayHold(f lake.DataFile, req map[string][]string, types map[string]schemas.DataType) bool {
	for field, vals := range req {
		if pv, ok := f.Partition[field]; ok {
			if !slices.Contains(vals, pv) {
				return false
			}
			continue
		}
		b, ok := f.Bounds[field]
		t := types[field]
		if !ok || t != schemas.String && t != schemas.Int {
			continue
		}
		if b.Nulls == f.Rows {
			return false // only nulls: no equality holds
		}
		numeric := t == schemas.Int
		if !slices.ContainsFunc(vals, func(v string) bool {
			return lake.CompareBound(numeric, b.Min, v) <= 0 && lake.CompareBound(numeric, v, b.Max) <= 0
		}) {
			return false
		}
	}
	return true
}
