package lake_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
)

func TestParsePartition(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want lake.PartitionColumn
		bad  bool
	}{
		{spec: "district_code", want: lake.PartitionColumn{Name: "district_code", Source: "district_code"}},
		{spec: " year(sample_date) ", want: lake.PartitionColumn{Name: "year", Source: "sample_date", Transform: lake.TransformYear}},
		{spec: "month(measured_at)", want: lake.PartitionColumn{Name: "month", Source: "measured_at", Transform: lake.TransformMonth}},
		{spec: "year()", bad: true},
		{spec: "week(d)", bad: true},
		{spec: "a=b", bad: true},
		{spec: "", bad: true},
	} {
		got, err := lake.ParsePartition(tc.spec)
		if tc.bad {
			assert.Error(t, err, tc.spec)
			continue
		}
		require.NoError(t, err, tc.spec)
		assert.Equal(t, tc.want, got)
	}
}

// readings builds n rows of (district, sampled_at, value): districts and months cycling.
func readings(n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "district", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "sampled_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "value", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	districts := []string{"500103", "500112", "渝中/区=%"}
	for i := 0; i < n; i++ {
		if i%10 == 9 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(districts[i%3])
		}
		at := time.Date(2024, time.Month(1+i%2), 3, 8, 0, 0, 0, time.UTC)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(at.UnixMicro()))
		b.Field(2).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

// Every file holds one partition's rows under its Hive path and records its values; the rows
// read back are exactly the rows written; pruning keeps only the files of the values asked for.
func TestPartitionedWriter(t *testing.T) {
	ctx := context.Background()
	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	rec := readings(600)
	defer rec.Release()
	cols := []lake.PartitionColumn{{Name: "district", Source: "district"}, {Name: "month", Source: "sampled_at", Transform: lake.TransformMonth}}
	pw, err := lake.NewPartitionedWriter(ctx, bucket, "data/readings/", rec.Schema(), cols, lake.WriterConfig{TmpDir: t.TempDir()})
	require.NoError(t, err)
	require.NoError(t, pw.Write(ctx, rec))
	require.NoError(t, pw.Write(ctx, rec)) // the same partitions again: appended to their files
	files, err := pw.Close(ctx)
	require.NoError(t, err)
	require.Len(t, files, 7, "3 districts × 2 months, and the nulls (odd rows: February only)")

	var total int64
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	for _, f := range files {
		total += f.Rows
		d, m := f.Partition["district"], f.Partition["month"]
		require.NotEmpty(t, d)
		require.Contains(t, []string{"01", "02"}, m)
		assert.True(t, strings.HasPrefix(f.Key, "data/readings/district="), f.Key)
		assert.Contains(t, f.Key, "/month="+m+"/")
		p, ok := bucket.LocalPath(f.Key)
		require.True(t, ok)
		cond := "district = ?"
		args := []any{d}
		if d == lake.NullPartition {
			cond, args = "district IS NULL", nil
		}
		var n, other int64
		q := fmt.Sprintf("SELECT count(*), count(*) FILTER (WHERE NOT (%s) OR %s IS NULL OR strftime(sampled_at, '%%m') <> '%s') FROM read_parquet('%s', hive_partitioning = false)",
			cond, "sampled_at", m, p)
		require.NoError(t, db.QueryRowContext(ctx, q, args...).Scan(&n, &other))
		assert.Equal(t, f.Rows, n)
		assert.Zero(t, other, "every row of %s is of its partition", f.Key)
	}
	assert.Equal(t, int64(1200), total)
	escaped := lake.PruneByPartition(files, "district", []string{"渝中/区=%"})
	require.Len(t, escaped, 2)
	assert.Contains(t, escaped[0].Key, "district=%E6%B8%9D%E4%B8%AD%2F%E5%8C%BA%3D%25/", "a value never makes a path of its own")
	assert.Len(t, lake.PruneByPartition(files, "month", []string{"02"}), 4)
	unpartitioned := append(files, lake.DataFile{Key: "data/readings/old.parquet"})
	assert.Len(t, lake.PruneByPartition(unpartitioned, "month", []string{"02"}), 5, "a file without partition values is kept")
}

func TestPartitionedWriterBounds(t *testing.T) {
	ctx := context.Background()
	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i <= lake.MaxPartitionsPerWrite; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	pw, err := lake.NewPartitionedWriter(ctx, bucket, "data/t/", schema, []lake.PartitionColumn{{Name: "k", Source: "k"}}, lake.WriterConfig{TmpDir: t.TempDir()})
	require.NoError(t, err)
	require.ErrorIs(t, pw.Write(ctx, rec), lake.ErrTooManyPartitions)
	pw.Abort()
	_, err = lake.NewPartitionedWriter(ctx, bucket, "data/t/", schema, []lake.PartitionColumn{{Name: "year", Source: "k", Transform: lake.TransformYear}}, lake.WriterConfig{})
	require.Error(t, err, "a year of an integer")
}
