package workbook

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// withChange is the test store with an open change request on its published entry.
func withChange(t *testing.T) *catalog.Store {
	t.Helper()
	s := testStore(t)
	air, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	air.Abstract = "全市空气质量自动监测站日均值（修订中）"
	require.NoError(t, s.EditEntry(context.Background(), catalog.Operator(), air, air.Revision, "修订摘要"))
	_, err = s.View().Change("0101/000001")
	require.NoError(t, err, "editing a published entry opens a change request")
	return s
}

// exportVersions writes the versions the operator edits.
func exportVersions(t *testing.T, s *catalog.Store) []byte {
	t.Helper()
	v := s.View()
	var buf bytes.Buffer
	require.NoError(t, Write(context.Background(), &buf, v, Versions(v, catalog.Operator())))
	return buf.Bytes()
}

// state is everything an import could change, for before/after comparisons.
func state(t *testing.T, s *catalog.Store) string {
	t.Helper()
	v := s.View()
	st := map[string]any{"index": v.Index(), "entries": v.Entries()}
	var changes []*catalog.ChangeRequest
	for _, e := range v.Entries() {
		if c, err := v.Change(e.ResourceCode); err == nil {
			changes = append(changes, c)
		}
	}
	st["changes"] = changes
	b, err := json.Marshal(st)
	require.NoError(t, err)
	return string(b)
}

func importBytes(s *catalog.Store, p *catalog.Principal, data []byte) (catalog.ImportResult, error) {
	return Import(context.Background(), s, p, bytes.NewReader(data), int64(len(data)), "工作簿导入测试")
}

func TestImportOfAnUnchangedWorkbookChangesNothing(t *testing.T) {
	s := withChange(t)
	data := exportVersions(t, s)
	before := state(t, s)
	res, err := importBytes(s, catalog.Operator(), data)
	require.NoError(t, err)
	assert.Empty(t, res.Created)
	assert.Empty(t, res.Changed)
	assert.Equal(t, []string{"0101/000001", "0102/000001", "08/000001"}, res.Unchanged)
	assert.Equal(t, before, state(t, s), "not a journal command: the index is where it was")

	// The catalogue, asked itself, agrees: the workbook is every entry as it stands, the open
	// change request's proposal included.
	entries, err := Read(context.Background(), bytes.NewReader(data), -1)
	require.NoError(t, err)
	res, err = s.ImportEntries(context.Background(), catalog.Operator(), entries, "核对")
	require.NoError(t, err)
	assert.Empty(t, res.Created)
	assert.Empty(t, res.Changed)
	assert.Len(t, res.Unchanged, 3)
}

func TestImportAppliesNewAndChangedEntries(t *testing.T) {
	s := withChange(t)
	data := edit(t, exportVersions(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("信息资源摘要", 2), "改过的摘要"))     // published: a change request
		require.NoError(t, f.SetCellStr(SheetEntries, col("信息资源名称", 3), "地表水国控断面水质")) // a draft: edited in place
		require.NoError(t, f.SetSheetRow(SheetEntries, "A5", &[]any{"", "区域噪声监测", "声环境质量"}))
		require.NoError(t, f.SetCellStr(SheetEntries, col("数据表名", 5), "noise_zones"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("责任处室", 5), "大气环境处"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("区县", 5), "市级"))
		require.NoError(t, f.SetSheetRow(SheetItems, "A8", &[]any{"noise_zones", "等效声级", "leq", "数值", "", "否", "否", "一般数据1级"}))
	})
	res, err := importBytes(s, catalog.Operator(), data)
	require.NoError(t, err)
	assert.Equal(t, []string{"0105/000001"}, res.Created, "a new entry gets a code of its category")
	assert.ElementsMatch(t, []string{"0101/000001", "0102/000001"}, res.Changed)
	assert.Equal(t, []string{"08/000001"}, res.Unchanged)

	v := s.View()
	air, err := v.Entry("0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "全市空气质量自动监测站日均值，含 PM2.5、PM10", air.Abstract, "the published version stays until approved")
	c, err := v.Change("0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "改过的摘要", c.Proposed.Abstract)
	water, err := v.Entry("0102/000001")
	require.NoError(t, err)
	assert.Equal(t, "地表水国控断面水质", water.Name)
	noise, err := v.Entry("0105/000001")
	require.NoError(t, err)
	assert.Equal(t, catalog.StatusDraft, noise.Status)
	assert.Equal(t, "noise_zones", noise.Table)
	require.Equal(t, 1, noise.Items.Len())
	assert.Equal(t, "leq", noise.Items.Slice()[0].Field)
}

func TestImportWithProblemsInTwoSheetsChangesNothing(t *testing.T) {
	s := withChange(t)
	data := edit(t, exportVersions(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("更新周期", 3), "每时每刻"))
		require.NoError(t, f.SetCellStr(SheetItems, col("分级", 4), "机密"))
		require.NoError(t, f.SetCellStr(SheetItems, "A7", "0000/000000"))
	})
	before := state(t, s)
	_, err := importBytes(s, catalog.Operator(), data)
	var werr *Error
	require.ErrorAs(t, err, &werr)
	assert.Equal(t, []Problem{
		{Sheet: SheetEntries, Row: 3, Column: letter(col("更新周期", 3)), Header: "更新周期"},
		{Sheet: SheetItems, Row: 4, Column: "H", Header: "分级"},
		{Sheet: SheetItems, Row: 7, Column: "A", Header: "信息资源代码"},
	}, places(werr.Problems))
	assert.Equal(t, before, state(t, s))
}

