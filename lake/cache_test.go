package lake_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

// remote exposes only the read half of a real local bucket, so the cache cannot take the
// LocalPather short cut and must copy, as it does for S3; it counts fetches.
type remote struct {
	lake.BucketReader
	gets  atomic.Int64
	delay time.Duration
}

func (r *remote) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r.gets.Add(1)
	time.Sleep(r.delay)
	return r.BucketReader.Get(ctx, key)
}

// put stores n bytes derived from key and returns its DataFile.
func put(t *testing.T, b lake.Bucket, key string, n int) lake.DataFile {
	t.Helper()
	data := bytes.Repeat([]byte(key), n/len(key)+1)[:n]
	require.NoError(t, b.Upload(context.Background(), key, bytes.NewReader(data), int64(n)))
	sum := sha256.Sum256(data)
	return lake.DataFile{Key: key, Rows: 1, Bytes: int64(n), SHA256: hex.EncodeToString(sum[:])}
}

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := []string{}
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func newRemoteCache(t *testing.T, maxBytes int64) (*lake.Cache, *remote, lake.Bucket, string) {
	t.Helper()
	b := newLocal(t)
	r := &remote{BucketReader: b}
	dir := filepath.Join(t.TempDir(), "cache")
	c, err := lake.NewCache(r, dir, maxBytes)
	require.NoError(t, err)
	return c, r, b, dir
}

func TestCacheFetchesOnceAndServesCopies(t *testing.T) {
	ctx := context.Background()
	c, r, b, dir := newRemoteCache(t, 1<<20)
	f1 := put(t, b, "tables/t/data/1.parquet", 300)
	f2 := put(t, b, "tables/t/data/2.parquet", 200)

	paths, release, err := c.Acquire(ctx, []lake.DataFile{f1, f2})
	require.NoError(t, err)
	require.Len(t, paths, 2)
	for i, f := range []lake.DataFile{f1, f2} {
		assert.Equal(t, dir, filepath.Dir(paths[i]), "cached under the cache dir")
		data, err := os.ReadFile(paths[i])
		require.NoError(t, err)
		assert.Len(t, data, int(f.Bytes))
	}
	assert.NotEqual(t, paths[0], paths[1])
	release()
	release() // idempotent

	again, release2, err := c.Acquire(ctx, []lake.DataFile{f2, f1})
	require.NoError(t, err)
	defer release2()
	assert.Equal(t, []string{paths[1], paths[0]}, again)
	assert.Equal(t, int64(2), r.gets.Load(), "second acquire is served from the cache")
	assert.Equal(t, int64(500), c.Size())
	assert.Len(t, cacheFiles(t, dir), 2)
}

func TestCacheChecksum(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(*lake.DataFile)
	}{
		{"wrong sha256", func(f *lake.DataFile) { f.SHA256 = sha }},
		{"shorter than recorded", func(f *lake.DataFile) { f.Bytes++ }},
		{"longer than recorded", func(f *lake.DataFile) { f.Bytes-- }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, b, dir := newRemoteCache(t, 1<<20)
			good := put(t, b, "good", 10)
			f := put(t, b, "tables/t/data/x.parquet", 100)
			tc.change(&f)
			_, _, err := c.Acquire(ctx, []lake.DataFile{good, f})
			assert.ErrorIs(t, err, lake.ErrChecksum)
			assert.Equal(t, []string{}, filterTmp(cacheFiles(t, dir)), "no temp files")
			assert.Equal(t, int64(10), c.Size(), "only the good file is cached")
		})
	}
	t.Run("missing object", func(t *testing.T) {
		c, _, _, _ := newRemoteCache(t, 1<<20)
		_, _, err := c.Acquire(ctx, []lake.DataFile{{Key: "nope", Bytes: 1, SHA256: sha}})
		assert.ErrorIs(t, err, lake.ErrNotFound)
	})
}

func filterTmp(names []string) []string {
	out := []string{}
	for _, n := range names {
		if n[0] == '.' {
			out = append(out, n)
		}
	}
	return out
}

