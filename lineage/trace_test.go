package lineage

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

const (
	codeA = "0101/000001" // hourly readings, submitted by a district
	codeB = "0101/000002" // targets, pulled through a connection
	codeD = "0101/000003" // monthly average, derived from A and B
	codeE = "0101/000004" // report, derived from D
	codeH = "0101/000005" // important, derived from A: hidden from the analyst
)

var (
	admin   = catalog.Operator()
	analyst = &catalog.Principal{ID: "analyst-1", Name: "分析员甲", Role: catalog.RoleAnalyst, Clearance: schemas.General3}
	t0      = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
)

func entry(code, table, name string, items ...catalog.Item) *catalog.Entry {
	return &catalog.Entry{
		ResourceCode: code, Table: table, Name: name, CategoryCode: "0101",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB1534567X", Abstract: name,
		FormatType: "DATABASE", Items: catalog.ItemsOf(items...), ShareType: "UNCONDITIONAL", ShareMode: "TABLE",
		OpenType: "UNCONDITIONAL", SharingBasis: "《共享管理办法》", UpdateCycle: schemas.Daily, Status: catalog.StatusPublished,
		Department: "AIR_DIV", District: schemas.CityCode, SourceKind: "LOCAL_SYSTEM", Domains: []string{"AIR"},
	}
}

func item(field, name string, g schemas.Grade) catalog.Item {
	return catalog.Item{Name: name, Field: field, Type: schemas.String, Grade: g}
}

func src(code, field, via string) catalog.ColumnSource {
	return catalog.ColumnSource{Entry: code, Field: field, Via: via}
}

type fixture struct {
	t   *testing.T
	cat *catalog.Store
	now time.Time
}

func (f *fixture) load(code, run, snap, parent, kind, district, source string, inputs ...catalog.RunInput) {
	f.t.Helper()
	ctx := context.Background()
	var fp string // a derived run records the fingerprint of the SQL it ran
	if e, err := f.cat.View().Entry(code); err == nil && e.Transform != nil {
		fp = e.Transform.Fingerprint()
	}
	require.NoError(f.t, f.cat.BeginRun(ctx, catalog.Run{ID: run, Entry: code, Kind: kind, District: district, Source: source,
		Status: catalog.RunRunning, Transform: fp}))
	require.NoError(f.t, f.cat.CommitSnapshot(ctx,
		catalog.Snapshot{ID: snap, Entry: code, Parent: parent, ManifestKey: "m/" + snap, Rows: 1, Files: 1, Bytes: 1, CommittedAt: f.now},
		catalog.Run{ID: run, Status: catalog.RunSucceeded, RowsRead: 1, RowsAccepted: 1, Inputs: inputs}, parent))
}

