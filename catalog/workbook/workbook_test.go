package workbook

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
)

func TestRoundTripGivesBackEveryExportedField(t *testing.T) {
	s := testStore(t)
	data := export(t, s)
	got, err := Read(context.Background(), bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	want := s.View().Entries()
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, exported(want[i]), exported(got[i]), "entry %s", want[i].ResourceCode)
	}
	// Item ids and versions are carried, so that an import can tell a rename from a new item.
	assert.Equal(t, 3, got[0].Items.Slice()[2].ID)
	assert.NotZero(t, got[0].Revision)
	assert.Equal(t, "2025-06-02", dateText(got[0].PublishDate), "the publish day is the bureau's")
}

func TestWrittenCellsAreChineseNames(t *testing.T) {
	s := testStore(t)
	f, err := excelize.OpenReader(bytes.NewReader(export(t, s)))
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{SheetEntries, SheetItems, SheetCodes, SheetGuide}, f.GetSheetList())
	rows, err := f.GetRows(SheetEntries)
	require.NoError(t, err)
	head := rows[0]
	at := func(row int, h string) string {
		i := indexOf(head, h)
		require.GreaterOrEqual(t, i, 0, "column %s", h)
		return rows[row][i]
	}
	for h, want := range map[string]string{
		"信息资源分类": "生态环境质量/大气环境质量", "共享类型": "有条件共享", "更新周期": "每日", "共享方式": "接口",
		"开放类型": "有条件开放", "信息资源格式": "数据库", "责任处室": "大气环境处", "区县": "市级", "数据来源": "在线监测",
		"治理领域": "治气、督察", "业务事项": "大气污染防治、督察\n重污染天气应对; 预警", "应用场景": "重污染天气应急一件事",
		"人工定级": "一般数据3级", "共享开放法律依据": "《重庆市政务数据资源管理暂行办法》",
		"目录分级（只读）": "一般数据3级", "目录状态": "已发布", "发布日期": "2025-06-02", "涉密": "否",
		"校验规则": "pm25 >= 0\ndistrict != \"500000\"", "写入方式": "按主键更新", "拒收行数上限（%）": "12.5", "分区列": "district、year(day)",
	} {
		assert.Equal(t, want, at(1, h), h)
	}
	assert.Equal(t, "万州区", at(2, "区县"))
	assert.Equal(t, "", at(2, "写入方式"), "append unsaid stays unsaid")
	assert.Equal(t, "0101/000001", at(2, "关联资源代码"))

	items, err := f.GetRows(SheetItems)
	require.NoError(t, err)
	assert.Equal(t, []string{"信息资源代码", "信息项名称", "字段标识", "数据类型", "长度", "必填", "主键", "分级", "个人信息类型", "代码表", "说明", "最小值", "最大值", "编号"}, items[0])
	assert.Equal(t, []string{"0101/000001", "区县", "district", "字符串", "6", "是", "是", "一般数据1级", "", "区县", "监测点所在区县", "", "", "1"}, items[1])
	assert.Equal(t, []string{"0", "1000"}, items[3][11:13])
	assert.Equal(t, "手机号", items[5][8])

	codes, err := f.GetRows(SheetCodes)
	require.NoError(t, err)
	assert.Contains(t, codes, []string{"共享类型", "CONDITIONAL", "有条件共享"})
	assert.Contains(t, codes, []string{"更新周期", "HALF_YEARLY", "每半年"})
	assert.Contains(t, codes, []string{"资源分类", "0101", "生态环境质量/大气环境质量"})
	assert.Contains(t, codes, []string{"责任处室", "WATER_DIV", "水生态环境处"})
	assert.Contains(t, codes, []string{"业务事项", "YW_ALERT", "重污染天气应对; 预警"})
	assert.Contains(t, codes, []string{"应用场景", "YJS_AIR", "重污染天气应急一件事"})
}

func TestReadAcceptsIDsAndOtherSpellings(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		set := map[string]string{"信息资源分类": "0101", "共享类型": "CONDITIONAL", "更新周期": "DAILY", "发布日期": "2025/6/2",
			"责任处室": "AIR_DIV", "区县": "500000", "治理领域": "AIR，INSPECTION", "涉密": "N", "人工定级": "GENERAL_3",
			"业务事项": "YW_AIR；YW_ALERT", "应用场景": "YJS_AIR"}
		for head, v := range set {
			require.NoError(t, f.SetCellStr(SheetEntries, col(head, 2), v))
		}
		require.NoError(t, f.SetCellStr(SheetItems, "D2", "STRING"))
		require.NoError(t, f.SetCellStr(SheetItems, "J2", "districts"))
	})
	got, err := Read(context.Background(), bytes.NewReader(data), -1)
	require.NoError(t, err)
	assert.Equal(t, exported(s.View().Entries()[0]), exported(got[0]))
}

func TestReadDateTypedByExcel(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellInt(SheetEntries, col("发布日期", 2), 45810)) // the serial Excel stores for 2025-06-02
		require.NoError(t, f.SetCellInt(SheetItems, "E2", 6))
	})
	got, err := Read(context.Background(), bytes.NewReader(data), -1)
	require.NoError(t, err)
	assert.Equal(t, "2025-06-02", dateText(got[0].PublishDate))
	assert.Equal(t, 6, got[0].Items.Slice()[0].Length)
}

