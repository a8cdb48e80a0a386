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
	"path/filepath"
	"strings"
)

// VerifyObject reads the object at key through and compares it with the size and SHA-256 (hex)
// its manifest records, holding no more than a copy buffer in memory. An absent object is
// ErrNotFound, one of another size ErrSize, other bytes ErrChecksum; any other error is the
// bucket's (ErrUnavailable when the store does not answer). The size is looked up first, so that
// an object of the wrong size is not downloaded.
func VerifyObject(ctx context.Context, b BucketReader, key string, size int64, sha string) error {
	want := strings.ToLower(sha)
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		return fmt.Errorf("verify %s: %w", key, err)
	}
	if attrs.Size != size {
		return fmt.Errorf("verify %s: %d bytes, manifest says %d: %w", key, attrs.Size, size, ErrSize)
	}
	rc, err := b.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("verify %s: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	// One byte past the expected size notices an object that grew since its size was read.
	n, err := io.Copy(h, io.LimitReader(rc, size+1))
	if err != nil {
		return fmt.Errorf("verify %s: %w", key, err)
	}
	if n != size {
		return fmt.Errorf("verify %s: read %d bytes, manifest says %d: %w", key, n, size, ErrSize)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("verify %s: sha256 %s, manifest says %s: %w", key, got, want, ErrChecksum)
	}
	return nil
}

// DropCached removes the copy of the object at key with checksum sha that a Cache in dir may
// hold, so that no copy of a damaged object outlives the scrub that found it. It is for a cache
// directory no process is serving from (a serving Cache keeps its own accounting); a Cache
// opening dir clears it anyway. It reports whether there was a copy.
func DropCached(dir, key, sha string) (bool, error) {
	path := filepath.Join(dir, cacheName(DataFile{Key: key, SHA256: sha}))
	err := os.Remove(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("drop cached copy of %s: %w", key, err)
}