// newFixture: A and B loaded, D made from their first snapshots and again after A's second,
// E made from D, H (important) made from A; D and E serve a scene.
func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	now := t0
	cat, err := catalog.Open(ctx, catalog.Config{Dir: t.TempDir(), Clock: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	f := &fixture{t: t, cat: cat, now: now}
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	require.NoError(t, cat.PutScene(ctx, admin, catalog.Scene{Code: "air_report", Name: "大气污染防治月报", Kind: catalog.SceneOneThing, Department: "AIR_DIV"}, 0))
	require.NoError(t, cat.PutEntry(ctx, entry(codeA, "air_hourly", "站点小时数据", item("district", "区县", schemas.General1), item("pm25", "PM2.5", schemas.General2))))
	require.NoError(t, cat.PutEntry(ctx, entry(codeB, "targets", "年度目标", item("district", "区县", schemas.General1), item("target", "目标值", schemas.General2))))
	d := entry(codeD, "monthly", "月均浓度", item("district", "区县", schemas.General1), item("avg_pm25", "月均PM2.5", schemas.General1), item("target", "目标值", schemas.General1))
	d.Transform = &catalog.Transform{SQL: "SELECT …", Inputs: []string{codeA, codeB},
		Columns: []catalog.DerivedColumn{
			{Field: "district", Sources: []catalog.ColumnSource{src(codeA, "district", catalog.ViaDirect)}},
			{Field: "avg_pm25", Sources: []catalog.ColumnSource{src(codeA, "pm25", catalog.ViaAggregate)}},
			{Field: "target", Sources: []catalog.ColumnSource{src(codeB, "target", catalog.ViaDirect)}},
		},
		Filters: []catalog.ColumnSource{src(codeB, "district", catalog.ViaFilter)}}
	d.Scenes = []string{"air_report"}
	require.NoError(t, cat.PutEntry(ctx, d))
	e := entry(codeE, "report", "月报", item("monthly_avg", "月均", schemas.General1))
	e.Transform = &catalog.Transform{SQL: "SELECT …", Inputs: []string{codeD},
		Columns: []catalog.DerivedColumn{{Field: "monthly_avg", Sources: []catalog.ColumnSource{src(codeD, "avg_pm25", catalog.ViaDirect)}}}}
	require.NoError(t, cat.PutEntry(ctx, e))
	h := entry(codeH, "important", "重要加工", item("pm25", "PM2.5", schemas.Important))
	h.Transform = &catalog.Transform{SQL: "SELECT …", Inputs: []string{codeA},
		Columns: []catalog.DerivedColumn{{Field: "pm25", Sources: []catalog.ColumnSource{src(codeA, "pm25", catalog.ViaDirect)}}}}
	require.NoError(t, cat.PutEntry(ctx, h))

	f.load(codeA, "run-a1", "snap-a1", "", runDistrictSubmission, "500103", "渝中区.xlsx")
	f.load(codeB, "run-b1", "snap-b1", "", runConnectorPull, "", "rest https://example.invalid/targets")
	f.load(codeD, "run-d1", "snap-d1", "", runDerived, "", "加工：月均浓度",
		catalog.RunInput{Entry: codeA, Snapshot: "snap-a1"}, catalog.RunInput{Entry: codeB, Snapshot: "snap-b1"})
	f.load(codeE, "run-e1", "snap-e1", "", runDerived, "", "加工：月报", catalog.RunInput{Entry: codeD, Snapshot: "snap-d1"})
	f.load(codeA, "run-a2", "snap-a2", "snap-a1", runDistrictSubmission, "500103", "渝中区-2.xlsx")
	f.load(codeD, "run-d2", "snap-d2", "snap-d1", runDerived, "", "加工：月均浓度",
		catalog.RunInput{Entry: codeA, Snapshot: "snap-a2"}, catalog.RunInput{Entry: codeB, Snapshot: "snap-b1"})
	f.load(codeA, "run-a3", "snap-a3", "snap-a2", runDistrictSubmission, "500103", "渝中区-3.xlsx")
	return f
}

func (f *fixture) trace(p *catalog.Principal, code string, o Options) *Graph {
	f.t.Helper()
	g, err := Trace(f.cat.View(), p, f.now, code, o)
	require.NoError(f.t, err)
	return g
}

func ids(g *Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.ID)
	}
	return out
}

func edges(g *Graph) []string {
	var out []string
	for _, e := range g.Edges {
		from, to := g.Ends(e)
		out = append(out, from+" → "+to+" ("+e.Kind+")")
	}
	return out
}

func node(t *testing.T, g *Graph, id string) Node {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("no node %s in %v", id, ids(g))
	return Node{}
}

func TestUpstreamTables(t *testing.T) {
	f := newFixture(t)
	g := f.trace(admin, codeE, Options{Direction: Upstream, Depth: 10})
	assert.Equal(t, "entry:"+codeE, g.Root)
	assert.ElementsMatch(t, []string{"entry:" + codeE, "entry:" + codeD, "entry:" + codeA, "entry:" + codeB,
		"source:district:500103", "source:connection:" + codeB}, ids(g))
	assert.ElementsMatch(t, []string{
		"entry:" + codeD + " → entry:" + codeE + " (derived)",
		"entry:" + codeA + " → entry:" + codeD + " (derived)",
		"entry:" + codeB + " → entry:" + codeD + " (derived)",
		"source:district:500103 → entry:" + codeA + " (load)",
		"source:connection:" + codeB + " → entry:" + codeB + " (load)",
	}, edges(g))
	// E was made from D's first snapshot, which was made from A's first: the lineage names the
	// data the number came from, not the newest.
	assert.Equal(t, "snap-d1", node(t, g, "entry:"+codeD).Snapshot)
	assert.Equal(t, "snap-a1", node(t, g, "entry:"+codeA).Snapshot)
	assert.Equal(t, "渝中区 报送", node(t, g, "source:district:500103").Name)
	assert.Equal(t, 2, node(t, g, "entry:"+codeA).Depth)

	// Depth bounds the walk.
	g = f.trace(admin, codeE, Options{Direction: Upstream, Depth: 1})
	assert.Equal(t, []string{"entry:" + codeE, "entry:" + codeD}, ids(g))

	// As of D's second snapshot, A's second.
	g = f.trace(admin, codeD, Options{Direction: Upstream, AsOf: "snap-d2"})
	assert.Equal(t, "snap-a2", node(t, g, "entry:"+codeA).Snapshot)
	g = f.trace(admin, codeD, Options{Direction: Upstream, AsOf: "snap-d1"})
	assert.Equal(t, "snap-a1", node(t, g, "entry:"+codeA).Snapshot)
}

