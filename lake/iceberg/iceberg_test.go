package iceberg

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	ice "github.com/apache/iceberg-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
)

var schemaV1 = []lake.Field{{ID: 1, Name: "district_code", Type: "STRING"}, {ID: 2, Name: "day", Type: "DATE"}, {ID: 3, Name: "amount", Type: "INT"}}

func file(key string, rows int64, part map[string]string) lake.DataFile {
	return lake.DataFile{Key: "tables/t/data/" + key, Rows: rows, Bytes: rows * 100, Partition: part}
}

// history is three snapshots: a load, an append, and a replacement of the first file.
func history() []Snapshot {
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	p1 := map[string]string{"district_code": "500101", "year": "2025", "month": "01"}
	p2 := map[string]string{"district_code": "500105", "year": "2024", "month": "12"}
	f1, f2, f3 := file("a.parquet", 3, p1), file("b.parquet", 2, p2), file("c.parquet", 1, p1)
	m := func(id, parent string, files ...lake.DataFile) *lake.Manifest {
		return &lake.Manifest{Table: "t", SnapshotID: id, Parent: parent, Run: "r" + id, SchemaVersion: 1, Schema: schemaV1, Files: files}
	}
	return []Snapshot{
		{Sequence: 1, CommittedAt: at, Manifest: m("s1", "", f1)},
		{Sequence: 2, CommittedAt: at.Add(time.Minute), Manifest: m("s2", "s1", f1, f2)},
		{Sequence: 3, CommittedAt: at.Add(2 * time.Minute), Manifest: m("s3", "s2", f2, f3)},
	}
}

func keysUnder(t *testing.T, b lake.Bucket) []string {
	var keys []string
	require.NoError(t, b.Iter(context.Background(), MetadataDir("t"), func(k string) error { keys = append(keys, k); return nil }))
	return keys
}

// TestPublishIsIdempotentAndImmutable: publishing the same snapshots again writes nothing; a
// history without its oldest snapshot (retention) is a new metadata version under new keys,
// the objects of the first left as they were.
func TestPublishIsIdempotentAndImmutable(t *testing.T) {
	ctx := context.Background()
	b, err := local.New(t.TempDir())
	require.NoError(t, err)
	tbl := Table{Name: "t", Location: b.Name(), Snapshots: history(),
		Partitions: []lake.PartitionColumn{{Name: "district_code", Source: "district_code"},
			{Name: "year", Source: "day", Transform: lake.TransformYear}, {Name: "month", Source: "day", Transform: lake.TransformMonth}}}
	p, err := Publish(ctx, b, tbl)
	require.NoError(t, err)
	first := keysUnder(t, b)
	assert.ElementsMatch(t, p.Keys(), first)
	assert.Len(t, first, 7, "a manifest and a list per snapshot, one metadata file")
	assert.True(t, strings.HasPrefix(p.MetadataLocation(), "file:///"))

	again, err := Publish(ctx, b, tbl)
	require.NoError(t, err)
	assert.Equal(t, p.MetadataKey, again.MetadataKey)
	assert.Equal(t, p.Metadata, again.Metadata)
	assert.Equal(t, first, keysUnder(t, b), "nothing new written")

	kept := tbl
	kept.Snapshots = tbl.Snapshots[1:]
	later, err := Publish(ctx, b, kept)
	require.NoError(t, err)
	assert.NotEqual(t, p.MetadataKey, later.MetadataKey)
	// s2, whose parent is gone, lists its files as existing: a new manifest and list; s3's, which
	// depend on s3 and s2 alone, are shared with the first version.
	assert.NotEqual(t, p.snaps[1].manifestKey, later.snaps[0].manifestKey)
	assert.NotEqual(t, p.snaps[1].listKey, later.snaps[0].listKey)
	assert.Equal(t, p.snaps[2].manifestKey, later.snaps[1].manifestKey)
	assert.Equal(t, p.snaps[2].listKey, later.snaps[1].listKey)
	all := keysUnder(t, b)
	assert.Len(t, all, 7+3, "the new manifest and list of s2 and the new metadata")
	for _, k := range first {
		assert.Contains(t, all, k, "the first version's objects stay as they were")
	}
	for _, e := range later.snaps[0].entries {
		assert.Equal(t, ice.EntryStatusEXISTING, e.status)
		assert.Equal(t, SnapshotID("s1"), e.snapshot)
	}

	// The replacement deletes a file and adds one: an overwrite; the append an append.
	assert.Equal(t, "append", p.snaps[1].op)
	assert.Equal(t, "overwrite", p.snaps[2].op)
	// year and month of the same column are Iceberg's month.
	var names []string
	for _, f := range p.spec.Fields() {
		names = append(names, f.Name+":"+f.Transform.String())
	}
	assert.Equal(t, []string{"district_code:identity", "day_month:month"}, names)
	part, err := p.partition(tbl.Snapshots[0].Manifest.Files[0], schemaV1)
	require.NoError(t, err)
	assert.Equal(t, map[int]any{1000: "500101", 1001: int32((2025-1970)*12 + 0)}, part)
}

