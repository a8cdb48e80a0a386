package app

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/report"
	"github.com/cqeco/ecolake/schemas"
)

// figuresEnv is a data directory whose catalogue registered, at about start: the hourly data
// (不定时, loaded), a district's daily report (never loaded) and the penalties (Important, never
// loaded, hidden from the steward zhang); a business item and a "一件事" served by the hourly
// data, whose scene account queried an hour before the figures' time, three days and an hour
// after start. The catalogue stamps its commands with the wall clock; the figures' clock is
// fixed after them.
func figuresEnv(t *testing.T) (Config, time.Time) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	a, cfg, _ := airSteward(t, schemas.General2)
	require.NoError(t, a.Cat.PutDepartment(ctx, catalog.Department{Code: "DIV_LAW", Name: "执法总队", Kind: catalog.DepartmentCorps}))
	require.NoError(t, a.Cat.CreatePrincipal(ctx, catalog.Principal{ID: "air-app", Name: "治气应用", Role: catalog.RoleScene, Clearance: schemas.General2}))
	op := catalog.Operator()
	require.NoError(t, a.Cat.PutBusinessItem(ctx, op, catalog.BusinessItem{Code: "YW_AIR", Name: "空气质量监测", Department: "DIV_AIR"}, 0))
	require.NoError(t, a.Cat.PutScene(ctx, op, catalog.Scene{Code: "YJS_AIR", Name: "污染天应对", Kind: catalog.SceneOneThing,
		Department: "DIV_AIR", Accounts: []string{"air-app"}}, 0))
	entry := func(code, table, name, dept, district string, g schemas.Grade) *catalog.Entry {
		return &catalog.Entry{ResourceCode: code, Table: table, Name: name, CategoryCode: "0101",
			ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: name, FormatType: "DATABASE",
			ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "UNCONDITIONAL", UpdateCycle: schemas.Daily,
			Status: catalog.StatusPublished, Department: dept, District: district, SourceKind: "LOCAL_SYSTEM", Domains: []string{"AIR"},
			Items: catalog.ItemsOf(catalog.Item{Name: "值", Field: "v", Type: schemas.Float, Grade: g})}
	}
	hourly := entry("0101/000001", "hourly", "小时数据", "DIV_AIR", schemas.CityCode, schemas.General1)
	hourly.UpdateCycle, hourly.BusinessItems, hourly.Scenes = schemas.Irregular, []string{"YW_AIR"}, []string{"YJS_AIR"}
	daily := entry("0101/000002", "district_daily", "区县日报", "DIV_AIR", "500101", schemas.General1)
	daily.BusinessItems = []string{"YW_AIR"}
	for _, e := range []*catalog.Entry{hourly, daily, entry("0101/000003", "penalties", "处罚案卷", "DIV_LAW", schemas.CityCode, schemas.Important)} {
		require.NoError(t, a.Cat.PutEntry(ctx, e))
	}
	run := catalog.Run{ID: "run-hourly", Entry: "0101/000001", Kind: "test", Source: "test", Status: catalog.RunRunning}
	require.NoError(t, a.Cat.BeginRun(ctx, run))
	run.Status, run.RowsRead, run.RowsAccepted = catalog.RunSucceeded, 1, 1
	require.NoError(t, a.Cat.CommitSnapshot(ctx, catalog.Snapshot{ID: "snap-hourly", Entry: "0101/000001", Run: "run-hourly",
		ManifestKey: "m/hourly.json", Rows: 1, Files: 1, SchemaVersion: 1}, run, ""))
	require.NoError(t, a.Close())

	now := start.Add(73 * time.Hour)
	al, err := audit.Open(cfg.auditDir(), 0, nil)
	require.NoError(t, err)
	require.NoError(t, al.Record(audit.Event{At: now.Add(-time.Hour), Principal: "air-app", Role: catalog.RoleScene, Scene: "air-app",
		Entries: []string{"0101/000001"}, Outcome: audit.OutcomeOK}))
	require.NoError(t, al.Close())
	figuresClock = func() time.Time { return now }
	t.Cleanup(func() { figuresClock = time.Now })
	return cfg, now
}

