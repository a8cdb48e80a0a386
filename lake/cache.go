package lake

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Cache is the local read-through cache DuckDB reads from. Objects are immutable, so each is
// fetched once, verified against its SHA-256 (ErrChecksum otherwise) and written temp+rename.
// The total size is bounded by LRU eviction of files no caller has pinned; files pinned by
// running queries are never removed, so a single Acquire larger than the bound overshoots it
// until released. For buckets implementing LocalPather, the bucket's own paths are returned
// (after checking their checksum) and nothing is copied. No file is handed out whose bytes this
// process has not verified since it last changed (cache_verify.go).
type Cache struct {
	b        BucketReader
	local    LocalPather
	dir      string
	maxBytes int64

	mu       sync.Mutex
	entries  map[string]*cacheEntry // by cache name
	lru      *list.List             // of *cacheEntry, most recently used first
	size     int64
	inflight map[string]*fetchCall
	v        verifier
	counts   cacheCounts // Stats (cache_stats.go); guarded by mu
}

type cacheEntry struct {
	name string
	path string
	size int64
	pins int
	elem *list.Element
}

type fetchCall struct {
	done chan struct{}
	err  error
}

// cacheFileRE matches the files the cache owns in its directory: finished and temporary ones.
var cacheFileRE = regexp.MustCompile(`^(\.tmp-)?[0-9a-f]{64}\.parquet(\.[0-9]+)?$`)

// NewCache returns a cache in dir holding at most maxBytes of unpinned files. Files a previous
// process left in dir are removed: their checksums are not known any more.
func NewCache(b BucketReader, dir string, maxBytes int64) (*Cache, error) {
	if b == nil {
		return nil, errors.New("cache: nil bucket")
	}
	if maxBytes <= 0 {
		return nil, fmt.Errorf("cache: max bytes %d must be positive", maxBytes)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cache dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("cache dir: %w", err)
	}
	des, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("cache dir: %w", err)
	}
	for _, de := range des {
		if de.Type().IsRegular() && cacheFileRE.MatchString(de.Name()) {
			if err := os.Remove(filepath.Join(abs, de.Name())); err != nil {
				return nil, fmt.Errorf("clear cache dir: %w", err)
			}
		}
	}
	c := &Cache{
		b: b, dir: abs, maxBytes: maxBytes,
		entries: map[string]*cacheEntry{}, lru: list.New(), inflight: map[string]*fetchCall{},
	}
	c.local, _ = b.(LocalPather)
	return c, nil
}

// Size is the total size of the files the cache holds (pinned or not).
func (c *Cache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// Acquire makes every file available locally and returns their paths in the same order. The
// files stay pinned until release is called (release may be called more than once).
func (c *Cache) Acquire(ctx context.Context, files []DataFile) (paths []string, release func(), err error) {
	paths = make([]string, 0, len(files))
	var pinned []*cacheEntry
	unpin := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range pinned {
			e.pins--
		}
		pinned = nil
		c.evictLocked()
	}
	for _, f := range files {
		if f.SHA256 == "" || f.Bytes < 0 {
			unpin()
			return nil, nil, fmt.Errorf("cache %s: missing checksum or size: %w", f.Key, ErrInvalidManifest)
		}
		if c.local != nil {
			if p, ok := c.local.LocalPath(f.Key); ok {
				if err := c.v.check(p, f); err != nil {
					unpin()
					return nil, nil, err
				}
				c.count(func(n *cacheCounts) { n.local++ })
				paths = append(paths, p)
				continue
			}
		}
		e, err := c.pinVerified(ctx, f)
		if err != nil {
			unpin()
			return nil, nil, err
		}
		pinned = append(pinned, e)
		paths = append(paths, e.path)
	}
	c.mu.Lock()
	c.evictLocked()
	c.mu.Unlock()
	var once sync.Once
	return paths, func() { once.Do(unpin) }, nil
}

// cacheName derives the local file name from key and checksum, so that names are always safe
// paths and a different content under the same key never matches a stale file.
func cacheName(f DataFile) string {
	h := sha256.Sum256([]byte(f.Key + "\x00" + strings.ToLower(f.SHA256)))
	return hex.EncodeToString(h[:]) + ".parquet"
}

// pin returns the entry of f, pinned, fetching it if needed. Concurrent callers for the same file
// wait for one fetch.
func (c *Cache) pin(ctx context.Context, f DataFile) (*cacheEntry, error) {
	name := cacheName(f)
	for {
		c.mu.Lock()
		if e, ok := c.entries[name]; ok {
			c.counts.hits++
			e.pins++
			c.lru.MoveToFront(e.elem)
			c.mu.Unlock()
			return e, nil
		}
		if call, ok := c.inflight[name]; ok {
			c.mu.Unlock()
			select {
			case <-call.done:
				if call.err != nil && !isContextErr(call.err) {
					return nil, call.err
				}
				// fetched (or the fetching caller gave up): look again
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		call := &fetchCall{done: make(chan struct{})}
		c.inflight[name] = call
		c.mu.Unlock()

		path := filepath.Join(c.dir, name)
		err := c.fetch(ctx, f, path)

		c.mu.Lock()
		delete(c.inflight, name)
		call.err = err
		close(call.done)
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.counts.misses++
		e := &cacheEntry{name: name, path: path, size: f.Bytes, pins: 1}
		e.elem = c.lru.PushFront(e)
		c.entries[name] = e
		c.size += e.size
		c.mu.Unlock()
		return e, nil
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fetch copies f from the bucket to path, verifying size and checksum before the rename.
func (c *Cache) fetch(ctx context.Context, f DataFile, path string) (err error) {
	rc, err := c.b.Get(ctx, f.Key)
	if err != nil {
		return fmt.Errorf("cache fetch %s: %w", f.Key, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(c.dir, ".tmp-"+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cache fetch %s: %w", f.Key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	// Read one byte past the expected size to notice objects that are too long.
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(rc, f.Bytes+1))
	if err != nil {
		return fmt.Errorf("cache fetch %s: %w", f.Key, err)
	}
	if n != f.Bytes {
		return fmt.Errorf("cache fetch %s: got %d bytes, manifest says %d: %w", f.Key, n, f.Bytes, ErrChecksum)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(f.SHA256) {
		return fmt.Errorf("cache fetch %s: sha256 %s, manifest says %s: %w", f.Key, got, f.SHA256, ErrChecksum)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache fetch %s: %w", f.Key, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cache fetch %s: %w", f.Key, err)
	}
	c.v.trust(path, f)
	return nil
}

// evictLocked removes least recently used unpinned files until the cache fits maxBytes.
func (c *Cache) evictLocked() {
	for el := c.lru.Back(); el != nil && c.size > c.maxBytes; {
		e := el.Value.(*cacheEntry)
		prev := el.Prev()
		if e.pins == 0 {
			// A failed remove leaves a stray file that the next NewCache clears; the entry
			// must go either way so the accounting stays right.
			_ = os.Remove(e.path)
			c.lru.Remove(el)
			delete(c.entries, e.name)
			c.size -= e.size
		}
		el = prev
	}
}
