package test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codeListEntry is a directory document of one published entry; %s are replaced in turn by its
// resource code, category, table and share type.
const codeListEntry = `{"departments": [{"code": "DIV_WATER", "name": "水生态环境处", "kind": "division"}],
 "entries": [{"resource_code": "RC", "name": "代码表测试目录", "table": "TBL", "category_code": "CAT",
  "provider_name": "重庆市生态环境局", "provider_code": "11500000MB1534567X", "abstract": "合成测试数据",
  "format_type": "DATABASE", "share_type": "SHARE", "share_condition": "仅限本局使用", "share_mode": "TABLE",
  "open_type": "NOT_OPEN", "update_cycle": "MONTHLY", "status": "PUBLISHED", "department": "DIV_WATER",
  "district": "500000", "source_kind": "LOCAL_SYSTEM", "domains": ["WATER"],
  "items": [{"name": "断面名称", "field": "section_name", "type": "STRING", "required": true, "is_key": true, "grade": "GENERAL_1"}]}]}`

func entryDoc(t *testing.T, code, category, table, share string) string {
	r := strings.NewReplacer("RC", code, "CAT", category, "TBL", table, "SHARE", share)
	return writeFile(t, table+".json", r.Replace(codeListEntry))
}

// codeListDir writes replacement code lists into a fresh directory.
func codeListDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// serveOnce runs `ecolake serve` expecting it to refuse to start, and returns its exit code and
// output; a server that starts instead is killed after a minute and fails the test.
func serveOnce(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, append([]string{"serve", "--addr", freeAddr(t)}, args...)...).CombinedOutput()
	require.NoError(t, ctx.Err(), "the server started instead of refusing:\n%s", out)
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "want a failed exit, got %v:\n%s", err, out)
	return ee.ExitCode(), string(out)
}

// TestServeWithReplacedCodeLists replaces code lists from a directory at start-up, as an
// operator would without a rebuild: a replacement that would orphan an entry stops the service
// with the entries named; a good one takes effect in the API and in the offline commands.
func TestServeWithReplacedCodeLists(t *testing.T) {
	dir := t.TempDir()
	code, out := ecolake(t, "init", "--data", dir)
	require.Equal(t, 0, code, out)
	admin := oneMatch(t, secretRE, out)
	code, out = ecolake(t, "entry", "import", "--data", dir, entryDoc(t, "0102/000001", "0102", "water_sections", "CONDITIONAL"))
	require.Equal(t, 0, code, out)

	// CONDITIONAL dropped: the entry using it would be orphaned.
	orphaning := codeListDir(t, map[string]string{"share_types.csv": "id,name\nUNCONDITIONAL,无条件共享\nNOT_SHARED,不予共享\n"})
	code, out = serveOnce(t, "--data", dir, "--codelists", orphaning)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "替换代码表被拒绝, 服务未启动")
	assert.Contains(t, out, "0102/000001 share_type: “CONDITIONAL” 不在新的代码表 share_types 中")

	// A malformed file, and a file that replaces no list, are named with where they go wrong.
	malformed := codeListDir(t, map[string]string{"domains.csv": "id,name\nWATER,治水\nAIR,\"治气\n", "share_type.csv": "id,name\n"})
	code, out = serveOnce(t, "--data", dir, "--codelists", malformed)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "domains.csv 第 3 行")
	assert.Contains(t, out, "share_type.csv: 不是可替换的代码表文件")

	// The offline commands refuse the same way.
	code, out = ecolake(t, "principal", "list", "--data", dir, "--codelists", orphaning)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "0102/000001 share_type")

	// A good replacement: a label renamed, a category added and used offline, then served.
	good := codeListDir(t, map[string]string{
		"share_types.csv": "id,name\nUNCONDITIONAL,无条件共享\nCONDITIONAL,依申请共享\nNOT_SHARED,不予共享\n",
		"categories.csv":  "code,id,name,parent\n01,ENV_QUALITY,生态环境质量,\n0102,ENV_QUALITY_SURFACE_WATER,地表水环境质量,01\n0107,ENV_QUALITY_SEA,近岸海域环境质量,01\n",
	})
	code, out = ecolake(t, "entry", "import", "--data", dir, entryDoc(t, "0107/000001", "0107", "sea_quality", "UNCONDITIONAL"))
	assert.Equal(t, 2, code, "without the replacement the new category is unknown:\n%s", out)
	assert.Contains(t, out, "category_code")
	code, out = ecolake(t, "entry", "import", "--data", dir, "--codelists", good, entryDoc(t, "0107/000001", "0107", "sea_quality", "UNCONDITIONAL"))
	require.Equal(t, 0, code, out)

	s := startServer(t, dir, nil, "--codelists", good)
	data := s.gql(admin, `{ a: entry(code: "0102/000001") { shareType shareTypeName }
		b: entry(code: "0107/000001") { category categoryName }
		directory(category: "01") { totalCount } }`, nil).ok(t)
	assert.Equal(t, map[string]any{"shareType": "CONDITIONAL", "shareTypeName": "依申请共享"}, data["a"])
	assert.Equal(t, map[string]any{"category": "0107", "categoryName": "近岸海域环境质量"}, data["b"])
	assert.Equal(t, map[string]any{"totalCount": float64(2)}, data["directory"])
	s.stop(syscall.SIGTERM)

	// The directory now uses 0107: starting with the embedded lists again would orphan it.
	code, out = serveOnce(t, "--data", dir)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "0107/000001 category_code: “0107” 不在新的代码表 categories 中")
}
