package ingest

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// An entry whose write mode is upsert keeps one row per key: a load's rows replace the parent's
// rows with the same key items (a district resubmitting 附件1 corrects its rows instead of adding
// a second copy), and add the rest. The keys of the new rows are gathered exactly while the load
// reads (a key twice in one file is a rejected row, not a guess which one wins), and the parent's
// files are kept, dropped or rewritten without the matched rows as a scoped replacement does
// (replace.go). A district's upsert removes only rows within its own scope.

// maxUpsertKeys bounds the rows of one upsert: their keys are held in memory to match the
// parent's rows exactly. A larger load is refused with the advice to split it.
const maxUpsertKeys = 1_000_000

// keyItem is one key item of the entry.
type keyItem struct {
	item  int // index into the entry's items
	field string
	name  string
	typ   schemas.DataType
}

// keySet is the keys of an upsert's new rows, each with the line it was read on.
type keySet struct {
	items []keyItem
	lines map[string]int
	buf   []byte
	// The range of the first key item's new values, when it is a STRING or INT item without
	// nulls: a parent file whose bounds lie outside it holds none of the keys.
	lo, hi   string
	ranged   bool
	poisoned bool
	numeric  bool
}

// upsertKeys returns the key set of an upsert into e, nil when e is not upserted into.
func upsertKeys(e *catalog.Entry) (*keySet, error) {
	if e.WriteMode != catalog.WriteModeUpsert {
		return nil, nil
	}
	ks := &keySet{lines: map[string]int{}}
	for i, it := range e.Items.Slice() {
		if it.IsKey {
			ks.items = append(ks.items, keyItem{item: i, field: it.Field, name: it.Name, typ: it.Type})
		}
	}
	if len(ks.items) == 0 {
		return nil, schemas.Userf(ErrInvalidSubmission, "目录 %s（%s）按主键更新，但没有主键信息项：请数据管理员在目录中标明主键", e.ResourceCode, e.Name)
	}
	return ks, nil
}

// Encodings of one key value; a null is its own value, equal only to another null.
const (
	keyNull  = 0
	keyValue = 1
)

