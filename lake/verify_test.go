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

// VerifyObject accepts an object holding its manifest's bytes and names each kind of damage:
// absent, another size (shorter or longer), same size with a flipped byte; a wrong size is
// found without reading the object.
func TestVerifyObject(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	good := put(t, b, "tables/t/data/good.parquet", 4000)
	short := put(t, b, "tables/t/data/short.parquet", 4000)
	long := put(t, b, "tables/t/data/long.parquet", 4000)
	flipped := put(t, b, "tables/t/data/flipped.parquet", 4000)
	require.NoError(t, os.Truncate(mustLocal(t, b, short.Key), 1000))
	require.NoError(t, os.Truncate(mustLocal(t, b, long.Key), 4001))
	flipByte(t, mustLocal(t, b, flipped.Key), 2500)

	r := &remote{BucketReader: b}
	for _, tc := range []struct {
		name string
		f    lake.DataFile
		want error
		gets int64
	}{
		{"intact", good, nil, 1},
		{"missing", lake.DataFile{Key: "tables/t/data/gone.parquet", Bytes: 10, SHA256: good.SHA256}, lake.ErrNotFound, 0},
		{"truncated", short, lake.ErrSize, 0},
		{"longer", long, lake.ErrSize, 0},
		{"flipped byte", flipped, lake.ErrChecksum, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.gets.Store(0)
			err := lake.VerifyObject(ctx, r, tc.f.Key, tc.f.Bytes, tc.f.SHA256)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
			assert.Equal(t, tc.gets, r.gets.Load(), "objects read")
		})
	}
	// The checksum is compared whatever the case of its hex digits.
	require.NoError(t, lake.VerifyObject(ctx, b, good.Key, good.Bytes, upper(good.SHA256)))
}

func upper(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c >= 'a' && c <= 'f' {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// DropCached removes exactly the copy a cache made of the object, and says whether there was one.
func TestDropCached(t *testing.T) {
	ctx := context.Background()
	c, _, b, dir := newRemoteCache(t, 1<<20)
	f1 := put(t, b, "tables/t/data/1.parquet", 300)
	f2 := put(t, b, "tables/t/data/2.parquet", 300)
	_, release, err := c.Acquire(ctx, []lake.DataFile{f1, f2})
	require.NoError(t, err)
	release()
	require.Len(t, cacheFiles(t, dir), 2)

	dropped, err := lake.DropCached(dir, f1.Key, f1.SHA256)
	require.NoError(t, err)
	assert.True(t, dropped)
	left := cacheFiles(t, dir)
	require.Len(t, left, 1)
	paths, release, err := c.Acquire(ctx, []lake.DataFile{f2})
	require.NoError(t, err)
	release()
	assert.Equal(t, filepath.Base(paths[0]), left[0], "the other object's copy stays")

	dropped, err = lake.DropCached(dir, f1.Key, f1.SHA256)
	require.NoError(t, err)
	assert.False(t, dropped, "no copy left to drop")
	dropped, err = lake.DropCached(filepath.Join(t.TempDir(), "no-cache"), f1.Key, f1.SHA256)
	require.NoError(t, err)
	assert.False(t, dropped, "a data directory without a cache")
}
