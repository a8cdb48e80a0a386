package test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
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

	// A district's workbook, its sheet named on the command line.
	book := excelize.NewFile()
	require.NoError(t, book.SetSheetName("Sheet1", "填报说明"))
	_, err := book.NewSheet("6月")
	require.NoError(t, err)
	for i, row := range [][]any{{"区县", "数量"}, {"涪陵区", 9}} {
		require.NoError(t, book.SetSheetRow("6月", fmt.Sprintf("A%d", i+1), &row))
	}
	xlsx := filepath.Join(t.TempDir(), "涪陵区6月.xlsx")
	require.NoError(t, book.SaveAs(xlsx))
	code, out = ingestCmd(t, dir, "--entry", "0201/000003", xlsx)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "工作簿有 2 个工作表，请指定要读取的一个：“填报说明”、“6月”")
	code, out = ingestCmd(t, dir, "--entry", "0201/000003", "--sheet", "6月", xlsx)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "工作表：6月")
	assert.Contains(t, out, "入库 1 行")
	code, out = ingestCmd(t, dir, "--entry", "0201/000003", "--sheet", "6月", xlsx)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "重复报送，未重复入库")
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

// ecolake runs the binary with args and returns its exit code and combined output.
func ecolake(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, string(out))
	return 0, string(out)
}

// TestHelpVersionAndUnknownSubcommand checks the command line behaves as people expect: help in
// Chinese with every flag, exit 0 for help and version, 2 for what it does not know.
func TestHelpVersionAndUnknownSubcommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out := ecolake(t, args...)
		assert.Equal(t, 0, code, "%v: %s", args, out)
		assert.Contains(t, out, "用法")
		for _, sub := range []string{"serve", "init", "ingest", "gc", "principal create", "token revoke", "entry import", "version"} {
			assert.Contains(t, out, sub, args)
		}
	}
	for _, args := range [][]string{{"help", "ingest"}, {"ingest", "--help"}, {"ingest", "-h"}} {
		code, out := ecolake(t, args...)
		assert.Equal(t, 0, code, "%v: %s", args, out)
		for _, flag := range []string{"--entry", "--district", "--replace", "--data", "--lake", "--s3-endpoint"} {
			assert.Contains(t, out, flag, args)
		}
		assert.Contains(t, out, "报送区县", "flag usage is Chinese")
	}
	code, out := ecolake(t, "principal", "create", "--help")
	assert.Equal(t, 0, code, out)
	for _, flag := range []string{"--id", "--name", "--role", "--clearance", "--district", "--department", "--data"} {
		assert.Contains(t, out, flag)
	}
	code, out = ecolake(t, "help", "token", "create")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "--expires")
	code, out = ecolake(t, "help", "principal")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "principal disable")

	code, out = ecolake(t, "version")
	assert.Equal(t, 0, code, out)
	assert.True(t, strings.HasPrefix(out, "ecolake "), out)

	code, out = ecolake(t, "x")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, `未知的子命令 "x"`)
	assert.Contains(t, out, "用法")
	code, out = ecolake(t, "principal", "rename")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, `未知的子命令 "principal rename"`)
	code, out = ecolake(t, "ingest", "--bogus")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "未知的选项 -bogus")
	code, _ = ecolake(t)
	assert.Equal(t, 2, code)
}
