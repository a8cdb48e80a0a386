package lake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

// TestTableWriterRecordsBounds writes two files, the first of two row groups, and checks the
// bounds each records: merged over row groups, nulls counted, no bound for floats, long text or
// columns whose statistics are incomplete.
func TestTableWriterRecordsBounds(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "district_code", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "samples", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "pm25", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "remark", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "nothing", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	// The first file has 130 000 rows: 122 880 of 渝中区 (several row groups), then 万州区 and
	// 石柱县; the second holds 10 rows.
	const first = 130_000
	w, err := lake.NewTableWriter(ctx, b, lake.DataPrefix("bounds"), schema, lake.WriterConfig{TargetRows: first, TmpDir: t.TempDir()})
	require.NoError(t, err)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	long := strings.Repeat("很长的备注", 10) // 150 bytes
	for i := range first + 10 {
		d := "500103"
		if i >= 122_880 {
			d = []string{"500101", "500240"}[i%2]
		}
		rb.Field(0).(*array.StringBuilder).Append(d)
		if i%10 == 0 {
			rb.Field(1).AppendNull()
		} else {
			rb.Field(1).(*array.Int64Builder).Append(int64(i%1000) - 5)
		}
		rb.Field(2).(*array.Float64Builder).Append(float64(i))
		if i == 7 {
			rb.Field(3).(*array.StringBuilder).Append(long)
		} else {
			rb.Field(3).(*array.StringBuilder).Append("好")
		}
		rb.Field(4).AppendNull()
	}
	rec := rb.NewRecordBatch()
	require.NoError(t, w.Write(ctx, rec))
	rec.Release()
	files, err := w.Close(ctx)
	require.NoError(t, err)
	require.Len(t, files, 2)

	assert.Equal(t, map[string]lake.Bound{
		"district_code": {Min: "500101", Max: "500240"},
		"samples":       {Min: "-4", Max: "994", Nulls: first / 10},
		"nothing":       {Nulls: first},
	}, files[0].Bounds)
	assert.Equal(t, map[string]lake.Bound{
		"district_code": {Min: "500101", Max: "500240"},
		"samples":       {Min: "-4", Max: "4", Nulls: 1},
		"remark":        {Min: "好", Max: "好"},
		"nothing":       {Nulls: 10},
	}, files[1].Bounds)

	// Bounds survive the manifest round trip.
	m := sampleManifest()
	m.Schema = []lake.Field{{ID: 1, Name: "district_code", Type: "STRING"}}
	m.Files = files
	key, err := lake.WriteManifest(ctx, b, m)
	require.NoError(t, err)
	got, err := lake.ReadManifest(ctx, b, key)
	require.NoError(t, err)
	assert.Equal(t, files, got.Files)
}

func TestManifestBoundsValidated(t *testing.T) {
	for name, bounds := range map[string]map[string]lake.Bound{
		"more nulls than rows": {"district_code": {Nulls: 11}},
		"negative nulls":       {"district_code": {Nulls: -1}},
		"bad column name":      {"PM2.5": {Min: "1", Max: "2"}},
	} {
		t.Run(name, func(t *testing.T) {
			m := sampleManifest()
			m.Files[0].Bounds = bounds
			_, err := lake.WriteManifest(context.Background(), newLocal(t), m)
			assert.ErrorIs(t, err, lake.ErrInvalidManifest)
		})
	}
	m := sampleManifest()
	m.Files[0].Bounds = map[string]lake.Bound{"dropped_item": {Min: "a", Max: "b", Nulls: 10}}
	_, err := lake.WriteManifest(context.Background(), newLocal(t), m)
	assert.NoError(t, err, "a file keeps the bounds of columns the snapshot's schema no longer has")
}

func TestCompareBound(t *testing.T) {
	tests := []struct {
		numeric bool
		a, b    string
		want    int
	}{
		{false, "500101", "500103", -1},
		{false, "b", "a", 1},
		{false, "九龙坡区", "九龙坡区", 0},
		{false, "9", "10", 1},
		{true, "9", "10", -1},
		{true, "-5", "3", -1},
		{true, "500101", "500101", 0},
		{true, "x", "1", -1},
		{true, "1", "x", 1},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, lake.CompareBound(tc.numeric, tc.a, tc.b), "%v %q %q", tc.numeric, tc.a, tc.b)
	}
}
