package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// FetchDataFile copies a data file of a snapshot from the bucket into a temporary file in dir
// ("" for os.TempDir()) and checks it against the size and checksum the manifest recorded
// (ErrChecksum otherwise). The returned file is positioned at its start; the caller closes and
// removes it.
func FetchDataFile(ctx context.Context, b BucketReader, f DataFile, dir string) (_ *os.File, err error) {
	rc, err := b.Get(ctx, f.Key)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", f.Key, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(dir, "ecolake-fetch-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", f.Key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: rc})
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", f.Key, err)
	}
	if n != f.Bytes {
		return nil, fmt.Errorf("fetch %s: got %d bytes, manifest says %d: %w", f.Key, n, f.Bytes, ErrChecksum)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(f.SHA256) {
		return nil, fmt.Errorf("fetch %s: sha256 %s, manifest says %s: %w", f.Key, got, f.SHA256, ErrChecksum)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", f.Key, err)
	}
	return tmp, nil
}

// ContextReader returns r, stopping with ctx's error once ctx is done: a copy from it stops
// between reads when its request is cancelled.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return &ctxReader{ctx: ctx, r: r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
