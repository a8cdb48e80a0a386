package lake

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// Bound is the range of one column's values in a data file, as Iceberg's lower and upper bounds
// and null count: every non-null value v of the column satisfies Min <= v <= Max. Strings compare
// bytewise; INT columns hold decimal text and compare as numbers (see CompareBound). When Nulls
// equals the file's Rows the column holds no value and Min and Max are empty.
type Bound struct {
	Min   string `json:"min"`
	Max   string `json:"max"`
	Nulls int64  `json:"nulls,omitempty"`
}

// maxBoundBytes leaves out the bounds of long text (remarks, descriptions): they prune nothing
// and would bloat every manifest. Codes, identifiers and names fit.
const maxBoundBytes = 64

// fileBounds reads the bounds of the string and 64-bit integer columns of a flat file from its
// Parquet footer statistics. A column is left out whenever any row group lacks complete
// statistics for it, so a recorded bound is always exact about which values can occur.
func fileBounds(md *metadata.FileMetaData, schema *arrow.Schema) map[string]Bound {
	if md == nil || md.NumColumns() != schema.NumFields() {
		return nil
	}
	out := map[string]Bound{}
	for i, f := range schema.Fields() {
		var b Bound
		var ok bool
		switch f.Type.ID() {
		case arrow.STRING:
			b, ok = columnBound(md, i, func(st metadata.TypedStatistics) (string, string, bool) {
				s, isBA := st.(*metadata.ByteArrayStatistics)
				if !isBA {
					return "", "", false
				}
				return string(s.Min()), string(s.Max()), true
			}, func(a, b string) bool { return a < b })
		case arrow.INT64:
			b, ok = columnBound(md, i, func(st metadata.TypedStatistics) (string, string, bool) {
				s, isInt := st.(*metadata.Int64Statistics)
				if !isInt {
					return "", "", false
				}
				return strconv.FormatInt(s.Min(), 10), strconv.FormatInt(s.Max(), 10), true
			}, func(a, b string) bool { return CompareBound(true, a, b) < 0 })
		}
		if ok {
			out[f.Name] = b
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// columnBound merges the statistics of column col over every row group.
func columnBound(md *metadata.FileMetaData, col int,
	minMax func(metadata.TypedStatistics) (string, string, bool), less func(a, b string) bool) (Bound, bool) {
	var b Bound
	seen := false
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		cc, err := rg.ColumnChunk(col)
		if err != nil {
			return Bound{}, false
		}
		st, err := cc.Statistics()
		if err != nil || st == nil || !st.HasNullCount() {
			return Bound{}, false
		}
		b.Nulls += st.NullCount()
		if !st.HasMinMax() {
			if st.NullCount() != rg.NumRows() {
				return Bound{}, false // values without statistics (too long to record)
			}
			continue
		}
		lo, hi, ok := minMax(st)
		if !ok || len(lo) > maxBoundBytes || len(hi) > maxBoundBytes {
			return Bound{}, false
		}
		if !seen || less(lo, b.Min) {
			b.Min = lo
		}
		if !seen || less(b.Max, hi) {
			b.Max = hi
		}
		seen = true
	}
	return b, true
}

// CompareBound compares two values of a bound: as decimal integers when numeric is true, else as
// byte strings. Text that is not a decimal integer sorts before every number.
func CompareBound(numeric bool, a, b string) int {
	if !numeric {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	switch {
	case errA != nil && errB != nil:
		return CompareBound(false, a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
