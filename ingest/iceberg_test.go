package ingest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake/iceberg"
)

// TestIcebergDerivedEntry: a derived entry commits through the loads' commit, so once its table is
// read through Iceberg its materialisations are published as Iceberg snapshots too, and iceberg-go reads from the
// metadata file exactly the rows DuckDB reads from the snapshot's files.
func TestIcebergDerivedEntry(t *testing.T) {
	e := derivedEnv(t)
	ctx := context.Background()
	e.loadInputs()
	res, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err, res.Summary())
	// Read through Iceberg once (as the catalogue's load of the table does): commits publish.
	_, err = PublishIceberg(ctx, e.cat.View(), e.bucket, monthlyCode)
	require.NoError(t, err)
	e.load(hourlyCode, "district,measured_at,pm25\n渝中区,2025-02-10 08:00:00,30\n江北区,2025-03-01 00:00:00,28\n")
	res, err = e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err, res.Summary())

	tbl, ok, err := IcebergTable(ctx, e.cat.View(), e.bucket, e.bucket.Name(), monthlyCode, func(s *catalog.Snapshot) bool { return !s.Expired() })
	require.NoError(t, err)
	require.True(t, ok)
	p, err := iceberg.Prepare(tbl)
	require.NoError(t, err)
	for _, k := range p.Keys() {
		_, err := e.bucket.Attributes(ctx, k)
		require.NoError(t, err, "%s is published by the materialisation's commit", k)
	}
	loc := p.MetadataLocation()
	it, err := table.NewFromLocation(ctx, table.Identifier{"ecolake", "pm25_monthly"}, loc, iceio.LoadFSFunc(nil, loc), nil)
	require.NoError(t, err)
	require.Len(t, it.Metadata().Snapshots(), 2)
	assert.Equal(t, iceberg.SnapshotID(res.Snapshot.ID), it.CurrentSnapshot().SnapshotID)
	assert.EqualValues(t, "overwrite", it.CurrentSnapshot().Summary.Operation, "a materialisation replaces the rows")

	at, err := it.Scan(table.WithSelectedFields("district", "month", "avg_pm25", "target", "exceeded")).ToArrowTable(ctx)
	require.NoError(t, err)
	defer at.Release()
	var got [][]string
	tr := array.NewTableReader(at, 1024)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			row := make([]string, rec.NumCols())
			for c := range row {
				row[c] = duckText(rec.Column(c), r)
			}
			got = append(got, row)
		}
	}
	sort.Slice(got, func(i, j int) bool { return fmt.Sprint(got[i]) < fmt.Sprint(got[j]) })
	assert.Equal(t, e.monthlyRows(), got)
}

// duckText is a value as monthlyRows prints DuckDB's.
func duckText(col arrow.Array, r int) string {
	switch c := col.(type) {
	case *array.Date32:
		return c.Value(r).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		return c.Value(r).ToTime(c.DataType().(*arrow.TimestampType).Unit).Format(time.DateTime)
	case *array.Float64:
		return fmt.Sprint(c.Value(r))
	case *array.Int64:
		return fmt.Sprint(c.Value(r))
	case *array.Boolean:
		return fmt.Sprint(c.Value(r))
	}
	return col.ValueStr(r)
}
