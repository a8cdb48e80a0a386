package workbook

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
)

func intp(n int) *int { return &n }

// withRetention is the test store with snapshot retention set on the published air entry (5
// snapshots, no bound by days; through a change request) and on the water draft (30 days).
func withRetention(t *testing.T) *catalog.Store {
	t.Helper()
	s := testStore(t)
	for code, set := range map[string]func(e *catalog.Entry){
		"0101/000001": func(e *catalog.Entry) { e.RetainSnapshots, e.RetainDays = intp(5), intp(0) },
		"0102/000001": func(e *catalog.Entry) { e.RetainDays = intp(30) },
	} {
		e, err := s.View().Entry(code)
		require.NoError(t, err)
		set(e)
		require.NoError(t, s.EditEntry(context.Background(), catalog.Operator(), e, e.Revision, "设置快照保留"))
	}
	return s
}

// retentionOf is the retention of each entry's version an import is compared with, as text.
func retentionOf(s *catalog.Store) map[string][2]string {
	out := map[string][2]string{}
	text := func(p *int) string {
		if p == nil {
			return "默认"
		}
		return strconv.Itoa(*p)
	}
	for _, e := range Versions(s.View(), catalog.Operator()) {
		out[e.ResourceCode] = [2]string{text(e.RetainSnapshots), text(e.RetainDays)}
	}
	return out
}

// Retention is written as numbers (0 included) or left empty for the service's default, and is
// read back as it was.
func TestWorkbookRetentionRoundTrip(t *testing.T) {
	s := withRetention(t)
	data := exportVersions(t, s)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	for cell, want := range map[string]string{
		col("快照保留个数", 2): "5", col("快照保留天数", 2): "0",
		col("快照保留个数", 3): "", col("快照保留天数", 3): "30",
		col("快照保留个数", 4): "", col("快照保留天数", 4): "",
	} {
		got, err := f.GetCellValue(SheetEntries, cell)
		require.NoError(t, err)
		assert.Equal(t, want, got, cell)
	}
	guide, err := f.GetRows(SheetGuide)
	require.NoError(t, err)
	var said []string
	for _, r := range guide {
		if len(r) == 4 && r[0] == SheetEntries && (r[2] == "快照保留个数" || r[2] == "快照保留天数") {
			said = append(said, r[3])
		}
	}
	require.Len(t, said, 2)
	assert.Contains(t, said[0], "0 为不按个数限制；留空按系统默认")
	assert.Contains(t, said[1], "0 为不按天数限制；留空按系统默认")

	got, err := Read(context.Background(), bytes.NewReader(data), -1)
	require.NoError(t, err)
	want := Versions(s.View(), catalog.Operator())
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, exported(want[i]), exported(got[i]), want[i].ResourceCode)
	}
	assert.Equal(t, intp(5), got[0].RetainSnapshots)
	assert.Equal(t, intp(0), got[0].RetainDays, "0 is a bound of its own, not the default")
	assert.Nil(t, got[1].RetainSnapshots)
	assert.Equal(t, intp(30), got[1].RetainDays)

	// Cleared in the workbook: the entry goes back to the service's default.
	cleared := edit(t, data, func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("快照保留天数", 3), ""))
	})
	_, err = importBytes(s, catalog.Operator(), cleared)
	require.NoError(t, err)
	assert.Equal(t, [2]string{"默认", "默认"}, retentionOf(s)["0102/000001"])
}

// A cell that is no whole number of the allowed range is a problem at its row and column.
func TestWorkbookRetentionProblemsAreAtTheirCells(t *testing.T) {
	s := withRetention(t)
	data := edit(t, exportVersions(t, s), func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(SheetEntries, col("快照保留个数", 2), "-1"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("快照保留天数", 2), "三十"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("快照保留个数", 3), "2.5"))
		require.NoError(t, f.SetCellStr(SheetEntries, col("快照保留天数", 4), "36501"))
	})
	before := state(t, s)
	_, err := importBytes(s, catalog.Operator(), data)
	var werr *Error
	require.ErrorAs(t, err, &werr)
	at := func(head string, row int) (string, string) { return letter(col(head, row)), head }
	want := []Problem{
		{Row: 2, Message: "“-1”应为 0 至 100000 的整数（0 为不按个数限制），留空按系统默认"},
		{Row: 2, Message: "“三十”不是整数，应为 0 至 36500 的整数（0 为不按天数限制），留空按系统默认"},
		{Row: 3, Message: "“2.5”不是整数，应为 0 至 100000 的整数（0 为不按个数限制），留空按系统默认"},
		{Row: 4, Message: "“36501”应为 0 至 36500 的整数（0 为不按天数限制），留空按系统默认"},
	}
	heads := []string{"快照保留个数", "快照保留天数", "快照保留个数", "快照保留天数"}
	for i := range want {
		want[i].Sheet = SheetEntries
		want[i].Column, want[i].Header = at(heads[i], want[i].Row)
	}
	assert.Equal(t, want, werr.Problems)
	assert.Contains(t, werr.UserMessage(), "工作表“目录” 第2行 "+letter(col("快照保留个数", 2))+"列（快照保留个数）: “-1”应为 0 至 100000 的整数")
	assert.Equal(t, before, state(t, s), "nothing imported")
}

// A workbook written before the retention columns existed still imports, and leaves every
// entry's retention as it was: unchanged, it changes nothing; with another field changed, only
// that field changes.
func TestWorkbookWithoutRetentionColumnsKeepsRetention(t *testing.T) {
	s := withRetention(t)
	old := edit(t, exportVersions(t, s), func(f *excelize.File) {
		for _, head := range []string{"快照保留个数", "快照保留天数"} { // header and cells emptied: no column
			for row := 1; row <= 4; row++ {
				require.NoError(t, f.SetCellStr(SheetEntries, col(head, row), ""))
			}
		}
		rows, err := f.GetRows(SheetEntries)
		require.NoError(t, err)
		require.NotContains(t, rows[0], "快照保留个数")
		require.NotContains(t, rows[0], "快照保留天数")
	})
	want := map[string][2]string{"0101/000001": {"5", "0"}, "0102/000001": {"默认", "30"}, "08/000001": {"默认", "默认"}}
	require.Equal(t, want, retentionOf(s))

	before := state(t, s)
	res, err := importBytes(s, catalog.Operator(), old)
	require.NoError(t, err)
	assert.Len(t, res.Unchanged, 3)
	assert.Equal(t, before, state(t, s))

	changed := edit(t, old, func(f *excelize.File) {
		for row := 2; row <= 3; row++ {
			require.NoError(t, f.SetCellStr(SheetEntries, col("信息资源摘要", row), "旧版工作簿的修改"))
		}
	})
	res, err = importBytes(s, catalog.Operator(), changed)
	require.NoError(t, err)
	assert.Equal(t, []string{"0101/000001", "0102/000001"}, res.Changed)
	assert.Equal(t, want, retentionOf(s), "the columns the workbook lacks keep their settings")
	for _, e := range Versions(s.View(), catalog.Operator())[:2] {
		assert.Equal(t, "旧版工作簿的修改", e.Abstract)
	}

	// A new entry in such a workbook gets the service's default.
	book, err := ReadBook(context.Background(), bytes.NewReader(old), -1, DefaultLimits())
	require.NoError(t, err)
	book.keepAbsent(map[string]*catalog.Entry{})
	assert.Nil(t, book.Entries[0].RetainSnapshots)
}