func TestDownstreamTablesHideWhatThePrincipalCannotSee(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, []string{codeD, codeH}, f.cat.View().DerivedFrom(codeA), "in resource-code order")
	g := f.trace(admin, codeA, Options{Direction: Downstream, Depth: 10})
	assert.ElementsMatch(t, []string{"entry:" + codeA, "entry:" + codeD, "entry:" + codeH, "entry:" + codeE, "scene:air_report"}, ids(g))
	assert.Zero(t, g.Hidden)
	assert.Equal(t, "大气污染防治月报", node(t, g, "scene:air_report").Name)

	g = f.trace(analyst, codeA, Options{Direction: Downstream, Depth: 10})
	assert.ElementsMatch(t, []string{"entry:" + codeA, "entry:" + codeD, "entry:" + codeE, "scene:air_report"}, ids(g))
	assert.Equal(t, 1, g.Hidden, "H is important, above the analyst's clearance")

	_, err := Trace(f.cat.View(), analyst, f.now, codeH, Options{Direction: Upstream})
	require.ErrorIs(t, err, ErrNotFound, "an entry the principal cannot see is not found, as one that is not there")
}

func TestColumnLineage(t *testing.T) {
	f := newFixture(t)
	g := f.trace(admin, codeE, Options{Direction: Upstream, Level: ColumnLevel, Field: "monthly_avg", Depth: 10})
	assert.Equal(t, "column:"+codeE+".monthly_avg", g.Root)
	assert.ElementsMatch(t, []string{
		"column:" + codeD + ".avg_pm25 → column:" + codeE + ".monthly_avg (direct)",
		"column:" + codeA + ".pm25 → column:" + codeD + ".avg_pm25 (aggregate)",
		"column:" + codeB + ".district → column:" + codeD + ".avg_pm25 (filter)",
	}, edges(g))
	assert.Equal(t, "月均浓度.月均PM2.5", node(t, g, "column:"+codeD+".avg_pm25").Name)

	g = f.trace(analyst, codeB, Options{Direction: Downstream, Level: ColumnLevel, Field: "district", Depth: 10})
	// A filter reaches every output of D, and E's column through D's.
	assert.ElementsMatch(t, []string{
		"column:" + codeB + ".district → column:" + codeD + ".district (filter)",
		"column:" + codeB + ".district → column:" + codeD + ".avg_pm25 (filter)",
		"column:" + codeB + ".district → column:" + codeD + ".target (filter)",
		"column:" + codeD + ".avg_pm25 → column:" + codeE + ".monthly_avg (direct)",
	}, edges(g))

	_, err := Trace(f.cat.View(), admin, f.now, codeE, Options{Direction: Upstream, Level: ColumnLevel, Field: "nope"})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "没有信息项“nope”")
}

