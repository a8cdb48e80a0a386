package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake/iceberg"
	"github.com/cqeco/ecolake/schemas"
)

// TestIcebergSecondReader: every table a reader may read raw is listed by iceberg-go's own REST
// client, and loaded through it and through the metadata file, its scan giving exactly the rows
// GraphQL (DuckDB) answers — on the demo's tables, and on a partitioned table after a first load,
// an append, a partition replacement and an item added. The Iceberg history follows ours:
// snapshot per snapshot, with our ids, the replacement an overwrite, a second schema.
func TestIcebergSecondReader(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)

	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 6, 0)+iceRows("江北区", "2025-02-07", 4, 100))
	env.checkIceberg(t, reader)
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-03-01", 3, 200)+"江北区,2025-03-02,7,,,\n")
	env.checkIceberg(t, reader)
	// A replacement of 万州's rows of the day it reports, the other partitions kept.
	sub := ingestAsOperator(iceCode, wanzhou, iceHeader+iceRows("万州区", "2025-01-05", 2, 300))
	sub.Replace = true
	_, err := env.a.Ingest.Submit(ctx, sub)
	require.NoError(t, err)
	tables := env.checkIceberg(t, reader)
	meta := tables[iceTable].Metadata()
	snap := meta.CurrentSnapshot()
	require.NotNil(t, snap)
	assert.EqualValues(t, "overwrite", snap.Summary.Operation, "the replacement removes files: %v", snap.Summary)
	assert.NotEqual(t, "0", snap.Summary.Properties["deleted-data-files"])

	// An item added: a second schema; the older files read it as null.
	e, err := env.a.Cat.View().Entry(iceCode)
	require.NoError(t, err)
	items := append(e.Items.Slice(), catalog.Item{Name: "备注", Field: "note", Type: schemas.String, Grade: schemas.General1})
	e.Items = catalog.ItemsOf(items...)
	require.NoError(t, env.a.Cat.PutEntry(ctx, e))
	env.load(t, iceCode, "", iceHeader[:len(iceHeader)-1]+",备注\n"+"江北区,2025-04-01,9,1.5,true,2025-04-01 10:00:00,复测\n")
	tables = env.checkIceberg(t, reader)

	meta = tables[iceTable].Metadata()
	v := env.a.Cat.View()
	ours := v.Snapshots(iceCode) // newest first
	require.Len(t, ours, 4)
	require.Len(t, meta.Snapshots(), 4)
	for i, s := range ours {
		is := meta.Snapshots()[len(ours)-1-i]
		assert.Equal(t, iceberg.SnapshotID(s.ID), is.SnapshotID)
		assert.Equal(t, s.ID, is.Summary.Properties[iceberg.SummarySnapshot])
		assert.Equal(t, s.CommittedAt.UnixMilli(), is.TimestampMs)
		if s.Parent != "" {
			require.NotNil(t, is.ParentSnapshotID)
			assert.Equal(t, iceberg.SnapshotID(s.Parent), *is.ParentSnapshotID)
		}
	}
	var logged int
	for range meta.SnapshotLogs() {
		logged++
	}
	assert.Equal(t, 4, logged, "the snapshot log lists every snapshot")
	assert.Len(t, meta.Schemas(), 2, "the item added is a second schema")
	assert.Equal(t, ours[0].SchemaVersion, meta.CurrentSchema().ID, "schema ids are our schema versions")
	assert.Equal(t, 2, ours[0].SchemaVersion)
	spec := meta.PartitionSpec()
	var specText []string
	for _, f := range spec.Fields() {
		specText = append(specText, f.Name+"="+f.Transform.String())
	}
	assert.Equal(t, []string{"district_code=identity", "day_month=month"}, specText)
	e, err = v.Entry(iceCode)
	require.NoError(t, err)
	assert.Equal(t, iceberg.SnapshotID(e.CurrentSnapshot), meta.CurrentSnapshot().SnapshotID)

	// Publishing again writes nothing new: the same metadata, its objects unchanged.
	loc := tables[iceTable].MetadataLocation()
	again := env.iceMetadata(t, reader, iceTable)
	assert.Equal(t, meta.LastUpdatedMillis(), again.LastUpdatedMillis())
	p, err := ingest.PublishIceberg(ctx, v, env.a.Bucket, iceCode)
	require.NoError(t, err)
	assert.Equal(t, loc, p.MetadataLocation())
	assert.True(t, strings.HasPrefix(loc, "file:///"), loc)
}

// TestIcebergRemovedItemNotDeclared: an item removed from the entry is declared in no schema the
// catalogue serves, not even those of snapshots loaded while it was there, so a reader cannot
// travel back to read a column the access decision no longer covers.
func TestIcebergRemovedItemNotDeclared(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 3, 0))
	env.load(t, iceCode, "", iceHeader+iceRows("江北区", "2025-02-05", 3, 10))
	e, err := env.a.Cat.View().Entry(iceCode)
	require.NoError(t, err)
	items := slices.DeleteFunc(e.Items.Slice(), func(it catalog.Item) bool { return it.Field == "ratio" })
	e.Items = catalog.ItemsOf(items...)
	require.NoError(t, env.a.Cat.PutEntry(ctx, e))

	meta := env.checkIceberg(t, reader)[iceTable].Metadata()
	require.Len(t, meta.Snapshots(), 2)
	for _, sc := range meta.Schemas() {
		_, found := sc.FindFieldByName("ratio")
		assert.False(t, found, "schema %d declares the removed item", sc.ID)
	}
	for _, s := range meta.Snapshots() {
		tbl, err := env.iceCatalog(t, reader).LoadTable(ctx, table.Identifier{api.IcebergNamespace, iceTable})
		require.NoError(t, err)
		at, err := tbl.Scan(table.WithSnapshotID(s.SnapshotID)).ToArrowTable(ctx)
		require.NoError(t, err)
		assert.Empty(t, at.Schema().FieldIndices("ratio"), "snapshot %d reads no removed column", s.SnapshotID)
		at.Release()
	}
}

// TestIcebergPartitionValuesEscaped: a table partitioned by a text item whose values are Chinese
// and hold spaces (escaped in the lake's keys) reads whole through the catalogue and the metadata
// file.
func TestIcebergPartitionValuesEscaped(t *testing.T) {
	env := newMatrixEnv(t)
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	e := &catalog.Entry{
		ResourceCode: "0102/900011", Table: "ice_sites", Name: "站点读数（湖表测试）", CategoryCode: "0102",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "站点读数", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL", UpdateCycle: schemas.Irregular,
		Status: catalog.StatusPublished, Department: "DIV_WATER", District: schemas.CityCode, SourceKind: "DISTRICT_SUBMISSION",
		Domains: []string{"WATER"}, Partitions: []string{"site"},
		Items: catalog.ItemsOf(
			catalog.Item{Name: "站点", Field: "site", Type: schemas.String, Required: true, Grade: schemas.General1},
			catalog.Item{Name: "读数", Field: "reading", Type: schemas.Int, Required: true, Grade: schemas.General1},
		),
	}
	require.NoError(t, env.a.Cat.PutEntry(context.Background(), e))
	env.load(t, e.ResourceCode, "", "站点,读数\n北碚站,1\n江北站 A,2\n100%站,3\n北碚站,4\n")
	tables := env.checkIceberg(t, reader)
	require.Contains(t, tables, "ice_sites")
	assert.Len(t, scanRows(t, tables["ice_sites"], e), 4)
}