// TestFiguresCommand: the three figures against the targets, 数据归集率 by department and
// district, and the hold-back list, as the operator and as a steward cleared below the
// penalties.
func TestFiguresCommand(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg, now := figuresEnv(t)

	var out bytes.Buffer
	require.Equal(t, ExitOK, RunFigures(ctx, cfg, FiguresArgs{Lagging: DefaultFiguresLagging}, &out, log), out.String())
	s := out.String()
	assert.Contains(t, s, "管理指标（统计时间 "+now.In(audit.Zone).Format("2006-01-02 15:04")+"，本地运维: 全部目录）")
	assert.Regexp(t, `指标\s+分子\s+分母\s+比率\s+目标\s+是否达标`, s)
	assert.Regexp(t, `数据归集率\s+1\s+3\s+33\.33%\s+90\.00%\s+未达标`, s)
	assert.Regexp(t, `信息项归集率\s+1\s+3\s+33\.33%\s+—\s+—`, s)
	assert.Regexp(t, `业务事项覆盖率\s+1\s+1\s+100\.00%\s+70\.00%\s+达标`, s)
	assert.Regexp(t, `“一件事”上线运行率\s+1\s+1\s+100\.00%\s+80\.00%\s+达标`, s, "the scene account's query an hour ago counts")
	assert.Regexp(t, `数据归集率 按责任处室\n代码\s+名称\s+已归集\s+应归集\s+归集率\nDIV_AIR\s+大气处\s+1\s+2\s+50\.00%\nDIV_LAW\s+执法总队\s+0\s+1\s+0\.00%`, s)
	assert.Regexp(t, `数据归集率 按区县\n代码\s+名称\s+已归集\s+应归集\s+归集率\n500000\s+重庆市\s+1\s+2\s+50\.00%\n500101\s+万州区\s+0\s+1\s+0\.00%`, s)
	assert.Contains(t, s, "未归集清单（共 2 个，显示前 2 个）")
	assert.Regexp(t, `0101/000002\s+区县日报\s+从未归集\s+大气处\s+万州区\s+3\s+0101/000003\s+处罚案卷\s+从未归集\s+执法总队\s+重庆市\s+3`, s)

	out.Reset()
	require.Equal(t, ExitOK, RunFigures(ctx, cfg, FiguresArgs{As: "zhang", Lagging: 1}, &out, log), out.String())
	s = out.String()
	assert.Contains(t, s, "账号 张数据（zhang） 可见的目录")
	assert.Regexp(t, `数据归集率\s+1\s+2\s+50\.00%\s+90\.00%\s+未达标`, s)
	assert.NotContains(t, s, "0101/000003")
	assert.NotContains(t, s, "处罚案卷")
	assert.NotContains(t, s, "DIV_LAW", "no breakdown of a department whose entries zhang cannot see")
	assert.Contains(t, s, "未归集清单（共 1 个，显示前 1 个）")

	// Targets are configuration.
	cfg.Targets.Collection = 0.3
	out.Reset()
	require.Equal(t, ExitOK, RunFigures(ctx, cfg, FiguresArgs{Lagging: 1}, &out, log), out.String())
	assert.Regexp(t, `数据归集率\s+1\s+3\s+33\.33%\s+30\.00%\s+达标`, out.String())
	assert.Contains(t, out.String(), "另有 1 个未列出: 用 --lagging 2 显示全部")
	cfg.Targets.Coverage = 1.5
	out.Reset()
	assert.Equal(t, ExitFailed, RunFigures(ctx, cfg, FiguresArgs{}, &out, log))
	assert.Contains(t, out.String(), "coverage target 1.5 must be between 0 and 1")
}