// TestSpecLeavesOutWhatFilesDoNotRecord: a partition column some file lacks a value of, and a
// month without its year, are not declared.
func TestSpecLeavesOutWhatFilesDoNotRecord(t *testing.T) {
	h := history()
	h[0].Manifest.Files = []lake.DataFile{file("old.parquet", 1, nil)}
	h[1].Manifest.Files = append(h[1].Manifest.Files, h[0].Manifest.Files...)
	h[1].Manifest.Files = h[1].Manifest.Files[1:]
	tbl := Table{Name: "t", Location: "s3://lake/p", Snapshots: h, Partitions: []lake.PartitionColumn{
		{Name: "district_code", Source: "district_code"}, {Name: "month", Source: "day", Transform: lake.TransformMonth}}}
	p, err := Prepare(tbl)
	require.NoError(t, err)
	assert.Equal(t, 0, p.spec.NumFields())
	tbl.Snapshots = h[2:]
	tbl.Snapshots[0].Manifest.Parent = ""
	p, err = Prepare(tbl)
	require.NoError(t, err)
	assert.Equal(t, 1, p.spec.NumFields(), "the month alone is left out")
	assert.Equal(t, "s3://lake/p/tables/t/data/b.parquet", URI(tbl.Location, p.snaps[0].entries[0].file.Key))
}

func TestPrepareRefuses(t *testing.T) {
	h := history()
	for name, tbl := range map[string]Table{
		"relative location": {Name: "t", Location: "lake", Snapshots: h},
		"no snapshots":      {Name: "t", Location: "file:///x"},
		"broken chain":      {Name: "t", Location: "file:///x", Snapshots: []Snapshot{h[0], h[2]}},
	} {
		_, err := Prepare(tbl)
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
}

// TestPublishWindow: a history longer than MaxSnapshots publishes its newest MaxSnapshots, the one
// before them read for what the oldest published added; the next commit writes only its own
// manifest and list and a new metadata file.
func TestPublishWindow(t *testing.T) {
	ctx := context.Background()
	b, err := local.New(t.TempDir())
	require.NoError(t, err)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var snaps []Snapshot
	var files []lake.DataFile
	add := func(i int) {
		files = append(files, file(fmt.Sprintf("f%d.parquet", i), 10, nil))
		parent := ""
		if i > 0 {
			parent = fmt.Sprintf("s%d", i-1)
		}
		snaps = append(snaps, Snapshot{Sequence: int64(i + 1), CommittedAt: at.Add(time.Duration(i) * time.Minute),
			Manifest: &lake.Manifest{Table: "t", SnapshotID: fmt.Sprintf("s%d", i), Parent: parent, Run: "r", SchemaVersion: 1,
				Schema: schemaV1, Files: append([]lake.DataFile(nil), files...)}})
	}
	for i := range MaxSnapshots + 5 {
		add(i)
	}
	p, err := Publish(ctx, b, Table{Name: "t", Location: b.Name(), Snapshots: snaps})
	require.NoError(t, err)
	require.Len(t, p.snaps, MaxSnapshots)
	oldest := p.snaps[0]
	assert.Equal(t, "s5", oldest.s.Manifest.SnapshotID)
	assert.Len(t, oldest.added, 1, "the oldest published adds one file against its parent s4")
	assert.Len(t, oldest.entries, 6)
	before := keysUnder(t, b)

	add(MaxSnapshots + 5)
	next, err := Publish(ctx, b, Table{Name: "t", Location: b.Name(), Snapshots: snaps[len(snaps)-MaxSnapshots-1:]})
	require.NoError(t, err)
	assert.Equal(t, "s6", next.snaps[0].s.Manifest.SnapshotID)
	assert.Equal(t, p.snaps[1].manifestKey, next.snaps[0].manifestKey, "s6's manifest is shared")
	assert.Len(t, keysUnder(t, b), len(before)+3, "one manifest, one list, one metadata file")
}

func TestURI(t *testing.T) {
	key := "tables/t/data/site=%E5%8C%97/x y.parquet"
	assert.Equal(t, "file:///var/my%20lake/tables/t/data/site=%25E5%258C%2597/x%20y.parquet", URI("file:///var/my lake", key))
	assert.Equal(t, "s3://b/p/"+key, URI("s3://b/p/", key), "object names are opaque")
	assert.Equal(t, "s3://b/tables/t", TableLocation("s3://b/", "t"))
}

// TestParseKey: every key a publication writes says what it is.
func TestParseKey(t *testing.T) {
	p, err := Prepare(Table{Name: "t", Location: "file:///lake", Snapshots: history()})
	require.NoError(t, err)
	for i, sp := range p.snaps {
		k, ok := ParseKey("t", sp.manifestKey)
		require.True(t, ok, sp.manifestKey)
		assert.Equal(t, Key{Kind: KindManifest, Snapshot: sp.s.Manifest.SnapshotID}, k)
		k, ok = ParseKey("t", sp.listKey)
		require.True(t, ok, sp.listKey)
		assert.Equal(t, Key{Kind: KindManifestList, IcebergID: SnapshotID(sp.s.Manifest.SnapshotID)}, k, "snapshot %d", i)
	}
	k, ok := ParseKey("t", p.MetadataKey)
	require.True(t, ok, p.MetadataKey)
	assert.Equal(t, Key{Kind: KindMetadata, First: 1, Last: 3}, k)
	for _, other := range []string{"tables/t/metadata/s1.json", "tables/t/data/x.parquet", "tables/u/metadata/" + strings.TrimPrefix(p.MetadataKey, "tables/t/metadata/")} {
		_, ok := ParseKey("t", other)
		assert.False(t, ok, other)
	}
}
