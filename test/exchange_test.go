package test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog/workbook"
)

// TestCatalogExchangeCommands exports the demo directory offline in both formats (the workbook
// holds every entry, since the operator holds the whole directory; DCAT only the published,
// openable ones) and imports the workbook back.
func TestCatalogExchangeCommands(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, nil, "--demo")
	s.stop(syscall.SIGTERM)
	out := t.TempDir()

	xlsx := filepath.Join(out, "目录.xlsx")
	code, msg := ecolake(t, "catalog", "export", "--data", dir, "--format", "xlsx", "-o", xlsx)
	require.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "已导出目录工作簿")
	data, err := os.ReadFile(xlsx)
	require.NoError(t, err)
	entries, err := workbook.Read(context.Background(), bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var codes []string
	for _, e := range entries {
		codes = append(codes, e.ResourceCode)
	}
	for _, c := range []string{"0201/000003", "0501/000027", "0501/000028", "0103/000030"} {
		assert.Contains(t, codes, c, "important, secret and draft entries are all the operator's")
	}

	jsonld := filepath.Join(out, "open.jsonld")
	code, msg = ecolake(t, "catalog", "export", "--data", dir, "--format", "dcat", "--base-url", "https://data.example.gov.cn", "-o", jsonld)
	require.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "已导出DCAT-AP 开放目录")
	var doc struct {
		ID       string `json:"@id"`
		Datasets []struct {
			Identifier string `json:"dct:identifier"`
		} `json:"dcat:dataset"`
	}
	raw, err := os.ReadFile(jsonld)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, "https://data.example.gov.cn/api/v1/directory.jsonld", doc.ID)
	var open []string
	for _, d := range doc.Datasets {
		open = append(open, d.Identifier)
	}
	assert.NotEmpty(t, open)
	assert.Less(t, len(open), len(codes))
	for _, closed := range []string{"0501/000027", "0501/000028", "0103/000030"} {
		assert.False(t, slices.Contains(open, closed), "%s is not openable", closed)
	}

	// The workbook as exported imports as a no-op; one with problems in two sheets changes nothing
	// and names each problem's place.
	code, msg = ecolake(t, "catalog", "import", "--data", dir, "--reason", "季度核对", xlsx)
	require.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "导入完成: 新登记 0 条（草稿）, 修改 0 条, 未变 ")
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	require.NoError(t, f.SetCellStr(workbook.SheetEntries, "B2", "改名"))
	require.NoError(t, f.SetCellStr(workbook.SheetEntries, "H3", "看情况"))
	require.NoError(t, f.SetCellStr(workbook.SheetItems, "D2", "长文本"))
	require.NoError(t, f.SetCellStr(workbook.SheetItems, "A3", "0000/000000"))
	bad := filepath.Join(out, "坏.xlsx")
	require.NoError(t, f.SaveAs(bad))
	code, msg = ecolake(t, "catalog", "import", "--data", dir, bad)
	assert.Equal(t, 2, code, msg)
	assert.Contains(t, msg, "导入失败: 工作簿有 3 处问题，未导入任何内容")
	assert.Contains(t, msg, "工作表“目录” 第3行 H列（共享类型）: “看情况”不是共享类型的名称或代码")
	assert.Contains(t, msg, "工作表“信息项” 第2行 D列（数据类型）")
	assert.Contains(t, msg, "工作表“信息项” 第3行 A列（信息资源代码）")
	code, msg = ecolake(t, "catalog", "export", "--data", dir, "-o", xlsx)
	require.Equal(t, 0, code, msg)
	again, err := os.ReadFile(xlsx)
	require.NoError(t, err)
	after, err := workbook.Read(context.Background(), bytes.NewReader(again), -1)
	require.NoError(t, err)
	assert.Equal(t, entries, after, "neither import changed the directory")

	code, msg = ecolake(t, "catalog", "export", "--data", dir, "--format", "pdf", "-o", jsonld)
	assert.Equal(t, 2, code)
	assert.Contains(t, msg, "用法: ecolake catalog export --format xlsx|dcat -o 文件")
	code, msg = ecolake(t, "catalog", "export", "--data", dir, "-o", filepath.Join(out, "missing", "x.xlsx"))
	assert.Equal(t, 2, code)
	assert.Contains(t, msg, "无法写入")
}