func (ks *keySet) appendValue(typ schemas.DataType, v *value) {
	if v.null {
		ks.buf = append(ks.buf, keyNull)
		return
	}
	ks.buf = append(ks.buf, keyValue)
	switch typ {
	case schemas.String:
		ks.buf = binary.AppendUvarint(ks.buf, uint64(len(v.s)))
		ks.buf = append(ks.buf, v.s...)
	case schemas.Int:
		ks.buf = binary.BigEndian.AppendUint64(ks.buf, uint64(v.i))
	case schemas.Float:
		ks.buf = binary.BigEndian.AppendUint64(ks.buf, math.Float64bits(v.f))
	case schemas.Bool:
		ks.buf = append(ks.buf, boolByte(v.b))
	case schemas.Date:
		ks.buf = binary.BigEndian.AppendUint64(ks.buf, uint64(arrow.Date32FromTime(v.t)))
	case schemas.Timestamp:
		ks.buf = binary.BigEndian.AppendUint64(ks.buf, uint64(v.t.UnixMicro()))
	}
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// add notes the key of an accepted row read on line. A key seen before returns the reject of the
// row; ok is false when the load has more rows than an upsert may hold.
func (ks *keySet) add(vals []value, line int) (rej *Reject, ok bool) {
	ks.buf = ks.buf[:0]
	for _, k := range ks.items {
		ks.appendValue(k.typ, &vals[k.item])
	}
	if first, dup := ks.lines[string(ks.buf)]; dup {
		return &Reject{Row: line, Field: ks.items[0].field, Value: clip(ks.describe(vals)),
			Reason: fmt.Sprintf("主键（%s）与第 %d 行重复：按主键更新时，一次报送中每个主键只能出现一次", ks.describe(vals), first)}, true
	}
	if len(ks.lines) >= maxUpsertKeys {
		return nil, false
	}
	ks.lines[string(ks.buf)] = line
	ks.noteRange(&vals[ks.items[0].item], len(ks.lines) == 1)
	return nil, true
}

// noteRange widens the range of the first key item by v; a null or a type without bounds ends
// the range for good (ranged false, poisoned true).
func (ks *keySet) noteRange(v *value, first bool) {
	t := ks.items[0].typ
	if ks.poisoned || v.null || t != schemas.String && t != schemas.Int {
		ks.ranged, ks.poisoned = false, true
		return
	}
	s := v.s
	if t == schemas.Int {
		s = fmt.Sprint(v.i)
	}
	ks.numeric = t == schemas.Int
	switch {
	case first:
		ks.lo, ks.hi, ks.ranged = s, s, true
	case lake.CompareBound(ks.numeric, s, ks.lo) < 0:
		ks.lo = s
	case lake.CompareBound(ks.numeric, s, ks.hi) > 0:
		ks.hi = s
	}
}

// describe writes a row's key for a reason: 站点编码=S1，监测日期=2024-05-07.
func (ks *keySet) describe(vals []value) string {
	parts := make([]string, len(ks.items))
	for i, k := range ks.items {
		v := &vals[k.item]
		text := "空"
		if !v.null {
			text = keyText(k.typ, v)
		}
		parts[i] = k.name + "=" + text
	}
	return strings.Join(parts, "，")
}

func keyText(t schemas.DataType, v *value) string {
	switch t {
	case schemas.String:
		return clip(v.s)
	case schemas.Int:
		return fmt.Sprint(v.i)
	case schemas.Float:
		return fmt.Sprint(v.f)
	case schemas.Bool:
		return fmt.Sprint(v.b)
	case schemas.Date:
		return v.t.Format("2006-01-02")
	}
	return v.t.Format("2006-01-02 15:04:05")
}

// The key set as a filter of the parent's rows: a row is removed when its key is a new row's.

func (ks *keySet) columns() []string {
	out := make([]string, len(ks.items))
	for i, k := range ks.items {
		out[i] = k.field
	}
	return out
}

// classify: the recorded bounds of the first key item may show that no new key falls in a file.
func (ks *keySet) classify(f lake.DataFile) fileClass {
	if !ks.ranged || f.Bounds == nil {
		return classUnknown
	}
	b, ok := f.Bounds[ks.items[0].field]
	switch {
	case !ok:
		return classUnknown
	case b.Nulls == f.Rows: // only nulls, and no new key's first item is null
		return classOutside
	case lake.CompareBound(ks.numeric, b.Max, ks.lo) < 0 || lake.CompareBound(ks.numeric, b.Min, ks.hi) > 0:
		return classOutside
	}
	return classUnknown
}

func (ks *keySet) within(rec arrow.RecordBatch) ([]bool, error) {
	n := int(rec.NumRows())
	in := make([]bool, n)
	cols := make([]arrow.Array, len(ks.items))
	for i, k := range ks.items {
		idx := rec.Schema().FieldIndices(k.field)
		if len(idx) == 0 {
			return in, nil // a file without a key column holds none of the keys
		}
		cols[i] = rec.Column(idx[0])
	}
	var v value
	for r := range n {
		ks.buf = ks.buf[:0]
		for i, k := range ks.items {
			if err := arrowValue(cols[i], r, k.typ, &v); err != nil {
				return nil, fmt.Errorf("key column %s: %w", k.field, err)
			}
			ks.appendValue(k.typ, &v)
		}
		_, in[r] = ks.lines[string(ks.buf)]
	}
	return in, nil
}

// arrowValue reads row r of col as a value of type t, as the load would have parsed it.
func arrowValue(col arrow.Array, r int, t schemas.DataType, v *value) error {
	*v = value{null: col.IsNull(r)}
	if v.null {
		return nil
	}
	switch c := col.(type) {
	case *array.String:
		v.s = c.Value(r)
	case *array.Int64:
		v.i = c.Value(r)
	case *array.Float64:
		v.f = c.Value(r)
	case *array.Boolean:
		v.b = c.Value(r)
	case *array.Date32:
		v.t = c.Value(r).ToTime()
	case *array.Timestamp:
		v.t = c.Value(r).ToTime(arrow.Microsecond)
	default:
		return fmt.Errorf("type %s is not %s: %w", col.DataType(), t, schemas.ErrInvalid)
	}
	return nil
}

// both removes the rows both filters select: a district's upsert removes only matched rows
// within its own scope.
type both struct{ a, b rowFilter }

func (f both) columns() []string { return append(f.a.columns(), f.b.columns()...) }

func (f both) classify(df lake.DataFile) fileClass {
	ca, cb := f.a.classify(df), f.b.classify(df)
	switch {
	case ca == classOutside || cb == classOutside:
		return classOutside
	case ca == classWithin && cb == classWithin:
		return classWithin
	}
	return classUnknown
}

func (f both) within(rec arrow.RecordBatch) ([]bool, error) {
	a, err := f.a.within(rec)
	if err != nil {
		return nil, err
	}
	b, err := f.b.within(rec)
	if err != nil {
		return nil, err
	}
	for i := range a {
		a[i] = a[i] && b[i]
	}
	return a, nil
}
