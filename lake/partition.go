package lake

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A partitioned table's files each hold the rows of one partition — one value of each partition
// column (a district, a year, a month) — under a Hive-style path, data/<table>/district_code=500103/
// year=2024/month=05/<id>.parquet, and record those values (DataFile.Partition) so that a reader
// skips the files of other partitions without opening them. The columns stay in the files too:
// a file read alone is still whole.

// Partition transforms: the value itself, or the year or month of a DATE or TIMESTAMP column.
const (
	TransformIdentity = ""
	TransformYear     = "year"
	TransformMonth    = "month"
)

// PartitionColumn is one partition column: its Hive name and the column and transform it is
// derived from.
type PartitionColumn struct {
	Name      string // district_code, year, month
	Source    string // the table column
	Transform string
}

// ParsePartition reads a partition spec: "field", "year(field)" or "month(field)".
func ParsePartition(spec string) (PartitionColumn, error) {
	spec = strings.TrimSpace(spec)
	for _, t := range []string{TransformYear, TransformMonth} {
		if inner, ok := strings.CutPrefix(spec, t+"("); ok {
			if src, ok := strings.CutSuffix(inner, ")"); ok && strings.TrimSpace(src) != "" {
				return PartitionColumn{Name: t, Source: strings.TrimSpace(src), Transform: t}, nil
			}
			return PartitionColumn{}, fmt.Errorf("partition %q: want %s(field)", spec, t)
		}
	}
	if spec == "" || strings.ContainsAny(spec, "()=/ ") {
		return PartitionColumn{}, fmt.Errorf("partition %q: want field, year(field) or month(field)", spec)
	}
	return PartitionColumn{Name: spec, Source: spec}, nil
}

// NullPartition is the path value of a null, as Hive writes it.
const NullPartition = "__HIVE_DEFAULT_PARTITION__"

// MaxPartitionsPerWrite bounds the partitions one write may touch: each holds an open Parquet
// writer with a row group in memory.
const MaxPartitionsPerWrite = 256

// ErrTooManyPartitions is returned when a write would touch more than MaxPartitionsPerWrite.
var ErrTooManyPartitions = errors.New("too many partitions in one write")

// PartitionedWriter writes record batches into one TableWriter per partition.
type PartitionedWriter struct {
	b       Bucket
	prefix  string
	schema  *arrow.Schema
	cfg     WriterConfig
	cols    []PartitionColumn
	idx     []int // schema index of each column's source
	writers map[string]*partWriter
	order   []string // partition paths in the order first written
}

type partWriter struct {
	w      *TableWriter
	values map[string]string
}

// NewPartitionedWriter returns a writer of schema's batches under keyPrefix, one directory per
// partition of cols.
func NewPartitionedWriter(ctx context.Context, b Bucket, keyPrefix string, schema *arrow.Schema, cols []PartitionColumn, cfg WriterConfig) (*PartitionedWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pw := &PartitionedWriter{b: b, prefix: keyPrefix, schema: schema, cfg: cfg, cols: cols, writers: map[string]*partWriter{}}
	for _, c := range cols {
		i := schema.FieldIndices(c.Source)
		if len(i) != 1 {
			return nil, fmt.Errorf("partition %s: no column %s", c.Name, c.Source)
		}
		switch t := schema.Field(i[0]).Type.ID(); {
		case c.Transform == TransformIdentity && (t == arrow.STRING || t == arrow.INT64 || t == arrow.BOOL || t == arrow.DATE32):
		case c.Transform != TransformIdentity && (t == arrow.DATE32 || t == arrow.TIMESTAMP):
		default:
			return nil, fmt.Errorf("partition %s: column %s of type %s cannot be partitioned by %q", c.Name, c.Source, schema.Field(i[0]).Type, c.Transform)
		}
		pw.idx = append(pw.idx, i[0])
	}
	return pw, nil
}

