package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestLineageCommands: upstream at table and column level, downstream, and impact, as the
// operator and as a steward whose clearance hides the important derived entry.
func TestLineageCommands(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	a, cfg, _ := airSteward(t, schemas.General2)
	entry := func(code, table, name string, items ...catalog.Item) *catalog.Entry {
		return &catalog.Entry{ResourceCode: code, Table: table, Name: name, CategoryCode: "0101",
			ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: name, FormatType: "DATABASE",
			ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "UNCONDITIONAL", SharingBasis: "办法",
			UpdateCycle: schemas.Daily, Status: catalog.StatusPublished, Department: "DIV_AIR", District: schemas.CityCode,
			SourceKind: "LOCAL_SYSTEM", Domains: []string{"AIR"}, Items: catalog.ItemsOf(items...)}
	}
	it := func(field, name string, g schemas.Grade) catalog.Item {
		return catalog.Item{Name: name, Field: field, Type: schemas.Float, Grade: g}
	}
	require.NoError(t, a.Cat.PutEntry(ctx, entry("0101/000001", "hourly", "小时数据", it("pm25", "PM2.5", schemas.General2))))
	require.NoError(t, a.Cat.PutEntry(ctx, entry("0101/000004", "penalties", "处罚", it("fine", "罚款", schemas.Important))))
	d := entry("0101/000002", "daily", "日均数据", it("pm25_avg", "日均PM2.5", schemas.General1))
	d.Transform = &catalog.Transform{SQL: "SELECT avg(pm25) AS pm25_avg FROM hourly", Inputs: []string{"0101/000001"},
		Columns: []catalog.DerivedColumn{{Field: "pm25_avg", Sources: []catalog.ColumnSource{{Entry: "0101/000001", Field: "pm25", Via: catalog.ViaAggregate}}}}}
	require.NoError(t, a.Cat.PutEntry(ctx, d))
	h := entry("0101/000003", "fines", "罚款汇总", it("total", "合计", schemas.General1))
	h.Transform = &catalog.Transform{SQL: "SELECT sum(fine) AS total FROM hourly, penalties", Inputs: []string{"0101/000001", "0101/000004"},
		Columns: []catalog.DerivedColumn{{Field: "total", Sources: []catalog.ColumnSource{{Entry: "0101/000004", Field: "fine", Via: catalog.ViaAggregate}}}},
		Filters: []catalog.ColumnSource{{Entry: "0101/000001", Field: "pm25", Via: catalog.ViaFilter}}}
	require.NoError(t, a.Cat.PutEntry(ctx, h))
	// A scene's query of the hourly data, in the audit the service keeps; an analyst who may not
	// read the audit.
	al, err := audit.Open(cfg.auditDir(), 0, nil)
	require.NoError(t, err)
	require.NoError(t, al.Record(audit.Event{Principal: "air-app", Role: "scene", Scene: "air_app", Entries: []string{"0101/000001"},
		Items: []string{"hourly.pm25"}, Outcome: audit.OutcomeOK}))
	require.NoError(t, al.Close())
	require.NoError(t, a.Cat.CreatePrincipal(ctx, catalog.Principal{ID: "wang", Name: "王分析", Role: catalog.RoleAnalyst,
		Clearance: schemas.General2, Department: "DIV_AIR"}))
	require.NoError(t, a.Close())

	var out bytes.Buffer
	require.Equal(t, ExitOK, RunLineage(ctx, cfg, LineageArgs{Entry: "daily", Direction: "upstream", Level: "column"}, &out, log), out.String())
	assert.Contains(t, out.String(), "0101/000002 日均数据 的上游血缘: 2 个节点, 1 条关系")
	assert.Regexp(t, `column:0101/000001\.pm25\s+column:0101/000002\.pm25_avg\s+汇总`, out.String())

	out.Reset()
	require.Equal(t, ExitOK, RunLineage(ctx, cfg, LineageArgs{Entry: "0101/000001", Direction: "downstream"}, &out, log), out.String())
	assert.Contains(t, out.String(), "entry:0101/000003")
	assert.Regexp(t, `entry:0101/000001\s+consumer:scene:air_app\s+查询使用`, out.String(), "readers from the audit")
	out.Reset()
	require.Equal(t, ExitOK, RunLineage(ctx, cfg, LineageArgs{As: "wang", Entry: "0101/000001", Direction: "downstream"}, &out, log), out.String())
	assert.Contains(t, out.String(), "entry:0101/000002")
	assert.NotContains(t, out.String(), "air_app", "no readers for who may not read the audit")
	out.Reset()
	require.Equal(t, ExitOK, RunLineage(ctx, cfg, LineageArgs{As: "zhang", Entry: "0101/000001", Direction: "downstream"}, &out, log), out.String())
	assert.NotContains(t, out.String(), "entry:0101/000003", "graded important by its input, above the steward's clearance")
	assert.Contains(t, out.String(), "另有 1 个无权查看的关联目录未展开")

	out.Reset()
	require.Equal(t, ExitOK, RunImpact(ctx, cfg, LineageArgs{As: "zhang", Entry: "hourly"}, &out, log), out.String())
	assert.Contains(t, out.String(), "下游目录 1 个, 其中 1 个当前过期")
	assert.Contains(t, out.String(), "本目录未按时归集: 从未归集")
	assert.Contains(t, out.String(), "过期: 输入 0101/000001 未按时更新（从未归集）")
	assert.Contains(t, out.String(), "管理指标: 数据归集率")
	out.Reset()
	require.Equal(t, ExitOK, RunImpact(ctx, cfg, LineageArgs{District: "市级"}, &out, log), out.String())
	assert.Contains(t, out.String(), "区县 市级 报送 的影响分析")
	assert.Contains(t, out.String(), "0101/000001")

	out.Reset()
	assert.Equal(t, ExitFailed, RunLineage(ctx, cfg, LineageArgs{As: "zhang", Entry: "0101/000003", Direction: "upstream"}, &out, log))
	assert.Contains(t, out.String(), "错误: 未能查询血缘")
	out.Reset()
	assert.Equal(t, ExitFailed, RunLineage(ctx, cfg, LineageArgs{Entry: "daily", Direction: "up", Depth: 3}, &out, log))
	assert.Contains(t, out.String(), "方向应为")
}

