package test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIngestCommand runs `ecolake ingest` as a steward would and checks its exit codes and
// messages: 0 clean, 1 rows rejected, 2 nothing loaded; and that it refuses a directory a
// running server holds.
func TestIngestCommand(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, nil, "--demo")

	good := writeFile(t, "good.csv", "区县,数量\n万州区,5\n黔江区,6\n")
	code, out := ingestCmd(t, dir, "--entry", "0201/000003", good)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "另一个 ecolake 进程", "a running server holds the directory")
	gcOut, gcErr := exec.Command(binary, "gc", "--data", dir).CombinedOutput()
	assert.Error(t, gcErr)
	assert.Contains(t, string(gcOut), "另一个 ecolake 进程", "gc refuses a directory a server holds")
	s.stop(syscall.SIGTERM)

	code, out = ingestCmd(t, dir, "--entry", "0201/000003", good)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "入库 2 行")

	mixed := writeFile(t, "mixed.csv", "区县,数量\n万州区,5\n万州区,很多\n,7\n")
	code, out = ingestCmd(t, dir, "--entry", "air_emission_reduction_counts", mixed)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "数量", "the summary names the column of the rejected row")

	badHeader := writeFile(t, "bad.csv", "地区,数量\n万州区,5\n")
	code, out = ingestCmd(t, dir, "--entry", "0201/000003", badHeader)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "区县")

	code, out = ingestCmd(t, dir, "--entry", "9999/000001", good)
	assert.Equal(t, 2, code, out)

	code, out = ingestCmd(t, dir, "--entry", "0201/000003", filepath.Join(dir, "missing.csv"))
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "missing.csv")
}

func ingestCmd(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(binary, append([]string{"ingest", "--data", dir}, args...)...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, string(out))
	return 0, string(out)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}
