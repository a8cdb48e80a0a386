// Package laketest is the acceptance suite every lake.Bucket implementation must pass.
package laketest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

// Run runs the suite; newBucket returns a fresh, empty bucket for each subtest.
func Run(t *testing.T, newBucket func(t *testing.T) lake.Bucket) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b lake.Bucket)
	}{
		{"RoundTrip", testRoundTrip},
		{"Attributes", testAttributes},
		{"NotFound", testNotFound},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Iter", testIter},
		{"InvalidKeys", testInvalidKeys},
		{"SizeMismatch", testSizeMismatch},
		{"ConcurrentUploads", testConcurrentUploads},
		{"NoPartialReads", testNoPartialReads},
		{"Cancellation", testCancellation},
		{"Name", testName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBucket(t)
			t.Cleanup(func() { assert.NoError(t, b.Close()) })
			tc.fn(t, b)
		})
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	p := make([]byte, n)
	_, err := rand.Read(p)
	require.NoError(t, err)
	return p
}

func upload(t *testing.T, b lake.Bucket, key string, data []byte) {
	t.Helper()
	require.NoError(t, b.Upload(context.Background(), key, bytes.NewReader(data), int64(len(data))))
}

func get(t *testing.T, b lake.BucketReader, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return data
}

func list(t *testing.T, b lake.BucketReader, prefix string) []string {
	t.Helper()
	keys := []string{}
	require.NoError(t, b.Iter(context.Background(), prefix, func(k string) error {
		keys = append(keys, k)
		return nil
	}))
	return keys
}

// onlyReader hides any WriterTo/Seeker so that backends must stream.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func testRoundTrip(t *testing.T, b lake.Bucket) {
	ctx := context.Background()
	tests := []struct {
		name    string
		key     string
		data    []byte
		unknown bool // upload with size -1
	}{
		{"empty", "empty.bin", []byte{}, false},
		{"small", "tables/t/data/x.parquet", []byte("hello, 重庆"), false},
		{"nested", "a/b/c/d/e.json", []byte(`{"ok":true}`), false},
		{"multi-MB", "big/object.bin", randomBytes(t, 6<<20+17), false},
		{"multi-MB unknown size", "big/streamed.bin", randomBytes(t, 5<<20+3), true},
		{"unknown size small", "streamed-small.bin", []byte("abc"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size := int64(len(tc.data))
			if tc.unknown {
				size = -1
			}
			require.NoError(t, b.Upload(ctx, tc.key, onlyReader{bytes.NewReader(tc.data)}, size))
			got := get(t, b, tc.key)
			assert.Equal(t, len(tc.data), len(got))
			assert.True(t, bytes.Equal(tc.data, got), "content differs")
		})
	}
}

func testAttributes(t *testing.T, b lake.Bucket) {
	before := time.Now().Add(-time.Minute)
	upload(t, b, "attrs/one", []byte("12345"))
	upload(t, b, "attrs/empty", nil)
	a, err := b.Attributes(context.Background(), "attrs/one")
	require.NoError(t, err)
	assert.Equal(t, int64(5), a.Size)
	assert.True(t, a.LastModified.After(before), "last modified %s too old", a.LastModified)
	assert.True(t, a.LastModified.Before(time.Now().Add(time.Minute)), "last modified %s in the future", a.LastModified)
	a, err = b.Attributes(context.Background(), "attrs/empty")
	require.NoError(t, err)
	assert.Equal(t, int64(0), a.Size)
}

func testNotFound(t *testing.T, b lake.Bucket) {
	ctx := context.Background()
	upload(t, b, "dir/file", []byte("x"))
	for _, key := range []string{"missing", "dir/missing", "dir", "dir/file/below", "nodir/x"} {
		t.Run(key, func(t *testing.T) {
			rc, err := b.Get(ctx, key)
			if rc != nil {
				rc.Close()
			}
			assert.ErrorIs(t, err, lake.ErrNotFound)
			_, err = b.Attributes(ctx, key)
			assert.ErrorIs(t, err, lake.ErrNotFound)
		})
	}
}

func testOverwrite(t *testing.T, b lake.Bucket) {
	upload(t, b, "k", []byte("first version, longer"))
	upload(t, b, "k", []byte("second"))
	assert.Equal(t, "second", string(get(t, b, "k")))
	a, err := b.Attributes(context.Background(), "k")
	require.NoError(t, err)
	assert.Equal(t, int64(6), a.Size)
	assert.Equal(t, []string{"k"}, list(t, b, ""))
}

