package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake/iceberg"
	"github.com/cqeco/ecolake/schemas"
)

// TestIcebergAfterRetention: after retention expired snapshots and the collection removed their
// files, the metadata served names only the kept snapshot, every object it names is there, and
// the table reads as GraphQL answers; the objects of the metadata before are collected too.
func TestIcebergAfterRetention(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	one := 1
	env.addIceEntry(t, &one)
	for i := range 3 {
		env.load(t, iceCode, "", iceHeader+iceRows("万州区", fmt.Sprintf("2025-0%d-05", i+1), 3, 10*i))
	}
	before := env.checkIceberg(t, reader)[iceTable]
	require.Len(t, before.Metadata().Snapshots(), 3)

	gc := DefaultGCConfig()
	gc.MinAge = 0
	res, err := env.a.collect(ctx, gc, time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	require.Len(t, res.plan.Expire, 2)
	require.NotEmpty(t, res.lake.Deleted)

	after := env.checkIceberg(t, reader)[iceTable]
	meta := after.Metadata()
	require.Len(t, meta.Snapshots(), 1)
	e, err := env.a.Cat.View().Entry(iceCode)
	require.NoError(t, err)
	assert.Equal(t, iceberg.SnapshotID(e.CurrentSnapshot), meta.CurrentSnapshot().SnapshotID)
	assert.NotEqual(t, before.MetadataLocation(), after.MetadataLocation(), "a new metadata version")
	tbl, ok, err := ingest.IcebergTable(ctx, env.a.Cat.View(), env.a.Bucket, env.a.Bucket.Name(), iceCode,
		func(s *catalog.Snapshot) bool { return !s.Expired() })
	require.NoError(t, err)
	require.True(t, ok)
	plan, err := iceberg.Prepare(tbl)
	require.NoError(t, err)
	for _, k := range plan.Keys() {
		ok, err := present(env.a, k)
		require.NoError(t, err)
		assert.True(t, ok, "%s of the served metadata is kept", k)
	}
	deleted := strings.Join(res.lake.Deleted, "\n")
	assert.Contains(t, deleted, strings.TrimPrefix(before.MetadataLocation(), env.a.Bucket.Name()+"/"),
		"the metadata over the expired snapshots is collected with their files")
	require.Equal(t, int64(3), meta.CurrentSnapshot().SequenceNumber)

	// Once the records of the expired snapshots are purged, the kept snapshot keeps its sequence
	// number and the next load takes the one after it; a collection keeps what is served.
	done, err := env.a.Cat.PurgeHistory(ctx, time.Now())
	require.NoError(t, err)
	require.Equal(t, 2, done.Snapshots)
	assert.Equal(t, int64(2), env.a.Cat.View().PurgedSnapshots(iceCode))
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-04-05", 3, 30))
	_, err = env.a.collect(ctx, gc, time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	tbl, ok, err = ingest.IcebergTable(ctx, env.a.Cat.View(), env.a.Bucket, env.a.Bucket.Name(), iceCode,
		func(s *catalog.Snapshot) bool { return !s.Expired() })
	require.NoError(t, err)
	require.True(t, ok)
	plan, err = iceberg.Prepare(tbl)
	require.NoError(t, err)
	for _, k := range plan.Keys() {
		ok, err := present(env.a, k)
		require.NoError(t, err)
		assert.True(t, ok, "%s of the metadata served after the purge is kept", k)
	}
	meta = env.checkIceberg(t, reader)[iceTable].Metadata()
	require.Len(t, meta.Snapshots(), 1, "the retention of one")
	assert.Equal(t, int64(4), meta.CurrentSnapshot().SequenceNumber)
	assert.Equal(t, int64(4), meta.LastSequenceNumber())
}

// TestIcebergPublishedOnCommitAndCaughtUp: each load's commit publishes its version before anyone
// asks; metadata lost (a crash between the commit and its publication, a lake restored from a
// backup, snapshots committed before Iceberg metadata was published) is published again when the
// catalogue loads the table, at the same keys.
func TestIcebergPublishedOnCommitAndCaughtUp(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)
	published := func(p *iceberg.Plan) (n int) {
		for _, k := range p.Keys() {
			ok, err := present(env.a, k)
			require.NoError(t, err)
			if ok {
				n++
			}
		}
		return n
	}
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 3, 0))
	p := env.icePlan(t, iceCode)
	assert.Equal(t, len(p.Keys()), published(p), "the commit publishes before anyone asks")
	ok, err := iceberg.Published(ctx, env.a.Bucket, iceTable)
	require.NoError(t, err)
	assert.True(t, ok)

	env.load(t, iceCode, "", iceHeader+iceRows("江北区", "2025-02-05", 3, 10))
	p = env.icePlan(t, iceCode)
	assert.Equal(t, len(p.Keys()), published(p), "each commit publishes its version")
	env.checkIceberg(t, reader)

	for _, k := range p.Keys() {
		require.NoError(t, env.a.Bucket.Delete(ctx, k))
	}
	tables := env.checkIceberg(t, reader)
	assert.Equal(t, p.MetadataLocation(), tables[iceTable].MetadataLocation())
	assert.Equal(t, len(p.Keys()), published(p), "published again on demand")
}

// TestIcebergOldVersionsCollected: without retention, a collection keeps the newest ten metadata
// versions (the one served among them) and every manifest and manifest list of the snapshots,
// and removes the older versions; the table reads as before.
func TestIcebergOldVersionsCollected(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)
	for i := range icebergVersions + 2 {
		env.load(t, iceCode, "", iceHeader+iceRows("万州区", fmt.Sprintf("2025-01-%02d", i+1), 2, 10*i))
		if i == 0 {
			env.checkIceberg(t, reader) // read through Iceberg: the next commits publish
		}
	}
	count := func() (metadata, avro int) {
		require.NoError(t, env.a.Bucket.Iter(ctx, iceberg.MetadataDir(iceTable), func(k string) error {
			switch {
			case strings.HasSuffix(k, ".metadata.json"):
				metadata++
			case strings.HasSuffix(k, ".avro"):
				avro++
			}
			return nil
		}))
		return
	}
	metadata, avro := count()
	require.Equal(t, icebergVersions+2, metadata, "one version per commit")
	gc := DefaultGCConfig()
	gc.MinAge = 0
	_, err := env.a.collect(ctx, gc, time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	metadata, kept := count()
	assert.Equal(t, icebergVersions, metadata, "the newest versions stay")
	assert.Equal(t, avro, kept, "every manifest and list of a kept snapshot stays")
	served := env.icePlan(t, iceCode).MetadataKey
	ok, err := present(env.a, served)
	require.NoError(t, err)
	assert.True(t, ok)
	env.checkIceberg(t, reader)
}