// TestMaterialiseCommand: `ecolake materialise` makes a derived entry's snapshot from its input,
// then says there is nothing to do; a principal who may not load it is refused.
func TestMaterialiseCommand(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := grantSetup(t)
	a, err := Open(ctx, cfg, log, false)
	require.NoError(t, err)
	_, err = a.Ingest.Submit(ctx, ingestAsOperator(grantEntryCode, "", "排污口,联系电话\nK1,13800138000\nK2,13900139000\n"))
	require.NoError(t, err)
	src, err := a.Cat.View().Entry(grantEntryCode)
	require.NoError(t, err)
	d := src.Copy()
	d.ResourceCode, d.Table, d.Name, d.CurrentSnapshot = "0101/000002", "outfall_count", "排污口数量", ""
	d.Items = catalog.ItemsOf(catalog.Item{Name: "数量", Field: "outfalls", Type: schemas.Int, Grade: schemas.General1})
	d.Transform = &catalog.Transform{SQL: "SELECT count(*) AS outfalls FROM outfall_contacts", Inputs: []string{grantEntryCode},
		Columns: []catalog.DerivedColumn{{Field: "outfalls"}}}
	require.NoError(t, a.Cat.PutEntry(ctx, d))
	require.NoError(t, a.Close())

	var out bytes.Buffer
	assert.Equal(t, ExitFailed, RunMaterialise(ctx, cfg, ConnectionArgs{As: "yjs", Entry: "0101/000002"}, &out, log))
	assert.Contains(t, out.String(), "加工失败")
	out.Reset()
	require.Equal(t, ExitOK, RunMaterialise(ctx, cfg, ConnectionArgs{Entry: "0101/000002"}, &out, log), out.String())
	assert.Contains(t, out.String(), "0101/000002 排污口数量")
	assert.Contains(t, out.String(), "加工输入："+grantEntryCode+" 快照 "+src.CurrentSnapshot)
	out.Reset()
	require.Equal(t, ExitOK, RunMaterialise(ctx, cfg, ConnectionArgs{Entry: "0101/000002"}, &out, log), out.String())
	assert.Contains(t, out.String(), "输入未变化")
}

// TestIngestCommandCapturesLineage: a file loaded by `ecolake ingest` stands upstream of its
// entry as its source, named by the file.
func TestIngestCommandCapturesLineage(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := grantSetup(t)
	file := filepath.Join(t.TempDir(), "排污口联系人.csv")
	require.NoError(t, os.WriteFile(file, []byte("排污口,联系电话\nK1,13800138000\n"), 0o600))
	var out bytes.Buffer
	require.Equal(t, ExitOK, RunIngest(ctx, cfg, IngestArgs{Entry: grantEntryCode, File: file}, &out, log), out.String())
	out.Reset()
	require.Equal(t, ExitOK, RunLineage(ctx, cfg, LineageArgs{Entry: grantEntryCode, Direction: "upstream"}, &out, log), out.String())
	assert.Regexp(t, `source:file:排污口联系人\.csv\s+entry:0101/000001\s+归集`, out.String())
}