func TestNewEntryLinksItemsByTable(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, "A5", ""))
		for head, v := range map[string]string{"信息资源名称": "噪声监测", "信息资源分类": "声环境质量", "数据表名": "noise", "治理领域": "治气"} {
			require.NoError(t, f.SetCellStr(SheetEntries, col(head, 5), v))
		}
		require.NoError(t, f.SetSheetRow(SheetItems, "A8", &[]any{"noise", "等效声级", "leq", "数值", "", "否", "否", "一般数据1级"}))
	})
	got, err := Read(context.Background(), bytes.NewReader(data), -1)
	require.NoError(t, err)
	require.Len(t, got, 4)
	e := got[3]
	assert.Equal(t, "", e.ResourceCode)
	assert.Equal(t, "0105", e.CategoryCode)
	assert.Equal(t, []string{"AIR"}, e.Domains)
	assert.Equal(t, []catalog.Item{{Name: "等效声级", Field: "leq", Type: "FLOAT", Grade: "GENERAL_1"}}, e.Items.Slice())
}

func TestReadReportsEveryProblemWithItsCell(t *testing.T) {
	s := testStore(t)
	unknown, _ := excelize.CoordinatesToCellName(len(entryCols)+1, 1)
	data := edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("共享类型", 2), "随便共享"))
		require.NoError(t, f.SetCellStr(SheetEntries, "A3", "0101/000001")) // repeats row 2
		require.NoError(t, f.SetCellStr(SheetEntries, col("涉密", 4), "也许"))
		require.NoError(t, f.SetCellStr(SheetItems, col("分级", 3), "绝密"))
		require.NoError(t, f.SetCellStr(SheetItems, col("长度", 4), "-3"))
		require.NoError(t, f.SetCellStr(SheetItems, "A5", "9999/000001"))
		require.NoError(t, f.SetCellStr(SheetItems, col("字段标识", 2), "day")) // repeats row 3's field
		require.NoError(t, f.SetCellStr(SheetEntries, unknown, "备注"))
		require.NoError(t, f.SetCellStr(SheetCodes, "A2", "资源分类")) // the code sheet is not checked
	})
	got := problems(t, data, DefaultLimits())
	want := []Problem{
		{Sheet: SheetEntries, Row: 1, Column: letter(unknown), Header: "备注"},
		{Sheet: SheetEntries, Row: 2, Column: "H", Header: "共享类型"},
		{Sheet: SheetEntries, Row: 3, Column: "A", Header: "信息资源代码"},
		{Sheet: SheetEntries, Row: 4, Column: letter(col("涉密", 4)), Header: "涉密"},
		{Sheet: SheetItems, Row: 3, Column: "H", Header: "分级"},
		{Sheet: SheetItems, Row: 3, Column: "C", Header: "字段标识"},
		{Sheet: SheetItems, Row: 4, Column: "E", Header: "长度"},
		{Sheet: SheetItems, Row: 5, Column: "A", Header: "信息资源代码"},
		// the entries sheet no longer holds 0102/000001 (row 3 took another code): its item is orphaned
		{Sheet: SheetItems, Row: 6, Column: "A", Header: "信息资源代码"},
	}
	var where []Problem
	for _, p := range got {
		assert.NotEmpty(t, p.Message)
		where = append(where, Problem{Sheet: p.Sheet, Row: p.Row, Column: p.Column, Header: p.Header})
	}
	assert.Equal(t, want, where)
	assert.Contains(t, got[1].Message, "“随便共享”不是共享类型的名称或代码（可选：无条件共享、有条件共享、不予共享）")
	assert.Contains(t, got[2].Message, "与第2行重复")
	assert.Contains(t, got[5].Message, "“day”与第2行重复")

	_, err := Read(context.Background(), bytes.NewReader(data), -1)
	var werr *Error
	require.ErrorAs(t, err, &werr)
	msg := werr.UserMessage()
	assert.Contains(t, msg, "工作簿有 9 处问题，未导入任何内容")
	assert.Contains(t, msg, "工作表“目录” 第2行 H列（共享类型）: “随便共享”不是共享类型")
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestReadCapsProblems(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		for _, head := range []string{"信息资源格式", "共享类型", "共享方式", "开放类型", "更新周期"} {
			for row := 2; row <= 4; row++ {
				require.NoError(t, f.SetCellStr(SheetEntries, col(head, row), "坏"))
			}
		}
	})
	lim := DefaultLimits()
	lim.MaxProblems = 4
	_, err := ReadBook(context.Background(), bytes.NewReader(data), -1, lim)
	var werr *Error
	require.ErrorAs(t, err, &werr)
	assert.Len(t, werr.Problems, 4)
	assert.True(t, werr.Truncated)
	assert.Contains(t, werr.UserMessage(), "工作簿有 4 处以上问题")
}

func TestReadMissingSheetsAndColumns(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetSheetName(SheetItems, "旧信息项"))
		require.NoError(t, f.SetCellStr(SheetEntries, "B1", ""))
	})
	got := problems(t, data, DefaultLimits())
	require.Len(t, got, 5)
	assert.Equal(t, Problem{Sheet: SheetEntries, Row: 1, Message: "缺少列“信息资源名称”"}, got[0])
	// the names are still there, under no header: not dropped in silence
	assert.Equal(t, Problem{Sheet: SheetEntries, Row: 2, Column: "B", Message: "该列没有列名，内容无法导入"}, got[1])
	assert.Equal(t, Problem{Sheet: SheetItems, Message: "缺少工作表“信息项”"}, got[4])
}
