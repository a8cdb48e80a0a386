package lake_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

// TestCacheStats: a first read of a file is a miss, the next ones hits; a local bucket's files
// are read in place and counted apart; the size and file count follow what is held.
func TestCacheStats(t *testing.T) {
	ctx := context.Background()
	c, _, b, _ := newRemoteCache(t, 1<<20)
	f1 := put(t, b, "tables/t/data/1.parquet", 300)
	f2 := put(t, b, "tables/t/data/2.parquet", 200)
	assert.Equal(t, lake.CacheStats{MaxBytes: 1 << 20}, c.Stats())

	_, release, err := c.Acquire(ctx, []lake.DataFile{f1, f2})
	require.NoError(t, err)
	release()
	_, release, err = c.Acquire(ctx, []lake.DataFile{f1})
	require.NoError(t, err)
	release()
	assert.Equal(t, lake.CacheStats{Hits: 1, Misses: 2, Bytes: 500, Files: 2, MaxBytes: 1 << 20}, c.Stats())

	lb := newLocal(t)
	lc, err := lake.NewCache(lb, filepath.Join(t.TempDir(), "cache"), 10)
	require.NoError(t, err)
	lf := put(t, lb, "tables/t/data/local.parquet", 100)
	for range 3 {
		_, release, err := lc.Acquire(ctx, []lake.DataFile{lf})
		require.NoError(t, err)
		release()
	}
	assert.Equal(t, lake.CacheStats{Local: 3, MaxBytes: 10}, lc.Stats())
}
