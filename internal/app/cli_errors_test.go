package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIngestCommandMessages: the command line speaks Chinese to the steward and leaves Go error
// text (English, paths, keys) to the log.
func TestIngestCommandMessages(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	file := filepath.Join(t.TempDir(), "报送.csv")
	require.NoError(t, os.WriteFile(file, []byte("区县,数量\n万州区,1\n"), 0o644))
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))

	tests := []struct {
		name string
		args IngestArgs
		want string
	}{
		{"unknown entry", IngestArgs{Entry: "x", File: file}, "归集失败: 目录资源 x 不存在\n"},
		{"missing file", IngestArgs{Entry: "x", File: filepath.Join(cfg.DataDir, "missing.csv")},
			"错误: 无法打开文件 " + filepath.Join(cfg.DataDir, "missing.csv") + "（文件不存在）\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code := RunIngest(context.Background(), cfg, tc.args, &out, log)
			assert.Equal(t, ExitFailed, code)
			assert.Equal(t, tc.want, out.String())
			assert.NotContains(t, out.String(), "resolve")
			assert.NotContains(t, out.String(), "not found")
			assert.NotContains(t, out.String(), "no such file")
		})
	}
}
