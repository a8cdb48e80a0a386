package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// reverifyAfter bounds how long a file whose checksum was verified is trusted without being read
// again. Any change made through the file system (size, modification time, a different file under
// the name) is noticed at the next Acquire by one stat; this bound is for decay that changes none
// of them, which is then found within this time of the file's next use.
const reverifyAfter = time.Hour

// verifier remembers which local files were found to hold the bytes their manifest records, so
// that DuckDB is never handed a file whose bytes were not checked by this process: the lake's own
// files of a local bucket are hashed on their first use, the cache's copies when fetched, and both
// again when their stat changes or reverifyAfter has passed. The zero value is ready to use.
type verifier struct {
	now     func() time.Time // nil: time.Now
	corrupt atomic.Int64     // cached copies found changed since their fetch

	mu    sync.Mutex
	files map[string]verified // by path
}

type verified struct {
	sum string      // lower-case hex SHA-256 the file was found to have
	fi  os.FileInfo // its stat when it was hashed
	at  time.Time   // when it was hashed
}

func (v *verifier) clock() time.Time {
	if v.now != nil {
		return v.now()
	}
	return time.Now()
}

// check returns nil when the file at path holds f's bytes: at once when it was verified before
// and its stat has not changed since, by reading it whole otherwise. A mismatch is ErrChecksum, a
// missing file ErrNotFound.
func (v *verifier) check(path string, f DataFile) error {
	want := strings.ToLower(f.SHA256)
	fi, err := os.Stat(path)
	if err != nil {
		return statErr(f, err)
	}
	if fi.Size() != f.Bytes {
		v.forget(path)
		return fmt.Errorf("cache %s: size %d, manifest says %d: %w", f.Key, fi.Size(), f.Bytes, ErrChecksum)
	}
	now := v.clock()
	v.mu.Lock()
	prev, ok := v.files[path]
	v.mu.Unlock()
	if ok && prev.sum == want && sameStat(prev.fi, fi) && now.Sub(prev.at) < reverifyAfter {
		return nil
	}
	file, err := os.Open(path)
	if err != nil {
		return statErr(f, err)
	}
	defer file.Close()
	// The stat recorded is the one of the open file, taken before its bytes are read: a change
	// made while they are read moves its modification time, so the next check reads it again.
	if fi, err = file.Stat(); err != nil {
		return fmt.Errorf("cache %s: %w", f.Key, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(file, f.Bytes+1))
	if err != nil {
		return fmt.Errorf("cache %s: %w", f.Key, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if n != f.Bytes || got != want {
		v.forget(path)
		return fmt.Errorf("cache %s: local file %s has sha256 %s (%d bytes), manifest says %s: %w", f.Key, path, got, n, f.SHA256, ErrChecksum)
	}
	v.record(path, want, fi, now)
	return nil
}

// trust records a file this process has just written from bytes it verified (a fetch).
func (v *verifier) trust(path string, f DataFile) {
	if fi, err := os.Stat(path); err == nil {
		v.record(path, strings.ToLower(f.SHA256), fi, v.clock())
	}
}

func (v *verifier) record(path, sum string, fi os.FileInfo, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.files == nil {
		v.files = map[string]verified{}
	}
	v.files[path] = verified{sum: sum, fi: fi, at: at}
}

func (v *verifier) forget(path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.files, path)
}

func sameStat(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func statErr(f DataFile, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache %s: %w", f.Key, ErrNotFound)
	}
	return fmt.Errorf("cache %s: %w", f.Key, err)
}

// pinVerified pins f's cached copy and checks it: a copy whose bytes changed since it was fetched
// is dropped and fetched again from the bucket (verified as every fetch is), so that decay of the
// cache directory is never served; the error of that fetch is returned if it fails.
func (c *Cache) pinVerified(ctx context.Context, f DataFile) (*cacheEntry, error) {
	e, err := c.pin(ctx, f)
	if err != nil {
		return nil, err
	}
	err = c.v.check(e.path, f)
	if err == nil {
		return e, nil
	}
	c.drop(e)
	if !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	c.v.corrupt.Add(1)
	return c.pin(ctx, f)
}

// drop releases the caller's pin of e and takes e out of the cache, removing its file: the next
// pin fetches it again. Readers that hold e pinned keep their open files.
func (c *Cache) drop(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.pins--
	if cur, ok := c.entries[e.name]; ok && cur == e {
		delete(c.entries, e.name)
		c.lru.Remove(e.elem)
		c.size -= e.size
		_ = os.Remove(e.path)
	}
	c.v.forget(e.path)
}

// Corrupted is the number of cached copies found changed since their fetch and fetched again.
func (c *Cache) Corrupted() int64 { return c.v.corrupt.Load() }
