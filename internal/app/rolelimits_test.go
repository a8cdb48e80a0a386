package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// TestRoleLimitsFile: the service takes per-role query limits from the file --role-limits names,
// and refuses to start on a file with a mistake, naming the file and the mistake.
func TestRoleLimitsFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "limits.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"scene": {"max_document_bytes": 30}}`), 0o644))
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.RoleLimits = file
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), true)
	require.NoError(t, err)
	defer a.Close()

	const q = `{ departments { code name kindName } }` // 38 bytes
	scene := &catalog.Principal{ID: "scene", Role: catalog.RoleScene, Clearance: schemas.General2}
	res := a.Query.Do(ctx, scene, query.Request{Query: q})
	require.Len(t, res.Errors, 1)
	assert.Equal(t, "maxDocumentBytes", res.Errors[0].Extensions["limit"])
	steward := &catalog.Principal{ID: "steward", Role: catalog.RoleSteward, Clearance: schemas.Core}
	assert.Empty(t, a.Query.Do(ctx, steward, query.Request{Query: q}).Errors)
	assert.FileExists(t, filepath.Join(cfg.DataDir, "native", "copies.duckdb"), "the native copies' database, under the data dir")
	require.NoError(t, a.Close())

	require.NoError(t, os.WriteFile(file, []byte(`{"scene": {"max_docs": 40}}`), 0o644))
	_, err = Open(ctx, cfg, slog.New(slog.DiscardHandler), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), file)
	assert.Contains(t, err.Error(), "max_docs")
}

// TestConfigRefusesNegativeBounds: a negative bound of the service's memory is refused before
// anything is opened.
func TestConfigRefusesNegativeBounds(t *testing.T) {
	cfg := DefaultConfig()
	assert.NoError(t, cfg.Validate())
	assert.EqualValues(t, 32, cfg.ResultCacheMB, "answers asked again are kept by default")
	assert.EqualValues(t, 1024, cfg.NativeCacheMB, "snapshots are copied into DuckDB's storage by default")
	assert.EqualValues(t, 5, cfg.MaxRejectedPercent, "a file with more than 5% invalid rows loads nothing by default")
	cfg.ResultCacheMB, cfg.DuckDBMemoryMB, cfg.NativeCacheMB, cfg.MaxRejectedPercent = -1, -1, -1, 101
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "result cache -1 MB")
	assert.Contains(t, err.Error(), "duckdb memory -1 MB")
	assert.Contains(t, err.Error(), "native copies -1 MB")
	assert.Contains(t, err.Error(), "rejected rows 101% must be between 0 and 100")
}

// TestProgressLine: the command line's progress of a long load, with the share of the file read
// when its size is known.
func TestProgressLine(t *testing.T) {
	p := ingest.Progress{RowsRead: 120000, RowsAccepted: 119990, RowsRejected: 10, BytesRead: 450, TotalBytes: 1000, Elapsed: 4 * time.Second}
	assert.Equal(t, "进度：已读取 120000 行（45%），入库 119990 行，拒收 10 行，每秒 30000 行", progressLine(p))
	p.TotalBytes = 0
	assert.Equal(t, "进度：已读取 120000 行，入库 119990 行，拒收 10 行，每秒 30000 行", progressLine(p))
}