func TestTraceOptionsAreBounded(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Direction: "sideways"}, "方向应为"},
		{Options{Direction: Upstream, Level: "row"}, "层级应为"},
		{Options{Direction: Upstream, Depth: MaxDepth + 1}, "深度应在 1 到 20 之间"},
		{Options{Direction: Upstream, MaxNodes: MaxNodes + 1}, "节点数上限"},
		{Options{Direction: Downstream, AsOf: "snap-d1"}, "只适用于上游"},
		{Options{Direction: Upstream, AsOf: "snap-a1"}, "不是目录 0101/000003 的快照"},
	} {
		_, err := Trace(f.cat.View(), admin, f.now, codeD, c.o)
		require.ErrorIs(t, err, ErrInvalid, "%+v", c.o)
		assert.Contains(t, err.Error(), c.want)
	}
	g := f.trace(admin, codeA, Options{Direction: Downstream, Depth: 10, MaxNodes: 2})
	assert.Len(t, g.Nodes, 2)
	assert.True(t, g.Truncated)
}

func TestImpact(t *testing.T) {
	f := newFixture(t)
	im, err := ImpactOf(f.cat.View(), admin, f.now, codeA)
	require.NoError(t, err)
	assert.Nil(t, im.Lag, "A was loaded today")
	got := map[string]ImpactedEntry{}
	for _, e := range im.Entries {
		got[e.Code] = e
	}
	require.Len(t, got, 3)
	assert.True(t, got[codeD].Stale)
	assert.Contains(t, got[codeD].Reason, "输入 "+codeA+" 已有更新的数据")
	assert.True(t, got[codeE].Stale, "E reads D, which is stale")
	assert.Contains(t, got[codeE].Reason, "输入 "+codeD+" 未按时更新")
	assert.True(t, got[codeH].Stale, "H was never made")
	assert.Equal(t, []Ref{{Code: "air_report", Name: "大气污染防治月报", Kind: catalog.SceneOneThing}}, im.Scenes)
	assert.Equal(t, []FigureImpact{
		{Figure: FigureCollection, Name: "数据归集率", Entries: 4}, // A, D, E, H,
		{Figure: FigureOneThing, Name: "“一件事”上线运行率", Entries: 1},
	}, im.Figures)

	// B, loaded once and not since: days later it is late, and everything below it is stale.
	later, err := ImpactOf(f.cat.View(), analyst, f.now.Add(5*24*time.Hour), codeB)
	require.NoError(t, err)
	require.NotNil(t, later.Lag)
	for _, e := range later.Entries {
		assert.True(t, e.Stale, e.Code)
	}
	assert.Contains(t, later.Entries[0].Reason, "输入 "+codeB+" 未按时更新（数据已过期")
}

// TestLineageThroughExternalJobs: outside tools' jobs posted as OpenLineage events join the
// graph: upstream of A, the job that writes it and the external dataset it reads; downstream of
// E, the job that reads it and what it writes.
func TestLineageThroughExternalJobs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.cat.PutExternalJob(ctx, admin, catalog.ExternalJob{Namespace: "airflow://bureau", Name: "sync_hourly", LastRun: "r1",
		Inputs:  []catalog.DatasetRef{{Namespace: "postgres://plant", Name: "readings"}},
		Outputs: []catalog.DatasetRef{{Namespace: Namespace, Name: "air_hourly"}}})
	require.NoError(t, err)
	_, err = f.cat.PutExternalJob(ctx, admin, catalog.ExternalJob{Namespace: "spark://bi", Name: "monthly_report", LastRun: "r2",
		Inputs:  []catalog.DatasetRef{{Namespace: Namespace, Name: codeE}},
		Outputs: []catalog.DatasetRef{{Namespace: "file://bi", Name: "report.xlsx"}}})
	require.NoError(t, err)

	g := f.trace(admin, codeD, Options{Direction: Upstream, Depth: 5})
	assert.Subset(t, edges(g), []string{
		"job:airflow://bureau/sync_hourly → entry:" + codeA + " (writes)",
		"dataset:postgres://plant/readings → job:airflow://bureau/sync_hourly (reads)",
	})
	assert.Equal(t, "外部作业", KindNames[node(t, g, "job:airflow://bureau/sync_hourly").Kind])

	g = f.trace(admin, codeA, Options{Direction: Downstream, Depth: 5})
	assert.Subset(t, edges(g), []string{
		"entry:" + codeE + " → job:spark://bi/monthly_report (reads)",
		"job:spark://bi/monthly_report → dataset:file://bi/report.xlsx (writes)",
	})
}

