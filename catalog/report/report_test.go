package report

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

var (
	registered = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	reportNow  = registered.Add(5*24*time.Hour + 3*time.Hour) // five whole days later
)

const (
	airCode, townCode, lawCode = "0101/000001", "0101/000002", "07/000001"
	lawName                    = "企业行政处罚案卷"
)

func entry(code, table, name, dept, district string, grade schemas.Grade) *catalog.Entry {
	return &catalog.Entry{
		ResourceCode: code, Table: table, Name: name, CategoryCode: strings.SplitN(code, "/", 2)[0],
		ProviderName: "重庆市生态环境局", ProviderCode: "115000000000000001", Abstract: name + "数据",
		FormatType: "DATABASE", ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "UNCONDITIONAL",
		Items:       catalog.ItemsOf(catalog.Item{Name: "编号", Field: "id", Type: schemas.String, Required: true, IsKey: true, Grade: grade}),
		UpdateCycle: schemas.Daily, Status: catalog.StatusPublished, Department: dept, District: district,
		SourceKind: "ONLINE_MONITORING", Domains: []string{"AIR"},
	}
}

// testView is a catalogue at reportNow: the air data collected, the town's never loaded, the
// penalties (Important) never loaded and their one load failed; one business item and two
// "一件事" served by them.
func testView(t *testing.T) *catalog.View {
	t.Helper()
	ctx := context.Background()
	now := registered
	cfg := catalog.DefaultConfig()
	cfg.Dir, cfg.Clock = t.TempDir(), func() time.Time { return now }
	s, err := catalog.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	require.NoError(t, s.PutDepartment(ctx, catalog.Department{Code: "LAW_CORPS", Name: "执法总队", Kind: catalog.DepartmentCorps}))
	require.NoError(t, s.PutPrincipal(ctx, catalog.Principal{ID: "air-app", Name: "治气应用", Role: catalog.RoleScene, Clearance: schemas.General2}))
	op := catalog.Operator()
	require.NoError(t, s.PutBusinessItem(ctx, op, catalog.BusinessItem{Code: "YW_AIR", Name: "空气质量监测", Department: "AIR_DIV"}, 0))
	require.NoError(t, s.PutScene(ctx, op, catalog.Scene{Code: "YJS_AIR", Name: "污染天应对", Kind: catalog.SceneOneThing,
		Department: "AIR_DIV", Accounts: []string{"air-app"}}, 0))
	require.NoError(t, s.PutScene(ctx, op, catalog.Scene{Code: "YJS_LAW", Name: "执法一件事", Kind: catalog.SceneOneThing, Department: "LAW_CORPS"}, 0))
	air := entry(airCode, "air_daily", "空气质量日均值", "AIR_DIV", schemas.CityCode, schemas.General1)
	air.BusinessItems, air.Scenes = []string{"YW_AIR"}, []string{"YJS_AIR"}
	town := entry(townCode, "town_air", "乡镇空气质量", "AIR_DIV", "500101", schemas.General1)
	town.BusinessItems = []string{"YW_AIR"}
	law := entry(lawCode, "penalties", lawName, "LAW_CORPS", schemas.CityCode, schemas.Important)
	law.Scenes, law.Domains, law.SourceKind = []string{"YJS_LAW"}, []string{"ENFORCEMENT"}, "LOCAL_SYSTEM"
	for _, e := range []*catalog.Entry{air, town, law} {
		require.NoError(t, s.PutEntry(ctx, e))
	}
	now = reportNow.Add(-time.Hour)
	run := catalog.Run{ID: "run-air", Entry: airCode, Kind: "test", Source: "test", Status: catalog.RunRunning}
	require.NoError(t, s.BeginRun(ctx, run))
	run.Status, run.RowsRead, run.RowsAccepted = catalog.RunSucceeded, 1, 1
	require.NoError(t, s.CommitSnapshot(ctx, catalog.Snapshot{ID: "snap-air", Entry: airCode, Run: "run-air", ManifestKey: "m/air.json",
		Rows: 1, Files: 1, SchemaVersion: 1}, run, ""))
	failed := catalog.Run{ID: "run-law", Entry: lawCode, Kind: "test", Source: "test", Status: catalog.RunRunning}
	require.NoError(t, s.BeginRun(ctx, failed))
	failed.Status, failed.Error = catalog.RunFailed, "连接超时"
	require.NoError(t, s.FailRun(ctx, failed))
	return s.View()
}

func write(t *testing.T, v *catalog.View, r Report) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	_, err := Write(context.Background(), &buf, v, r)
	require.NoError(t, err)
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func rows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rs, err := f.GetRows(sheet)
	require.NoError(t, err)
	return rs
}

