package lake_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

// flipByte inverts one byte of the file in place, keeping its size.
func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[at] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// A local lake's own file with flipped bytes (same size) is refused, not handed to DuckDB; once
// its bytes are right again it is served again.
func TestCacheRefusesChangedLocalLakeFile(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	c, err := lake.NewCache(b, filepath.Join(t.TempDir(), "cache"), 1<<20)
	require.NoError(t, err)
	f := put(t, b, "tables/t/data/a.parquet", 4000)
	g := put(t, b, "tables/t/data/b.parquet", 3000)
	path, _ := b.LocalPath(f.Key)

	// Flipped before its first use in this process.
	flipByte(t, path, 1234)
	_, _, err = c.Acquire(ctx, []lake.DataFile{g, f})
	require.ErrorIs(t, err, lake.ErrChecksum)
	assert.Contains(t, err.Error(), f.Key)
	paths, release, err := c.Acquire(ctx, []lake.DataFile{g})
	require.NoError(t, err, "another file is still served")
	release()
	require.Len(t, paths, 1)

	flipByte(t, path, 1234) // back to the recorded bytes
	_, release, err = c.Acquire(ctx, []lake.DataFile{f})
	require.NoError(t, err)
	release()

	// Flipped after it was verified and served: its stat changed, so it is read again.
	flipByte(t, path, 10)
	_, _, err = c.Acquire(ctx, []lake.DataFile{f})
	require.ErrorIs(t, err, lake.ErrChecksum)
}

// A cached copy whose bytes change after the fetch is never served: it is dropped and fetched
// again from the bucket, and counted.
func TestCacheRefetchesChangedCopy(t *testing.T) {
	ctx := context.Background()
	c, r, b, _ := newRemoteCache(t, 1<<20)
	f := put(t, b, "tables/t/data/a.parquet", 5000)
	want, err := os.ReadFile(mustLocal(t, b, f.Key))
	require.NoError(t, err)

	paths, release, err := c.Acquire(ctx, []lake.DataFile{f})
	require.NoError(t, err)
	release()
	require.EqualValues(t, 1, r.gets.Load())
	flipByte(t, paths[0], 4321)

	paths, release, err = c.Acquire(ctx, []lake.DataFile{f})
	require.NoError(t, err)
	defer release()
	got, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	assert.Equal(t, want, got, "the copy served holds the bucket's bytes")
	assert.EqualValues(t, 2, r.gets.Load(), "fetched again")
	assert.EqualValues(t, 1, c.Corrupted())
	assert.EqualValues(t, 5000, c.Size(), "the dropped copy is not counted twice")

	// A removed copy is fetched again too.
	release()
	require.NoError(t, os.Remove(paths[0]))
	paths, release2, err := c.Acquire(ctx, []lake.DataFile{f})
	require.NoError(t, err)
	defer release2()
	assert.FileExists(t, paths[0])
	assert.EqualValues(t, 3, r.gets.Load())

	// When the bucket's object is damaged too, the fetch refuses it.
	release2()
	flipByte(t, mustLocal(t, b, f.Key), 7)
	flipByte(t, paths[0], 7)
	_, _, err = c.Acquire(ctx, []lake.DataFile{f})
	require.ErrorIs(t, err, lake.ErrChecksum)
}

func mustLocal(t *testing.T, b lake.Bucket, key string) string {
	t.Helper()
	p, ok := b.(lake.LocalPather).LocalPath(key)
	require.True(t, ok)
	return p
}