func TestCacheEviction(t *testing.T) {
	ctx := context.Background()
	c, r, b, dir := newRemoteCache(t, 250)
	f := map[string]lake.DataFile{}
	for _, k := range []string{"a", "b", "c", "d"} {
		f[k] = put(t, b, k, 100)
	}
	acquire := func(keys ...string) ([]string, func()) {
		t.Helper()
		var files []lake.DataFile
		for _, k := range keys {
			files = append(files, f[k])
		}
		paths, release, err := c.Acquire(ctx, files)
		require.NoError(t, err)
		return paths, release
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	pa, rel := acquire("a")
	rel()
	pb, rel := acquire("b")
	rel()
	pc, rel := acquire("c")
	rel()
	assert.LessOrEqual(t, c.Size(), int64(250))
	assert.False(t, exists(pa[0]), "least recently used file evicted")
	assert.True(t, exists(pb[0]) && exists(pc[0]))

	_, rel = acquire("b") // b is now more recent than c
	rel()
	pd, rel := acquire("d")
	rel()
	assert.False(t, exists(pc[0]), "c was least recently used")
	assert.True(t, exists(pb[0]) && exists(pd[0]))
	assert.Equal(t, int64(200), c.Size())
	assert.Len(t, cacheFiles(t, dir), 2)

	t.Run("pinned files are never evicted", func(t *testing.T) {
		pinned, releasePinned := acquire("a") // oldest once others are used
		for _, k := range []string{"b", "c", "d", "b", "c"} {
			_, rel := acquire(k)
			rel()
			assert.True(t, exists(pinned[0]), "pinned file removed after %s", k)
		}
		releasePinned()
		_, rel := acquire("d")
		rel()
		_, rel = acquire("c")
		rel()
		assert.False(t, exists(pinned[0]), "evictable once released")
	})
	t.Run("one acquire larger than the bound overshoots until released", func(t *testing.T) {
		paths, rel := acquire("a", "b", "c", "d")
		assert.Equal(t, int64(400), c.Size())
		for _, p := range paths {
			assert.True(t, exists(p))
		}
		rel()
		assert.LessOrEqual(t, c.Size(), int64(250))
		assert.Len(t, cacheFiles(t, dir), int(c.Size()/100))
	})
	assert.Positive(t, r.gets.Load())
}

func TestCacheConcurrentAcquireFetchesOnce(t *testing.T) {
	ctx := context.Background()
	c, r, b, _ := newRemoteCache(t, 1<<20)
	r.delay = 50 * time.Millisecond
	var files []lake.DataFile
	for i := range 3 {
		files = append(files, put(t, b, fmt.Sprintf("tables/t/data/%d.parquet", i), 1000+i))
	}
	const n = 16
	var wg sync.WaitGroup
	results := make([][]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths, release, err := c.Acquire(ctx, files)
			results[i], errs[i] = paths, err
			if err == nil {
				release()
			}
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, results[0], results[i])
	}
	assert.Equal(t, int64(3), r.gets.Load(), "each file fetched once")
}

func TestCacheCancelledFetchLetsOthersRetry(t *testing.T) {
	c, r, b, _ := newRemoteCache(t, 1<<20)
	r.delay = 20 * time.Millisecond
	f := put(t, b, "k", 50)
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.Acquire(cctx, []lake.DataFile{f})
	assert.ErrorIs(t, err, context.Canceled)
	paths, release, err := c.Acquire(context.Background(), []lake.DataFile{f})
	require.NoError(t, err)
	defer release()
	assert.FileExists(t, paths[0])
}

func TestCacheLocalPather(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	dir := filepath.Join(t.TempDir(), "cache")
	c, err := lake.NewCache(b, dir, 10)
	require.NoError(t, err)
	f := put(t, b, "tables/t/data/big.parquet", 1000) // larger than the cache: nothing is copied

	paths, release, err := c.Acquire(ctx, []lake.DataFile{f})
	require.NoError(t, err)
	defer release()
	want, _ := b.LocalPath(f.Key)
	assert.Equal(t, []string{want}, paths)
	assert.Zero(t, c.Size())
	assert.Empty(t, cacheFiles(t, dir))

	wrong := f
	wrong.Bytes = 999
	_, _, err = c.Acquire(ctx, []lake.DataFile{wrong})
	assert.ErrorIs(t, err, lake.ErrChecksum)
	_, _, err = c.Acquire(ctx, []lake.DataFile{{Key: "absent", Bytes: 1, SHA256: sha}})
	assert.ErrorIs(t, err, lake.ErrNotFound)
}

func TestNewCache(t *testing.T) {
	b := newLocal(t)
	dir := t.TempDir()
	stale := filepath.Join(dir, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.parquet")
	staleTmp := filepath.Join(dir, ".tmp-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.parquet.123")
	other := filepath.Join(dir, "README")
	for _, p := range []string{stale, staleTmp, other} {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	_, err := lake.NewCache(b, dir, 100)
	require.NoError(t, err)
	assert.NoFileExists(t, stale)
	assert.NoFileExists(t, staleTmp)
	assert.FileExists(t, other, "files the cache does not own stay")

	_, err = lake.NewCache(b, dir, 0)
	assert.Error(t, err)
	_, err = lake.NewCache(nil, dir, 100)
	assert.Error(t, err)
}