// Write splits rec by partition and appends each part to its partition's files.
func (pw *PartitionedWriter) Write(ctx context.Context, rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	rows := map[string][]int64{}
	var paths []string
	vals := make([]string, len(pw.cols))
	for r := 0; r < n; r++ {
		for i, c := range pw.cols {
			vals[i] = partValue(rec.Column(pw.idx[i]), r, c.Transform)
		}
		path := pw.path(vals)
		if _, ok := rows[path]; !ok {
			paths = append(paths, path)
			if _, open := pw.writers[path]; !open {
				if len(pw.writers) >= MaxPartitionsPerWrite {
					return fmt.Errorf("%w: more than %d", ErrTooManyPartitions, MaxPartitionsPerWrite)
				}
				if err := pw.open(ctx, path, vals); err != nil {
					return err
				}
			}
		}
		rows[path] = append(rows[path], int64(r))
	}
	for _, path := range paths {
		part, err := take(ctx, rec, rows[path])
		if err != nil {
			return err
		}
		err = pw.writers[path].w.Write(ctx, part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// take returns the rows of rec at indices, in order (rec itself, retained, when it is all of them).
func take(ctx context.Context, rec arrow.RecordBatch, indices []int64) (arrow.RecordBatch, error) {
	if len(indices) == int(rec.NumRows()) {
		rec.Retain()
		return rec, nil
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(indices, nil)
	idx := b.NewArray()
	defer idx.Release()
	out, err := compute.TakeArray(ctx, array.RecordToStructArray(rec), idx)
	if err != nil {
		return nil, fmt.Errorf("split partition: %w", err)
	}
	defer out.Release()
	return array.RecordFromStructArray(out.(*array.Struct), rec.Schema()), nil
}

func (pw *PartitionedWriter) path(vals []string) string {
	var sb strings.Builder
	for i, c := range pw.cols {
		sb.WriteString(c.Name)
		sb.WriteByte('=')
		sb.WriteString(escapePartition(vals[i]))
		sb.WriteByte('/')
	}
	return sb.String()
}

func (pw *PartitionedWriter) open(ctx context.Context, path string, vals []string) error {
	w, err := NewTableWriter(ctx, pw.b, pw.prefix+path, pw.schema, pw.cfg)
	if err != nil {
		return err
	}
	values := make(map[string]string, len(vals))
	for i, c := range pw.cols {
		values[c.Name] = vals[i]
	}
	pw.writers[path] = &partWriter{w: w, values: values}
	pw.order = append(pw.order, path)
	return nil
}

// Columns are the writer's partition columns.
func (pw *PartitionedWriter) Columns() []PartitionColumn { return pw.cols }

// Close finishes every partition's files and returns them, each with its partition values.
func (pw *PartitionedWriter) Close(ctx context.Context) ([]DataFile, error) {
	var out []DataFile
	for i, path := range pw.order {
		p := pw.writers[path]
		files, err := p.w.Close(ctx)
		if err != nil {
			for _, rest := range pw.order[i+1:] {
				pw.writers[rest].w.Abort()
			}
			return nil, err
		}
		for _, f := range files {
			f.Partition = p.values
			out = append(out, f)
		}
	}
	return out, nil
}

// Abort drops every partition's files.
func (pw *PartitionedWriter) Abort() {
	for _, p := range pw.writers {
		p.w.Abort()
	}
}

// partValue is row r of col as a partition value: text, a date as 2006-01-02, a year as 2024, a
// month as 05; NullPartition for null.
func partValue(col arrow.Array, r int, transform string) string {
	if col.IsNull(r) {
		return NullPartition
	}
	var t time.Time
	switch c := col.(type) {
	case *array.String:
		return c.Value(r)
	case *array.Int64:
		return strconv.FormatInt(c.Value(r), 10)
	case *array.Boolean:
		return strconv.FormatBool(c.Value(r))
	case *array.Date32:
		t = c.Value(r).ToTime()
	case *array.Timestamp:
		t = c.Value(r).ToTime(arrow.Microsecond)
	}
	switch transform {
	case TransformYear:
		return strconv.Itoa(t.Year())
	case TransformMonth:
		return fmt.Sprintf("%02d", int(t.Month()))
	}
	return t.Format("2006-01-02")
}

// escapePartition makes a value safe as one path segment of a key, reversibly: the characters
// Hive escapes and anything outside a key's safe set become %XX.
func escapePartition(v string) string {
	if v == "" {
		return NullPartition // an empty string would make an empty segment
	}
	var sb strings.Builder
	for _, c := range []byte(v) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			sb.WriteByte(c)
			continue
		}
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

// UnescapePartition is the value of an escaped path segment.
func UnescapePartition(seg string) (string, error) { return url.PathUnescape(seg) }

// PruneByPartition keeps the files whose partition value of column name is one of values; files
// without partition values are kept (they must be read).
func PruneByPartition(files []DataFile, name string, values []string) []DataFile {
	var out []DataFile
	for _, f := range files {
		v, ok := f.Partition[name]
		if !ok || slices.Contains(values, v) {
			out = append(out, f)
		}
	}
	return out
}