// TestConsumersDownstream: the readers the audit reports stand downstream of an entry, and at
// column level only those that read the item.
func TestConsumersDownstream(t *testing.T) {
	f := newFixture(t)
	readers := func(code string) []Consumer {
		if code != codeD {
			return nil
		}
		return []Consumer{
			{Scene: "air_report_app", Principal: "app-1", Role: "scene", Requests: 9, Items: []string{"monthly.avg_pm25"}},
			{Principal: "analyst-1", Role: "analyst", Requests: 1, Items: []string{"monthly.district"}},
		}
	}
	g := f.trace(admin, codeD, Options{Direction: Downstream, Consumers: readers})
	assert.Subset(t, edges(g), []string{
		"entry:" + codeD + " → consumer:scene:air_report_app (consumed)",
		"entry:" + codeD + " → consumer:principal:analyst-1 (consumed)",
	})
	g = f.trace(admin, codeD, Options{Direction: Downstream, Level: ColumnLevel, Field: "avg_pm25", Consumers: readers})
	assert.Contains(t, edges(g), "column:"+codeD+".avg_pm25 → consumer:scene:air_report_app (consumed)")
	assert.NotContains(t, ids(g), "consumer:principal:analyst-1")
	g = f.trace(admin, codeD, Options{Direction: Downstream})
	assert.NotContains(t, ids(g), "consumer:scene:air_report_app", "no consumers without the audit")
}

// TestImpactOfDistrict: what breaks if 渝中区 is late — its entry, never loaded, and what is
// derived from it; a district that is not Chongqing's is refused.
func TestImpactOfDistrict(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	z := entry("0101/000020", "yz_outfalls", "渝中区排污口", item("outfall", "排污口", schemas.General1))
	z.District = "500103"
	require.NoError(t, f.cat.PutEntry(ctx, z))
	zd := entry("0101/000021", "yz_outfall_count", "渝中区排污口数", item("outfall", "排污口", schemas.General1))
	zd.Transform = &catalog.Transform{SQL: "SELECT …", Inputs: []string{z.ResourceCode},
		Columns: []catalog.DerivedColumn{{Field: "outfall", Sources: []catalog.ColumnSource{src(z.ResourceCode, "outfall", catalog.ViaDirect)}}}}
	require.NoError(t, f.cat.PutEntry(ctx, zd))

	im, err := ImpactOfDistrict(f.cat.View(), admin, f.now, "渝中区")
	require.NoError(t, err)
	assert.Equal(t, "district:500103", im.Root)
	assert.Equal(t, []ImpactedEntry{
		{Code: z.ResourceCode, Name: "渝中区排污口", Depth: 0, Stale: true, Reason: "从未归集"},
		{Code: zd.ResourceCode, Name: "渝中区排污口数", Depth: 1, Stale: true, Reason: "输入 0101/000020 未按时更新（从未归集）"},
	}, im.Entries)
	assert.Equal(t, []FigureImpact{{Figure: FigureCollection, Name: "数据归集率", Entries: 2}}, im.Figures)

	_, err = ImpactOfDistrict(f.cat.View(), admin, f.now, "火星区")
	require.ErrorIs(t, err, ErrInvalid)
}

// A graph returned is the caller's: the traversals after it, which work in the same buffers, leave
// it as it was.
func TestGraphsOutliveTheirTraversal(t *testing.T) {
	f := newFixture(t)
	up := f.trace(admin, codeE, Options{Direction: Upstream})
	cols := f.trace(admin, codeE, Options{Direction: Upstream, Level: ColumnLevel})
	want, wantCols := *up, *cols
	want.Nodes, want.Edges = slices.Clone(up.Nodes), slices.Clone(up.Edges)
	wantCols.Nodes, wantCols.Edges = slices.Clone(cols.Nodes), slices.Clone(cols.Edges)
	for range 20 {
		f.trace(admin, codeA, Options{Direction: Downstream})
		f.trace(admin, codeA, Options{Direction: Downstream, Level: ColumnLevel})
	}
	assert.Equal(t, want, *up)
	assert.Equal(t, wantCols, *cols)
	assert.Equal(t, want, *f.trace(admin, codeE, Options{Direction: Upstream}), "the same walk again gives the same graph")
	assert.NotEmpty(t, up.Edges)
}
