package lake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Decay that leaves a file's stat as it was is found once reverifyAfter has passed on the
// cache's clock, not before (one stat per use until then).
func TestVerifierReadsAgainAfterReverifyAfter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.parquet")
	data := bytes.Repeat([]byte("ecolake"), 1000)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	sum := sha256.Sum256(data)
	f := DataFile{Key: "tables/t/data/f.parquet", Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}

	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	v := &verifier{now: func() time.Time { return now }}
	require.NoError(t, v.check(path, f))

	// Change a byte and put the modification time back, as decay below the file system would.
	fi, err := os.Stat(path)
	require.NoError(t, err)
	data[100] ^= 0x01
	require.NoError(t, os.WriteFile(path, data, 0o644))
	require.NoError(t, os.Chtimes(path, fi.ModTime(), fi.ModTime()))

	now = now.Add(reverifyAfter - time.Second)
	require.NoError(t, v.check(path, f), "trusted by its unchanged stat within reverifyAfter")
	now = now.Add(time.Second)
	require.ErrorIs(t, v.check(path, f), ErrChecksum)
	require.ErrorIs(t, v.check(path, f), ErrChecksum, "and stays refused")
}
