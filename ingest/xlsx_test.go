package ingest

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
)

// workbook builds an xlsx file: sheets in order, each a list of rows of cell values (a
// time.Time is written as an Excel date with the given number format id, numFmt).
func workbook(t *testing.T, sheets []string, rows map[string][][]any, style func(f *excelize.File, sheet string)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetName("Sheet1", sheets[0]))
	for _, s := range sheets[1:] {
		_, err := f.NewSheet(s)
		require.NoError(t, err)
	}
	for _, s := range sheets {
		for i, r := range rows[s] {
			cell, err := excelize.CoordinatesToCellName(1, i+1)
			require.NoError(t, err)
			require.NoError(t, f.SetSheetRow(s, cell, &r))
		}
		if style != nil {
			style(f, s)
		}
	}
	var b bytes.Buffer
	require.NoError(t, f.Write(&b))
	return b.Bytes()
}

// TestSubmitWorkbook: a district's workbook as it is really filled in: a merged title row and
// a blank row above the header, a header with blanks and full-width letters, real Excel date and
// date-time cells in the built-in formats, a number shown with thousands separators, a number typed full-width as text. The result
// names the sheet and the header row; a bad row is rejected at its Excel row number.
func TestSubmitWorkbook(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRejectedShare = 1 // one row of three is rejected, to show its row number
	e := newEnv(t, cfg)
	e.putEntry(nil)
	day := time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC)
	data := workbook(t, []string{"5月"}, map[string][][]any{"5月": {
		{"重庆市渝中区空气质量日报（2024年5月）"},
		{},
		{"站点 编码", "区县", "监测日期", "ＰＭ2.5浓度（μg/m³）", "监测次数", "采样时间"},
		{"S1", "渝中区", day, 12345.5, "１１６", day.Add(13*time.Hour + 30*time.Minute)},
		{"S2", "渝中区", "2024年5月8日", 8, 24},
		{"S9", "渝中区", "不是日期", 1, 1},
	}}, func(f *excelize.File, s string) {
		require.NoError(t, f.MergeCell(s, "A1", "F1"))
		date, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // the built-in short date
		require.NoError(t, err)
		require.NoError(t, f.SetCellStyle(s, "C4", "C4", date))
		thousands, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
		require.NoError(t, err)
		require.NoError(t, f.SetCellStyle(s, "D4", "D4", thousands))
		stamp, err := f.NewStyle(&excelize.Style{NumFmt: 22}) // the built-in date and time
		require.NoError(t, err)
		require.NoError(t, f.SetCellStyle(s, "F4", "F4", stamp))
	})
	res, err := e.submit("渝中区5月.xlsx", string(data), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, res.Run.Status)
	assert.Equal(t, "5月", res.Sheet)
	assert.Equal(t, 3, res.HeaderLine)
	assert.Empty(t, res.Encoding)
	assert.Contains(t, res.Summary(), "工作表：5月")
	assert.Contains(t, res.Summary(), "表头在第 3 行")
	assert.EqualValues(t, 3, res.Run.RowsRead)
	require.Len(t, res.Rejects, 1)
	assert.Equal(t, 6, res.Rejects[0].Row, "the Excel row")
	assert.Equal(t, "sample_date", res.Rejects[0].Field)
	assert.Equal(t, [][]string{
		{"S1", "500103", "2024-05-07", "12345.5", "<nil>", "116", "2024-05-07 13:30:00", "<nil>"},
		{"S2", "500103", "2024-05-08", "8", "<nil>", "24", "<nil>", "<nil>"},
	}, e.rows("0101/000001"))
}

// TestSubmitWorkbookSheets: a workbook of several sheets is read only from the sheet named; none
// named, or one that is not there, is refused with the sheets that exist, and nothing is loaded.
func TestSubmitWorkbookSheets(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	header := []any{"站点编码", "区县", "监测日期"}
	data := workbook(t, []string{"说明", "5月", "6月"}, map[string][][]any{
		"说明": {{"请在各月工作表填报"}},
		"5月": {header, {"S5", "渝中区", "2024-05-01"}},
		"6月": {header, {"S6", "渝中区", "2024-06-01"}, {"S7", "渝中区", "2024-06-02"}},
	}, nil)
	_, err := e.submit("报送.xlsx", string(data), nil)
	require.ErrorIs(t, err, ErrInvalidSubmission)
	assert.Contains(t, err.Error(), "工作簿有 3 个工作表，请指定要读取的一个：“说明”、“5月”、“6月”")
	_, err = e.submit("报送.xlsx", string(data), func(s *Submission) { s.Sheet = "7月" })
	require.ErrorIs(t, err, ErrInvalidSubmission)
	assert.Contains(t, err.Error(), "工作簿中没有工作表“7月”，现有工作表：“说明”、“5月”、“6月”")
	got, err := e.cat.View().Entry("0101/000001")
	require.NoError(t, err)
	assert.Empty(t, got.CurrentSnapshot, "nothing loaded")

	res, err := e.submit("报送.xlsx", string(data), func(s *Submission) { s.Sheet = " 6月 " })
	require.NoError(t, err)
	assert.Equal(t, catalog.RunSucceeded, res.Run.Status)
	assert.Equal(t, "6月", res.Sheet)
	rows := e.rows("0101/000001")
	require.Len(t, rows, 2)
	assert.Equal(t, "S6", rows[0][0])
}

// TestSubmitWorkbookLimits: a workbook beyond the configured size, or packed beyond the ratio a
// real one has (a zip bomb), is refused before excelize unpacks it.
func TestSubmitWorkbookLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.XLSX.MaxBytes = 4 << 10
	e := newEnv(t, cfg)
	e.putEntry(nil)
	big := make([][]any, 0, 2000)
	big = append(big, []any{"站点编码", "区县", "监测日期"})
	for range 2000 {
		big = append(big, []any{"S1", "渝中区", "2024-05-01"})
	}
	data := workbook(t, []string{"表"}, map[string][][]any{"表": big}, nil)
	require.Greater(t, len(data), 4<<10)
	_, err := e.submit("报送.xlsx", string(data), nil)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "工作簿过大：不能超过 4 KiB")

	cfg = DefaultConfig()
	cfg.XLSX.MaxRatio = 2
	e = newEnv(t, cfg)
	e.putEntry(nil)
	bomb := make([][]any, 0, 30000)
	for range 30000 {
		bomb = append(bomb, []any{"S1", "渝中区", "2024-05-01"})
	}
	data = workbook(t, []string{"表"}, map[string][][]any{"表": bomb}, nil)
	_, err = e.submit("报送.xlsx", string(data), nil)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "压缩比异常")
}
