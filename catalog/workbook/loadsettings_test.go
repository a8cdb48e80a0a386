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

// The load settings are read as a steward types them: a date typed into a date item's bound (the
// serial Excel stores), a percentage with its sign, the write mode by name or id, a rule per line.
func TestLoadSettingsAreReadAsTyped(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellInt(SheetItems, col("最大值", 3), 46022)) // 2025-12-31 on air's day
		require.NoError(t, f.SetCellStr(SheetEntries, col("拒收行数上限（%）", 2), "5%"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("写入方式", 2), "append"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("校验规则", 2), "pm25 >= 0\r\n\npm25 <= 999"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("写入方式", 3), "按主键更新"))
	})
	got, err := Read(context.Background(), bytes.NewReader(data), -1)
	require.NoError(t, err)
	day, _ := got[0].Item("day")
	assert.Equal(t, [2]string{"2020-01-01", "2025-12-31"}, [2]string{day.Min, day.Max})
	require.NotNil(t, got[0].MaxRejectedPercent)
	assert.Equal(t, 5.0, *got[0].MaxRejectedPercent)
	assert.Equal(t, catalog.WriteModeAppend, got[0].WriteMode)
	assert.Equal(t, []string{"pm25 >= 0", "pm25 <= 999"}, got[0].Rules)
	assert.Equal(t, catalog.WriteModeUpsert, got[1].WriteMode)
	assert.Nil(t, got[1].MaxRejectedPercent, "an empty cell: the service's default")
}

// Cells that are no write mode or percentage are problems at their cells; a range the catalogue
// refuses is placed at its item's cell.
func TestLoadSettingsProblemsAreAtTheirCells(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("写入方式", 2), "覆盖"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("拒收行数上限（%）", 3), "一成"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("拒收行数上限（%）", 4), "NaN"))
	})
	got := problems(t, data, DefaultLimits())
	require.Len(t, got, 3)
	assert.Equal(t, Problem{Sheet: SheetEntries, Row: 2, Column: letter(col("写入方式", 2)), Header: "写入方式",
		Message: "“覆盖”不是写入方式（可选：追加、按主键更新）"}, got[0])
	assert.Equal(t, Problem{Sheet: SheetEntries, Row: 3, Column: letter(col("拒收行数上限（%）", 3)), Header: "拒收行数上限（%）",
		Message: "“一成”不是百分比，应写作 0 至 100 的数，如 5"}, got[1])
	assert.Equal(t, "“NaN”不是百分比，应写作 0 至 100 的数，如 5", got[2].Message, "no number a command could carry")

	book, err := ReadBook(context.Background(), bytes.NewReader(edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetItems, col("最小值", 2), "a")) // air's district, a text item
	})), -1, DefaultLimits())
	require.NoError(t, err)
	_, err = s.ImportEntries(context.Background(), catalog.Operator(), book.Entries, "")
	require.Error(t, err)
	var werr *Error
	require.ErrorAs(t, book.Locate(err), &werr)
	require.Len(t, werr.Problems, 1)
	assert.Equal(t, Problem{Sheet: SheetItems, Row: 2, Column: letter(col("最小值", 2)), Header: "最小值",
		Message: "字符串类型的信息项不能设置取值范围（仅整数、数值、日期、日期时间可以）"}, werr.Problems[0])
}

// A workbook exported before the load settings had columns is refused by name: read without
// them, an import would clear the settings of every entry it holds.
func TestWorkbookWithoutLoadSettingColumnsIsRefused(t *testing.T) {
	s := testStore(t)
	data := edit(t, export(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("校验规则", 1), ""))
		require.NoError(t, f.SetCellStr(SheetItems, col("最小值", 1), ""))
		for row := 2; row <= 4; row++ {
			require.NoError(t, f.SetCellStr(SheetEntries, col("校验规则", row), ""))
		}
		for row := 2; row <= 7; row++ {
			require.NoError(t, f.SetCellStr(SheetItems, col("最小值", row), ""))
		}
	})
	got := problems(t, data, DefaultLimits())
	assert.Contains(t, got, Problem{Sheet: SheetEntries, Row: 1, Message: "缺少列“校验规则”"})
	assert.Contains(t, got, Problem{Sheet: SheetItems, Row: 1, Message: "缺少列“最小值”"})
}