// TestFiguresCommandWorkbook: --xlsx writes the monthly workbook over what the principal sees.
func TestFiguresCommandWorkbook(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg, _ := figuresEnv(t)
	for _, c := range []struct {
		as      string
		lagRows int
	}{{"", 3}, {"zhang", 2}} {
		file := filepath.Join(t.TempDir(), "月度报表.xlsx")
		var out bytes.Buffer
		require.Equal(t, ExitOK, RunFigures(ctx, cfg, FiguresArgs{As: c.as, XLSX: file}, &out, log), out.String())
		assert.Contains(t, out.String(), "已写出月度报表 → "+file)
		f, err := excelize.OpenFile(file)
		require.NoError(t, err)
		assert.Equal(t, report.SheetOverview, f.GetSheetList()[0])
		lag, err := f.GetRows(report.SheetLagging)
		require.NoError(t, err)
		assert.Len(t, lag, c.lagRows, c.as)
		assert.Equal(t, []string{"0101/000002", "区县日报", "大气处", "万州区", "从未归集"}, lag[1][:5])
		one, err := f.GetRows(report.SheetOneThing)
		require.NoError(t, err)
		assert.Equal(t, []string{"YJS_AIR", "污染天应对", "大气处", "1", "1", "", one[1][6], "是", "是", "是"}, one[1])
		require.NoError(t, f.Close())
	}
	out := &bytes.Buffer{}
	assert.Equal(t, ExitFailed, RunFigures(ctx, cfg, FiguresArgs{XLSX: filepath.Join(t.TempDir(), "无此目录", "a.xlsx")}, out, log))
	assert.Contains(t, out.String(), "错误: 无法写入")
}

// TestFiguresCommandHistory: --days adds the trend of the days kept, --day prints one day's
// figures and the entries that held 数据归集率 back that day, each as the principal's clearance
// sees the day.
func TestFiguresCommandHistory(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg, now := figuresEnv(t)
	day := now.In(audit.Zone).AddDate(0, 0, -1).Format(time.DateOnly)
	a, err := Open(ctx, cfg, log, false)
	require.NoError(t, err)
	fd, detail := a.Cat.View().TakeFigures(day, now.Add(-2*time.Hour), nil)
	require.NoError(t, a.Cat.RecordFigures(ctx, fd, detail))
	require.NoError(t, a.Close())

	var out bytes.Buffer
	require.Equal(t, ExitOK, RunFigures(ctx, cfg, FiguresArgs{Days: 14}, &out, log), out.String())
	assert.Contains(t, out.String(), "近 14 天的逐日指标（共记录 1 天）")
	assert.Regexp(t, day+`\s+33\.33%（1/3）\s+100\.00%（1/1）\s+0\.00%（0/1）\s+当日取数`, out.String(), "no scene use was given that day")

	out.Reset()
	require.Equal(t, ExitOK, RunFigures(ctx, cfg, FiguresArgs{Day: day}, &out, log), out.String())
	assert.Contains(t, out.String(), day+" 的管理指标（当日取数，本地运维: 全部目录）")
	assert.Contains(t, out.String(), "当日未归集的目录 2 个")
	assert.Regexp(t, `0101/000003\s+处罚案卷\s+从未归集\s+DIV_LAW`, out.String())

	out.Reset()
	require.Equal(t, ExitOK, RunFigures(ctx, cfg, FiguresArgs{As: "zhang", Day: day}, &out, log), out.String())
	assert.Contains(t, out.String(), "当日未归集的目录 1 个")
	assert.NotContains(t, out.String(), "0101/000003")

	out.Reset()
	assert.Equal(t, ExitFailed, RunFigures(ctx, cfg, FiguresArgs{Day: "2020-01-01"}, &out, log))
	assert.Contains(t, out.String(), "没有 2020-01-01 的指标记录")
	out.Reset()
	assert.Equal(t, ExitFailed, RunFigures(ctx, cfg, FiguresArgs{Days: 1000}, &out, log))
	assert.Contains(t, out.String(), "--days 应在 0 到 400 之间")
}