func TestImportRefusedByTheCatalogueNamesTheCells(t *testing.T) {
	s := withChange(t)
	data := edit(t, exportVersions(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("提供方代码", 2), "不是信用代码"))
		require.NoError(t, f.SetCellStr(SheetItems, col("字段标识", 6), "9mobile"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("业务事项", 4), "YW_NONE"))
	})
	before := state(t, s)
	_, err := importBytes(s, catalog.Operator(), data)
	var werr *Error
	require.ErrorAs(t, err, &werr, "%v", err)
	assert.ErrorIs(t, err, schemas.ErrInvalid)
	assert.Equal(t, []Problem{
		{Sheet: SheetEntries, Row: 2, Column: letter(col("提供方代码", 2)), Header: "提供方代码"},
		{Sheet: SheetItems, Row: 6, Column: "C", Header: "字段标识"},
		{Sheet: SheetEntries, Row: 4, Column: letter(col("业务事项", 4)), Header: "业务事项"},
	}, places(werr.Problems))
	assert.Contains(t, werr.Problems[0].Message, "统一社会信用代码")
	assert.Contains(t, werr.Problems[2].Message, "YW_NONE")
	assert.Equal(t, before, state(t, s))
}

func TestImportNeedsAnEditor(t *testing.T) {
	s := withChange(t)
	data := exportVersions(t, s)
	for _, role := range []string{catalog.RoleReviewer, catalog.RoleAnalyst, catalog.RoleManager} {
		p := &catalog.Principal{ID: role, Name: role, Role: role, Clearance: schemas.Core}
		_, err := importBytes(s, p, data)
		assert.ErrorIs(t, err, schemas.ErrForbidden, role)
	}
}

func TestLocateParsesTheCatalogueFieldPaths(t *testing.T) {
	b := &Book{rows: []int{2, 3}, itemRows: [][]int{{2, 3, 4}, {5}}}
	cases := []struct {
		pr   catalog.ImportProblem
		want Problem
	}{
		{catalog.ImportProblem{Index: 0, Field: "items[2] (pm25).grade", Message: "m"}, Problem{Sheet: SheetItems, Row: 4, Column: "H", Header: "分级", Message: "m"}},
		{catalog.ImportProblem{Index: 1, Field: "items[0].name", Message: "m"}, Problem{Sheet: SheetItems, Row: 5, Column: "B", Header: "信息项名称", Message: "m"}},
		{catalog.ImportProblem{Index: 1, Field: "domains[1]", Message: "m"}, Problem{Sheet: SheetEntries, Row: 3, Column: letter(col("治理领域", 3)), Header: "治理领域", Message: "m"}},
		{catalog.ImportProblem{Index: 1, Field: "related_codes[0]", Message: "m"}, Problem{Sheet: SheetEntries, Row: 3, Column: letter(col("关联资源代码", 3)), Header: "关联资源代码", Message: "m"}},
		{catalog.ImportProblem{Index: 0, Field: "items", Message: "至少需要一个信息项"}, Problem{Sheet: SheetEntries, Row: 2, Message: "items: 至少需要一个信息项"}},
		{catalog.ImportProblem{Index: 0, Message: "目录已下线"}, Problem{Sheet: SheetEntries, Row: 2, Message: "目录已下线"}},
		{catalog.ImportProblem{Index: 0, Field: "items[7].grade", Message: "m"}, Problem{Sheet: SheetEntries, Row: 2, Message: "items[7].grade: m"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, b.locate(c.pr), c.pr.Field)
	}
}

// places are problems without their messages.
func places(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		out = append(out, Problem{Sheet: p.Sheet, Row: p.Row, Column: p.Column, Header: p.Header})
	}
	return out
}