func TestReportWorkbook(t *testing.T) {
	v := testView(t)
	used := func(account string) time.Time {
		if account == "air-app" {
			return reportNow.Add(-48 * time.Hour)
		}
		return time.Time{}
	}
	f := write(t, v, Report{Principal: catalog.Operator(), Now: reportNow, Targets: catalog.DefaultFigureTargets(), Used: used,
		UsageIncomplete: []string{"2025-05-20"}})
	assert.Equal(t, []string{SheetOverview, SheetDepartment, SheetDistrict, SheetDomain, SheetSourceKind, SheetLagging, SheetCoverage, SheetOneThing},
		f.GetSheetList())

	ov := rows(t, f, SheetOverview)
	assert.Equal(t, []string{"指标", "分子", "分母", "比率", "目标", "是否达标", "口径"}, ov[0])
	assert.Equal(t, []string{"数据归集率", "1", "3", "33.33%", "90.00%", "未达标"}, ov[1][:6])
	assert.Equal(t, []string{"业务事项覆盖率", "1", "1", "100.00%", "70.00%", "达标"}, ov[3][:6])
	assert.Equal(t, []string{"“一件事”上线运行率", "1", "2", "50.00%", "80.00%", "未达标"}, ov[4][:6])
	assert.Equal(t, []string{"统计时间", "2025-06-06 11:00 (北京时间)"}, ov[6])
	assert.Equal(t, []string{"统计范围", "本地运维: 全部目录"}, ov[7])
	assert.Contains(t, ov[9][1], "2025-05-20")

	dept := rows(t, f, SheetDepartment)
	assert.Equal(t, []string{"责任处室代码", "责任处室", "数据归集率", "", "", "业务事项覆盖率", "", "", "“一件事”上线运行率"}, dept[0][:9])
	assert.Equal(t, []string{"", "", "已归集", "应归集", "归集率", "已覆盖", "业务事项", "覆盖率", "运行中", "“一件事”", "运行率"}, dept[1])
	assert.Equal(t, []string{"AIR_DIV", "大气环境处", "1", "2", "50.00%", "1", "1", "100.00%", "1", "1", "100.00%"}, dept[2])
	assert.Equal(t, []string{"LAW_CORPS", "执法总队", "0", "1", "0.00%", "", "", "", "0", "1", "0.00%"}, dept[3],
		"no business item of the corps: its coverage cells are empty")
	panes, err := f.GetPanes(SheetDepartment)
	require.NoError(t, err)
	assert.True(t, panes.Freeze)
	assert.Equal(t, 2, panes.YSplit)

	lag := rows(t, f, SheetLagging)
	assert.Equal(t, []string{"信息资源代码", "信息资源名称", "责任处室", "区县", "原因", "原因说明", "起始时间", "滞后天数", "最近一次归集", "失败批次"}, lag[0])
	require.Len(t, lag, 3)
	assert.Equal(t, []string{lawCode, lawName, "执法总队", "重庆市", "最近一次归集失败"}, lag[2][:5])
	assert.Contains(t, lag[2][5], "连接超时")
	assert.Equal(t, []string{"2025-06-01 08:00", "5", "", "run-law"}, lag[2][6:])
	assert.Equal(t, []string{townCode, "乡镇空气质量", "大气环境处", "万州区", "从未归集"}, lag[1][:5])

	assert.Equal(t, []string{"YW_AIR", "空气质量监测", "大气环境处", "2", "1", "是"}, rows(t, f, SheetCoverage)[1])
	one := rows(t, f, SheetOneThing)
	assert.Equal(t, []string{"场景代码", "名称", "责任处室", "所需目录数", "已归集目录数", "未归集目录", "最近使用", "是否上线", "是否在用", "是否运行", "原因"}, one[0])
	assert.Equal(t, []string{"YJS_AIR", "污染天应对", "大气环境处", "1", "1", "", "2025-06-04 11:00", "是", "是", "是"}, one[1])
	assert.Equal(t, []string{"YJS_LAW", "执法一件事", "执法总队", "1", "0", lawCode, "", "否", "否", "否", "1 个所需目录未归集；未登记场景账号"}, one[2])
}

// TestReportLowClearance: a principal cleared below the penalties gets figures without them, and
// no cell of any sheet names them.
func TestReportLowClearance(t *testing.T) {
	v := testView(t)
	p, err := v.Principal("air-app")
	require.NoError(t, err)
	f := write(t, v, Report{Principal: p, Now: reportNow, Targets: catalog.DefaultFigureTargets()})
	assert.Equal(t, []string{"数据归集率", "1", "2", "50.00%"}, rows(t, f, SheetOverview)[1][:4])
	assert.Equal(t, "账号 治气应用（air-app）可见的目录", rows(t, f, SheetOverview)[7][1])
	for _, sheet := range f.GetSheetList() {
		for _, r := range rows(t, f, sheet) {
			for _, c := range r {
				assert.NotContains(t, c, lawCode, sheet)
				assert.NotContains(t, c, lawName, sheet)
				assert.NotContains(t, c, "run-law", sheet)
				assert.NotEqual(t, "ENFORCEMENT", c, sheet)
			}
		}
	}
}

// TestReportLagBound: a hold-back list longer than the bound is cut, and says so.
func TestReportLagBound(t *testing.T) {
	f := write(t, testView(t), Report{Principal: catalog.Operator(), Now: reportNow, MaxLagRows: 1})
	lag := rows(t, f, SheetLagging)
	require.Len(t, lag, 3)
	assert.Equal(t, townCode, lag[1][0])
	assert.Contains(t, lag[2][0], "清单已截断: 未归集目录共 2 个, 此处只列出按信息资源代码排序的前 1 个")
}

// TestReportNobody: without a principal the workbook holds no figure of the directory.
func TestReportNobody(t *testing.T) {
	f := write(t, testView(t), Report{Now: reportNow})
	assert.Equal(t, []string{"数据归集率", "0", "0"}, rows(t, f, SheetOverview)[1][:3])
	assert.Len(t, rows(t, f, SheetLagging), 1)
}

// TestReportRows: the rows a door records in its audit are the figures' and lists' rows.
func TestReportRows(t *testing.T) {
	wb, err := Build(context.Background(), testView(t), Report{Principal: catalog.Operator(), Now: reportNow})
	require.NoError(t, err)
	defer wb.Close()
	// 4 figures; 2 departments, 2 districts, 2 domains, 2 source kinds; 2 lagging entries; 1
	// business item; 2 "一件事".
	assert.Equal(t, 17, wb.Rows())
	var buf bytes.Buffer
	_, err = wb.WriteTo(&buf)
	require.NoError(t, err)
	assert.Positive(t, buf.Len())
}
