package iceberg

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
)

// builderMetadata is the metadata of the planned snapshots as iceberg-go's own builder makes it,
// one snapshot committed to it at a time: the oracle of planMetadata.
func builderMetadata(t *testing.T, p *Plan) table.Metadata {
	t.Helper()
	var meta table.Metadata
	lastSchema := -1
	for i, sp := range p.snaps {
		var b *table.MetadataBuilder
		var err error
		if i == 0 {
			b, err = table.NewMetadataBuilder(2)
			require.NoError(t, err)
			loc := TableLocation(p.t.Location, p.t.Name)
			require.NoError(t, b.SetUUID(uuid.NewSHA1(tableNamespace, []byte(loc))))
			require.NoError(t, b.SetLoc(loc))
			require.NoError(t, b.SetProperties(map[string]string{"ecolake.table": p.t.Name, "write.parquet.compression-codec": "zstd"}))
		} else {
			b, err = table.MetadataBuilderFromBase(meta, "")
			require.NoError(t, err)
		}
		if sp.schemaID != lastSchema {
			require.NoError(t, b.AddSchema(p.schema(sp.schemaID)))
			require.NoError(t, b.SetCurrentSchemaID(-1))
			lastSchema = sp.schemaID
		}
		if i == 0 {
			spec := p.spec
			require.NoError(t, b.AddPartitionSpec(&spec, true))
			require.NoError(t, b.SetDefaultSpecID(-1))
			order := table.UnsortedSortOrder
			require.NoError(t, b.AddSortOrder(&order))
			require.NoError(t, b.SetDefaultSortOrderID(-1))
		}
		schemaID := sp.schemaID
		snap := &table.Snapshot{
			SnapshotID:     sp.id,
			SequenceNumber: sp.s.Sequence,
			TimestampMs:    sp.s.CommittedAt.UnixMilli(),
			ManifestList:   URI(p.t.Location, sp.listKey),
			Summary:        &table.Summary{Operation: table.Operation(sp.op), Properties: p.summary(sp)},
			SchemaID:       &schemaID,
		}
		if sp.parent != 0 {
			parent := sp.parent
			snap.ParentSnapshotID = &parent
		}
		require.NoError(t, b.AddSnapshot(snap))
		require.NoError(t, b.SetSnapshotRef(table.MainBranch, sp.id, table.BranchRef))
		meta, err = b.Build()
		require.NoError(t, err)
	}
	return meta
}

// TestMetadataAsIcebergBuildsIt: the metadata file parses with iceberg-go and equals what
// iceberg-go's own builder makes of the same snapshots (schemas, spec, sort order, snapshots
// with their summaries, log, refs, counters), for a partitioned history with a replacement and a
// schema change, and for an unpartitioned table of one snapshot.
func TestMetadataAsIcebergBuildsIt(t *testing.T) {
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	changed := history()
	v2 := append(append([]lake.Field(nil), schemaV1...), lake.Field{ID: 4, Name: "note", Type: "STRING"})
	m := *changed[2].Manifest
	m.SchemaVersion, m.Schema = 2, v2
	changed[2].Manifest = &m
	parts := []lake.PartitionColumn{{Name: "district_code", Source: "district_code"},
		{Name: "year", Source: "day", Transform: lake.TransformYear}, {Name: "month", Source: "day", Transform: lake.TransformMonth}}
	one := []Snapshot{{Sequence: 7, CommittedAt: at, Manifest: &lake.Manifest{Table: "t", SnapshotID: "s7", Run: "r7",
		SchemaVersion: 3, Schema: schemaV1, Files: []lake.DataFile{file("x.parquet", 4, nil)}}}}
	for name, tbl := range map[string]Table{
		"history":       {Name: "t", Snapshots: history(), Partitions: parts},
		"schema change": {Name: "t", Snapshots: changed, Partitions: parts},
		"unpartitioned": {Name: "t", Snapshots: one},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := local.New(t.TempDir())
			require.NoError(t, err)
			tbl.Location = b.Name()
			p, err := Publish(context.Background(), b, tbl)
			require.NoError(t, err)
			got, err := table.ParseMetadataBytes(p.Metadata)
			require.NoError(t, err)
			want := builderMetadata(t, p)
			assert.True(t, want.Equals(got), "metadata differs from iceberg-go's builder:\nours    %s\nbuilder %s", p.Metadata, jsonOf(t, want))
			assert.Equal(t, want.LastUpdatedMillis(), got.LastUpdatedMillis())
			assert.Equal(t, want.LastSequenceNumber(), got.LastSequenceNumber())
			assert.Equal(t, want.CurrentSnapshot().SnapshotID, got.CurrentSnapshot().SnapshotID)
			assert.Equal(t, want.LastColumnID(), got.LastColumnID())
			assert.Equal(t, want.LastPartitionSpecID(), got.LastPartitionSpecID())
			assert.Equal(t, slices.Collect(want.SnapshotLogs()), slices.Collect(got.SnapshotLogs()))
			ids := map[int]bool{}
			for _, sc := range got.Schemas() {
				ids[sc.ID] = true
			}
			for _, s := range got.Snapshots() {
				require.NotNil(t, s.SchemaID)
				assert.True(t, ids[*s.SchemaID], "snapshot %d names schema %d, which is not listed", s.SnapshotID, *s.SchemaID)
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
