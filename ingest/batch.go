package ingest

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// arrowSchema is the lake table schema of an entry: its items in item order, nullable unless
// required, with the catalogue's item ids as Parquet field ids, so that a rename, a reordering or
// a removed item never renumbers the others.
func arrowSchema(e *catalog.Entry) *arrow.Schema {
	fs := make([]arrow.Field, e.Items.Len())
	for i, it := range e.Items.All() {
		fs[i] = arrow.Field{
			Name:     it.Field,
			Type:     it.Type.ArrowType(),
			Nullable: !it.Required,
			Metadata: arrow.NewMetadata([]string{"PARQUET:field_id"}, []string{strconv.Itoa(fieldID(i, it))}),
		}
	}
	return arrow.NewSchema(fs, nil)
}

// lakeSchema is the same schema as recorded in the snapshot manifest.
func lakeSchema(e *catalog.Entry) []lake.Field {
	fs := make([]lake.Field, e.Items.Len())
	for i, it := range e.Items.All() {
		fs[i] = lake.Field{ID: fieldID(i, it), Name: it.Field, Type: string(it.Type), Required: it.Required}
	}
	return fs
}

func sameSchema(a, b []lake.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// batch accumulates valid rows into Arrow builders.
type batch struct {
	b        *array.RecordBuilder
	fields   []array.Builder
	rows     int
	capacity int
	// dataLen is, per string column, the text bytes the builder is sized for when the next
	// batch starts; nil when it is sized already.
	dataLen []int
}

func newBatch(schema *arrow.Schema, capacity int) *batch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	b.Reserve(capacity)
	return &batch{b: b, fields: b.Fields(), capacity: capacity}
}

// append adds one row of parsed values.
func (b *batch) append(vals []value) {
	if b.dataLen != nil {
		b.size()
	}
	for i := range vals {
		v := &vals[i]
		f := b.fields[i]
		if v.null {
			f.AppendNull()
			continue
		}
		switch f := f.(type) {
		case *array.StringBuilder:
			f.Append(v.s)
		case *array.Int64Builder:
			f.Append(v.i)
		case *array.Float64Builder:
			f.Append(v.f)
		case *array.BooleanBuilder:
			f.Append(v.b)
		case *array.Date32Builder:
			f.Append(arrow.Date32FromTime(v.t))
		case *array.TimestampBuilder:
			f.Append(arrow.Timestamp(v.t.UnixMicro()))
		default:
			panic("ingest: no builder for " + f.Type().String())
		}
	}
	b.rows++
}

// flush returns the accumulated rows as a record batch (the caller releases it) and starts anew;
// nil when there are none.
func (b *batch) flush() arrow.RecordBatch {
	if b.rows == 0 {
		return nil
	}
	b.dataLen = make([]int, len(b.fields))
	for i, f := range b.fields {
		if sb, ok := f.(*array.StringBuilder); ok {
			b.dataLen[i] = sb.DataLen() * b.capacity / b.rows
		}
	}
	b.rows = 0
	return b.b.NewRecordBatch()
}

// size makes room for a full batch in one go, strings as long as in the previous batch,
// rather than letting the builders grow by doubling and copying row by row.
func (b *batch) size() {
	b.b.Reserve(b.capacity)
	for i, f := range b.fields {
		if sb, ok := f.(*array.StringBuilder); ok && b.dataLen[i] > 0 {
			sb.ReserveData(b.dataLen[i])
		}
	}
	b.dataLen = nil
}

func (b *batch) release() { b.b.Release() }

// fieldID is the item's catalogue id; an item without one (an entry built outside the catalogue,
// as in tests) falls back to its position, the numbering manifests used before items had ids.
func fieldID(i int, it catalog.Item) int {
	if it.ID > 0 {
		return it.ID
	}
	return i + 1
}