func testDelete(t *testing.T, b lake.Bucket) {
	ctx := context.Background()
	upload(t, b, "d/one", []byte("1"))
	upload(t, b, "d/two", []byte("2"))
	require.NoError(t, b.Delete(ctx, "d/one"))
	require.NoError(t, b.Delete(ctx, "d/one"), "second delete")
	require.NoError(t, b.Delete(ctx, "never/there"), "delete of an absent key")
	_, err := b.Get(ctx, "d/one")
	assert.ErrorIs(t, err, lake.ErrNotFound)
	_, err = b.Attributes(ctx, "d/one")
	assert.ErrorIs(t, err, lake.ErrNotFound)
	assert.Equal(t, []string{"d/two"}, list(t, b, ""))
	assert.Equal(t, "2", string(get(t, b, "d/two")))
}

func testIter(t *testing.T, b lake.Bucket) {
	keys := []string{"b", "a/c/d", "ab", "a.txt", "a/b", "a-z", "tables/t1/data/2.parquet",
		"tables/t1/data/1.parquet", "tables/t10/data/1.parquet", "tables/t1/metadata/s.json"}
	for _, k := range keys {
		upload(t, b, k, []byte(k))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-z", "a.txt", "a/b", "a/c/d", "ab", "b", "tables/t1/data/1.parquet",
			"tables/t1/data/2.parquet", "tables/t1/metadata/s.json", "tables/t10/data/1.parquet"}},
		{"a", []string{"a-z", "a.txt", "a/b", "a/c/d", "ab"}},
		{"a/", []string{"a/b", "a/c/d"}},
		{"a/c/", []string{"a/c/d"}},
		{"tables/t1/", []string{"tables/t1/data/1.parquet", "tables/t1/data/2.parquet", "tables/t1/metadata/s.json"}},
		{"tables/t1", []string{"tables/t1/data/1.parquet", "tables/t1/data/2.parquet",
			"tables/t1/metadata/s.json", "tables/t10/data/1.parquet"}},
		{"tables/t1/data/", []string{"tables/t1/data/1.parquet", "tables/t1/data/2.parquet"}},
		{"tables/t1/data/2", []string{"tables/t1/data/2.parquet"}},
		{"zz", []string{}},
		{"nodir/", []string{}},
		{"b/", []string{}},
	}
	for _, tc := range tests {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			assert.Equal(t, tc.want, list(t, b, tc.prefix))
		})
	}
	t.Run("callback error stops", func(t *testing.T) {
		stop := errors.New("stop")
		var seen []string
		err := b.Iter(context.Background(), "", func(k string) error {
			seen = append(seen, k)
			if len(seen) == 2 {
				return stop
			}
			return nil
		})
		assert.ErrorIs(t, err, stop)
		assert.Equal(t, []string{"a-z", "a.txt"}, seen)
	})
}

func testInvalidKeys(t *testing.T, b lake.Bucket) {
	ctx := context.Background()
	upload(t, b, "inside/ok", []byte("x"))
	for _, key := range []string{"", "/abs", "/", "..", "../x", "a/../../x", "a/..", "a//b", "a/", "./a",
		"a/./b", `a\b`, "a\x00b", "a\nb"} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			err := b.Upload(ctx, key, bytes.NewReader([]byte("x")), 1)
			assert.ErrorIs(t, err, lake.ErrInvalidKey, "upload")
			_, err = b.Get(ctx, key)
			assert.ErrorIs(t, err, lake.ErrInvalidKey, "get")
			_, err = b.Attributes(ctx, key)
			assert.ErrorIs(t, err, lake.ErrInvalidKey, "attributes")
			assert.ErrorIs(t, b.Delete(ctx, key), lake.ErrInvalidKey, "delete")
		})
	}
	for _, prefix := range []string{"/", "../", "a/../", "/abs", "a//"} {
		t.Run(fmt.Sprintf("iter %q", prefix), func(t *testing.T) {
			err := b.Iter(ctx, prefix, func(string) error { return nil })
			assert.ErrorIs(t, err, lake.ErrInvalidKey)
		})
	}
	assert.Equal(t, []string{"inside/ok"}, list(t, b, ""), "nothing written by invalid keys")
}

func testSizeMismatch(t *testing.T, b lake.Bucket) {
	ctx := context.Background()
	tests := []struct {
		name     string
		data     string
		declared int64
	}{
		{"shorter than declared", "abc", 10},
		{"longer than declared", "abcdefgh", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := b.Upload(ctx, "size/"+tc.name, onlyReader{bytes.NewReader([]byte(tc.data))}, tc.declared)
			require.Error(t, err)
			_, err = b.Attributes(ctx, "size/"+tc.name)
			assert.ErrorIs(t, err, lake.ErrNotFound, "no object after a failed upload")
		})
	}
}

