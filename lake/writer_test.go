package lake_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

var base = time.Date(2025, 5, 1, 8, 30, 0, 0, time.UTC)

// allTypesSchema has one nullable column per item data type, named after it.
func allTypesSchema() *arrow.Schema {
	var fields []arrow.Field
	for _, c := range schemas.DataTypes.Codes() {
		t := schemas.DataType(c.ID)
		fields = append(fields, arrow.Field{Name: strings.ToLower(c.ID), Type: t.ArrowType(), Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// value is the expected cell of row i for type t; nil every 7th row.
func value(t schemas.DataType, i int) any {
	if i%7 == 3 {
		return nil
	}
	switch t {
	case schemas.Int:
		return int64(i)*1000 - 5
	case schemas.Float:
		return float64(i) / 4
	case schemas.Bool:
		return i%3 == 0
	case schemas.Date:
		return base.AddDate(0, 0, i).Truncate(24 * time.Hour)
	case schemas.Timestamp:
		return base.Add(time.Duration(i) * time.Minute)
	default:
		return fmt.Sprintf("站点-%d 渝北区", i)
	}
}

// batch builds rows [from, from+n) of the all-types table.
func batch(t *testing.T, schema *arrow.Schema, from, n int) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for col, f := range schema.Fields() {
		dt := schemas.DataType(strings.ToUpper(f.Name))
		for i := from; i < from+n; i++ {
			v := value(dt, i)
			if v == nil {
				b.Field(col).AppendNull()
				continue
			}
			switch fb := b.Field(col).(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.Int64Builder:
				fb.Append(v.(int64))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.Date32Builder:
				fb.Append(arrow.Date32FromTime(v.(time.Time)))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
			default:
				t.Fatalf("no builder for %s", f.Type)
			}
		}
	}
	return b.NewRecordBatch()
}

// cell reads row i of column col back into the Go values value() produces.
func cell(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime()
	case *array.Timestamp:
		return a.Value(i).ToTime(arrow.Microsecond)
	}
	return fmt.Sprintf("unexpected %T", col)
}

func newLocal(t *testing.T) *local.Bucket {
	t.Helper()
	b, err := local.New(filepath.Join(t.TempDir(), "lake"))
	require.NoError(t, err)
	return b
}

func TestTableWriterRoundTrip(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	schema := allTypesSchema()
	tmp := t.TempDir()
	w, err := lake.NewTableWriter(ctx, b, lake.DataPrefix("air_quality"), schema, lake.WriterConfig{TargetRows: 1000, TmpDir: tmp})
	require.NoError(t, err)

	sizes := []int{1000, 2500, 0, 1}
	from := 0
	for _, n := range sizes {
		rec := batch(t, schema, from, n)
		require.NoError(t, w.Write(ctx, rec))
		rec.Release()
		from += n
	}
	files, err := w.Close(ctx)
	require.NoError(t, err)
	total := from

	require.Len(t, files, 4, "3501 rows at 1000 per file")
	seen := map[string]bool{}
	row := 0
	for i, f := range files {
		assert.Equal(t, []int64{1000, 1000, 1000, 501}[i], f.Rows)
		assert.True(t, strings.HasPrefix(f.Key, "tables/air_quality/data/"), f.Key)
		assert.True(t, strings.HasSuffix(f.Key, ".parquet"), f.Key)
		assert.False(t, seen[f.Key], "key reused")
		seen[f.Key] = true

		// The recorded size and checksum are those of the stored bytes.
		rc, err := b.Get(ctx, f.Key)
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		assert.Equal(t, hex.EncodeToString(sum[:]), f.SHA256)
		assert.Equal(t, int64(len(data)), f.Bytes)

		path, _ := b.LocalPath(f.Key)
		pf, err := file.OpenParquetFile(path, false)
		require.NoError(t, err)
		md := pf.MetaData()
		assert.Equal(t, f.Rows, md.NumRows)
		for rg := 0; rg < md.NumRowGroups(); rg++ {
			for c := 0; c < md.Schema.NumColumns(); c++ {
				cc, err := md.RowGroup(rg).ColumnChunk(c)
				require.NoError(t, err)
				assert.Equal(t, compress.Codecs.Zstd, cc.Compression(), "row group %d column %d", rg, c)
			}
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		require.NoError(t, err)
		tbl, err := fr.ReadTable(ctx)
		require.NoError(t, err)
		require.Equal(t, schema.NumFields(), tbl.Schema().NumFields())
		for c, fld := range schema.Fields() {
			got := tbl.Schema().Field(c)
			assert.Equal(t, fld.Name, got.Name)
			assert.True(t, arrow.TypeEqual(fld.Type, got.Type), "%s: %s != %s", fld.Name, got.Type, fld.Type)
		}
		tr := array.NewTableReader(tbl, -1)
		for tr.Next() {
			rec := tr.RecordBatch()
			for r := 0; r < int(rec.NumRows()); r++ {
				for c, fld := range schema.Fields() {
					want := value(schemas.DataType(strings.ToUpper(fld.Name)), row)
					got := cell(rec.Column(c), r)
					if wt, ok := want.(time.Time); ok && got != nil {
						assert.True(t, wt.Equal(got.(time.Time)), "row %d %s: %v != %v", row, fld.Name, got, want)
						continue
					}
					assert.Equal(t, want, got, "row %d %s", row, fld.Name)
				}
				row++
			}
		}
		tr.Release()
		tbl.Release()
		pf.Close()
	}
	assert.Equal(t, total, row)
	leftovers, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, leftovers, "spill files removed")

	t.Run("duckdb reads the files in order with the declared types", func(t *testing.T) {
		db, err := sql.Open("duckdb", "")
		require.NoError(t, err)
		defer db.Close()
		var paths []string
		for _, f := range files {
			p, _ := b.LocalPath(f.Key)
			paths = append(paths, "'"+p+"'")
		}
		src := "read_parquet([" + strings.Join(paths, ", ") + "])"

		rows, err := db.QueryContext(ctx, "DESCRIBE SELECT * FROM "+src)
		require.NoError(t, err)
		types := map[string]string{}
		for rows.Next() {
			var name, typ string
			var null, key, def, extra sql.NullString
			require.NoError(t, rows.Scan(&name, &typ, &null, &key, &def, &extra))
			types[name] = typ
		}
		require.NoError(t, rows.Err())
		for _, c := range schemas.DataTypes.Codes() {
			assert.Equal(t, schemas.DataType(c.ID).DuckDBType(), types[strings.ToLower(c.ID)], c.ID)
		}

		var n, nulls, sum int64
		var maxTS time.Time
		require.NoError(t, db.QueryRowContext(ctx,
			"SELECT count(*), count(*) - count(string), sum(int), max(timestamp) FROM "+src).Scan(&n, &nulls, &sum, &maxTS))
		assert.Equal(t, int64(total), n)
		var wantNulls, wantSum int64
		for i := range total {
			if v := value(schemas.Int, i); v == nil {
				wantNulls++
			} else {
				wantSum += v.(int64)
			}
		}
		assert.Equal(t, wantNulls, nulls)
		assert.Equal(t, wantSum, sum)
		assert.True(t, value(schemas.Timestamp, total-1).(time.Time).Equal(maxTS), "max timestamp %s", maxTS)

		// Files are listed in key order, which is write order: rows come back as written.
		var outOfOrder int64
		require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM (
			SELECT int, lag(int) OVER () AS prev FROM `+src+` WHERE int IS NOT NULL) WHERE int < prev`).Scan(&outOfOrder))
		assert.Zero(t, outOfOrder)
	})
}

func TestTableWriterNoRows(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	w, err := lake.NewTableWriter(ctx, b, "tables/t/data/", allTypesSchema(), lake.WriterConfig{})
	require.NoError(t, err)
	files, err := w.Close(ctx)
	require.NoError(t, err)
	assert.Empty(t, files)
	var keys []string
	require.NoError(t, b.Iter(ctx, "", func(k string) error { keys = append(keys, k); return nil }))
	assert.Empty(t, keys)
}

func TestTableWriterMisuse(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	schema := allTypesSchema()

	t.Run("bad config", func(t *testing.T) {
		_, err := lake.NewTableWriter(ctx, b, "tables/t/data/", schema, lake.WriterConfig{TargetRows: -1})
		assert.Error(t, err)
		_, err = lake.NewTableWriter(ctx, b, "../data/", schema, lake.WriterConfig{})
		assert.ErrorIs(t, err, lake.ErrInvalidKey)
		_, err = lake.NewTableWriter(ctx, b, "tables/t/data/", nil, lake.WriterConfig{})
		assert.Error(t, err)
		_, err = lake.NewTableWriter(ctx, b, "tables/t/data/", schema, lake.WriterConfig{TmpDir: filepath.Join(t.TempDir(), "missing")})
		assert.Error(t, err)
	})
	t.Run("schema mismatch", func(t *testing.T) {
		w, err := lake.NewTableWriter(ctx, b, "tables/t/data/", schema, lake.WriterConfig{})
		require.NoError(t, err)
		defer w.Abort()
		other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
		ob := array.NewRecordBuilder(memory.DefaultAllocator, other)
		ob.Field(0).(*array.Int64Builder).Append(1)
		rec := ob.NewRecordBatch()
		defer rec.Release()
		assert.Error(t, w.Write(ctx, rec))
	})
	t.Run("write after close", func(t *testing.T) {
		w, err := lake.NewTableWriter(ctx, b, "tables/t/data/", schema, lake.WriterConfig{})
		require.NoError(t, err)
		_, err = w.Close(ctx)
		require.NoError(t, err)
		rec := batch(t, schema, 0, 1)
		defer rec.Release()
		assert.ErrorIs(t, w.Write(ctx, rec), lake.ErrClosed)
	})
	t.Run("abort removes spill files", func(t *testing.T) {
		tmp := t.TempDir()
		w, err := lake.NewTableWriter(ctx, b, "tables/aborted/data/", schema, lake.WriterConfig{TmpDir: tmp})
		require.NoError(t, err)
		rec := batch(t, schema, 0, 10)
		require.NoError(t, w.Write(ctx, rec))
		rec.Release()
		spilled, _ := os.ReadDir(tmp)
		assert.Len(t, spilled, 1)
		w.Abort()
		spilled, _ = os.ReadDir(tmp)
		assert.Empty(t, spilled)
		var keys []string
		require.NoError(t, b.Iter(ctx, "tables/aborted/", func(k string) error { keys = append(keys, k); return nil }))
		assert.Empty(t, keys)
	})
	t.Run("failed upload cleans up", func(t *testing.T) {
		tmp := t.TempDir()
		w, err := lake.NewTableWriter(ctx, b, "tables/cancelled/data/", schema, lake.WriterConfig{TmpDir: tmp})
		require.NoError(t, err)
		rec := batch(t, schema, 0, 10)
		require.NoError(t, w.Write(ctx, rec))
		rec.Release()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = w.Close(cctx)
		assert.ErrorIs(t, err, context.Canceled)
		spilled, _ := os.ReadDir(tmp)
		assert.Empty(t, spilled)
	})
}

// TestTableWriterDictionaryWhereItPays writes a column of distinct values and columns whose
// values repeat: only the repeating ones are dictionary-encoded, and all read back intact.
func TestTableWriterDictionaryWhereItPays(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "district", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "observed_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "pm25", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "aqi", Type: arrow.PrimitiveTypes.Int64},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "exceeded", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	const n = 3000
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	for i := range n {
		rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("S%06d", i))
		if i%5 == 0 {
			rb.Field(1).AppendNull()
		} else {
			rb.Field(1).(*array.StringBuilder).Append([]string{"500103", "500105", "500106"}[i%3])
		}
		rb.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Minute).UnixMicro()))
		rb.Field(3).(*array.Float64Builder).Append(float64(i%70) + 0.5)
		rb.Field(4).(*array.Int64Builder).Append(int64(i))
		rb.Field(5).(*array.Date32Builder).Append(arrow.Date32FromTime(base.AddDate(0, 0, i%30)))
		rb.Field(6).(*array.BooleanBuilder).Append(i%2 == 0)
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	w, err := lake.NewTableWriter(ctx, b, lake.DataPrefix("air"), schema, lake.WriterConfig{TmpDir: t.TempDir()})
	require.NoError(t, err)
	require.NoError(t, w.Write(ctx, rec))
	files, err := w.Close(ctx)
	require.NoError(t, err)
	require.Len(t, files, 1)

	path, _ := b.LocalPath(files[0].Key)
	pf, err := file.OpenParquetFile(path, false)
	require.NoError(t, err)
	defer pf.Close()
	// Measurements are written plain even when they repeat (dictionaryPays).
	wantDict := map[string]bool{"id": false, "district": true, "observed_at": false, "pm25": false, "aqi": false, "day": true}
	md := pf.MetaData()
	for c := 0; c < md.Schema.NumColumns(); c++ {
		cc, err := md.RowGroup(0).ColumnChunk(c)
		require.NoError(t, err)
		name := md.Schema.Column(c).Name()
		if want, ok := wantDict[name]; ok {
			assert.Equal(t, want, cc.HasDictionaryPage(), name)
		}
		assert.Equal(t, compress.Codecs.Zstd, cc.Compression(), name)
	}

	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	require.NoError(t, err)
	tbl, err := fr.ReadTable(ctx)
	require.NoError(t, err)
	defer tbl.Release()
	require.Equal(t, int64(n), tbl.NumRows())
	for c := 0; c < int(tbl.NumCols()); c++ {
		chunks := tbl.Column(c).Data().Chunks()
		require.Len(t, chunks, 1)
		assert.True(t, array.Equal(rec.Column(c), chunks[0]), schema.Field(c).Name)
	}
}

// TestSchemaDigestTellsFilesApart: every file a writer writes records the digest of its schema;
// files of one schema agree, a file with another column does not, and a file without a digest
// (written before digests were recorded) is never taken for one of the same schema.
func TestSchemaDigestTellsFilesApart(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	write := func(schema *arrow.Schema, rows int) []lake.DataFile {
		t.Helper()
		w, err := lake.NewTableWriter(ctx, b, "tables/t/data/", schema, lake.WriterConfig{TargetRows: 2, TmpDir: t.TempDir()})
		require.NoError(t, err)
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer bld.Release()
		for i := range rows {
			bld.Field(0).(*array.Int64Builder).Append(int64(i))
			for j := 1; j < schema.NumFields(); j++ {
				bld.Field(j).AppendNull()
			}
		}
		rec := bld.NewRecordBatch()
		defer rec.Release()
		require.NoError(t, w.Write(ctx, rec))
		files, err := w.Close(ctx)
		require.NoError(t, err)
		return files
	}
	one := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	two := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	a, c := write(one, 5), write(two, 1)
	require.Len(t, a, 3, "two rows a file")
	for _, f := range a {
		assert.Equal(t, lake.SchemaDigest(one), f.Schema)
	}
	assert.True(t, lake.SameSchema(a))
	assert.NotEqual(t, a[0].Schema, c[0].Schema)
	assert.False(t, lake.SameSchema(append(a, c...)))
	old := a[0]
	old.Schema = ""
	assert.False(t, lake.SameSchema([]lake.DataFile{old, a[1]}))
	assert.False(t, lake.SameSchema(nil))
}
