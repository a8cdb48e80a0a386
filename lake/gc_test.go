package lake_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
)

func TestCollectGarbage(t *testing.T) {
	ctx := context.Background()
	b, err := local.New(t.TempDir())
	require.NoError(t, err)
	defer b.Close()
	put := func(key string) {
		require.NoError(t, b.Upload(ctx, key, bytes.NewReader([]byte(key)), int64(len(key))))
	}
	for _, k := range []string{"tables/a/data/live.parquet", "tables/a/data/orphan.parquet",
		"tables/a/metadata/s1.json", "tables/b/data/orphan.parquet", "other/keep.txt"} {
		put(k)
	}
	live := map[string]bool{"tables/a/data/live.parquet": true, "tables/a/metadata/s1.json": true}
	isLive := func(k string) bool { return live[k] }

	// Everything just written is younger than a cut-off in the past: nothing goes.
	res, err := lake.CollectGarbage(ctx, b, "tables/", isLive, time.Now().Add(-time.Hour), false)
	require.NoError(t, err)
	assert.Equal(t, 4, res.Scanned)
	assert.Equal(t, 2, res.Live)
	assert.Equal(t, 2, res.Young)
	assert.Empty(t, res.Deleted)

	// A dry run reports without deleting.
	res, err = lake.CollectGarbage(ctx, b, "tables/", isLive, time.Now().Add(time.Minute), true)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"tables/a/data/orphan.parquet", "tables/b/data/orphan.parquet"}, res.Deleted)
	_, err = b.Attributes(ctx, "tables/a/data/orphan.parquet")
	require.NoError(t, err)

	res, err = lake.CollectGarbage(ctx, b, "tables/", isLive, time.Now().Add(time.Minute), false)
	require.NoError(t, err)
	assert.Len(t, res.Deleted, 2)
	assert.Equal(t, int64(len("tables/a/data/orphan.parquet")+len("tables/b/data/orphan.parquet")), res.Bytes)
	for _, k := range res.Deleted {
		_, err := b.Attributes(ctx, k)
		assert.True(t, errors.Is(err, lake.ErrNotFound), k)
	}
	for k := range live {
		_, err := b.Attributes(ctx, k)
		assert.NoError(t, err, "live object %s must survive", k)
	}
	_, err = b.Attributes(ctx, "other/keep.txt")
	assert.NoError(t, err, "objects outside the prefix are not touched")
}