func testConcurrentUploads(t *testing.T, b lake.Bucket) {
	const n = 16
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 64<<10+i) }
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p := payload(i)
			errs[i] = b.Upload(context.Background(), fmt.Sprintf("conc/%02d", i), bytes.NewReader(p), int64(len(p)))
		}()
		go func() { // everyone writes the same key too
			defer wg.Done()
			p := payload(i)
			errs[n+i] = b.Upload(context.Background(), "conc-same/key", bytes.NewReader(p), int64(len(p)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "upload %d", i)
	}
	for i := range n {
		assert.Equal(t, payload(i), get(t, b, fmt.Sprintf("conc/%02d", i)))
	}
	same := get(t, b, "conc-same/key")
	require.NotEmpty(t, same)
	assert.Equal(t, payload(int(same[0]-'a')), same, "the shared key holds one whole upload")
	assert.Len(t, list(t, b, "conc/"), n)
	assert.Equal(t, []string{"conc-same/key"}, list(t, b, "conc-same/"))
}

// slowReader hands out data in small pieces with pauses, so that an upload is in progress for a
// while.
type slowReader struct {
	data  []byte
	chunk int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p[:min(len(p), s.chunk)], s.data)
	s.data = s.data[n:]
	return n, nil
}

func testNoPartialReads(t *testing.T, b lake.Bucket) {
	ctx := context.Background()
	v1 := bytes.Repeat([]byte("1"), 2<<20)
	v2 := bytes.Repeat([]byte("2"), 3<<20)
	for _, step := range []struct {
		name   string
		data   []byte
		before []byte // what a reader may see instead while the upload runs
	}{{"create", v1, nil}, {"overwrite", v2, v1}} {
		t.Run(step.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				done <- b.Upload(ctx, "atomic/obj", &slowReader{data: step.data, chunk: 256 << 10, pause: 20 * time.Millisecond}, -1)
			}()
			reads := 0
			for finished := false; !finished; {
				select {
				case err := <-done:
					require.NoError(t, err)
					finished = true
				default:
				}
				rc, err := b.Get(ctx, "atomic/obj")
				if errors.Is(err, lake.ErrNotFound) {
					require.Nil(t, step.before, "object vanished during overwrite")
					continue
				}
				require.NoError(t, err)
				got, err := io.ReadAll(rc)
				rc.Close()
				require.NoError(t, err)
				reads++
				if !bytes.Equal(got, step.data) && !bytes.Equal(got, step.before) {
					t.Fatalf("read a partial object of %d bytes", len(got))
				}
				time.Sleep(5 * time.Millisecond)
			}
			assert.Equal(t, step.data, get(t, b, "atomic/obj"))
			if step.before != nil {
				assert.Positive(t, reads)
			}
		})
	}
}

// cancelReader cancels its context after handing out the first chunk and keeps producing data.
type cancelReader struct {
	cancel context.CancelFunc
	sent   int
	total  int
}

func (c *cancelReader) Read(p []byte) (int, error) {
	if c.sent >= c.total {
		return 0, io.EOF
	}
	n := min(len(p), 64<<10, c.total-c.sent)
	for i := range p[:n] {
		p[i] = 'z'
	}
	c.sent += n
	if c.sent > 0 {
		c.cancel()
		time.Sleep(5 * time.Millisecond) // let transports notice
	}
	return n, nil
}

func testCancellation(t *testing.T, b lake.Bucket) {
	upload(t, b, "ctx/present", []byte("x"))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	t.Run("upload with a done context", func(t *testing.T) {
		err := b.Upload(cancelled, "ctx/new", bytes.NewReader([]byte("x")), 1)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("upload cancelled midway", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := &cancelReader{cancel: cancel, total: 4 << 20}
		err := b.Upload(ctx, "ctx/midway", r, -1)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("get", func(t *testing.T) {
		rc, err := b.Get(cancelled, "ctx/present")
		if rc != nil {
			rc.Close()
		}
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("attributes", func(t *testing.T) {
		_, err := b.Attributes(cancelled, "ctx/present")
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("iter", func(t *testing.T) {
		called := false
		err := b.Iter(cancelled, "", func(string) error { called = true; return nil })
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, called)
	})
	t.Run("delete", func(t *testing.T) {
		assert.ErrorIs(t, b.Delete(cancelled, "ctx/present"), context.Canceled)
	})
	for _, key := range []string{"ctx/new", "ctx/midway"} {
		_, err := b.Attributes(context.Background(), key)
		assert.ErrorIs(t, err, lake.ErrNotFound, "%s must not exist after a cancelled upload", key)
	}
	assert.Equal(t, "x", string(get(t, b, "ctx/present")), "cancelled delete left the object")
}

func testName(t *testing.T, b lake.Bucket) {
	assert.NotEmpty(t, b.Name())
	assert.Regexp(t, `^(file|s3)://`, b.Name())
}
