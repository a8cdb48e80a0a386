package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// withDerived adds two derived entries to the fixture: a daily average from the air readings
// (一般2级, as its input) and an important one joining them with the penalties.
func withDerived(t *testing.T, f *fixture) (daily, joined string) {
	t.Helper()
	d := baseEntry("0101/000009", "air_daily", "空气质量日均值", []catalog.Item{
		{Name: "站点", Field: "station", Type: schemas.String, IsKey: true, Grade: schemas.General1},
		{Name: "日均PM2.5", Field: "pm25_avg", Type: schemas.Float, Grade: schemas.General1},
	})
	d.Transform = &catalog.Transform{SQL: "SELECT station, avg(pm25) AS pm25_avg FROM air_station_hourly GROUP BY station",
		Inputs: []string{airCode},
		Columns: []catalog.DerivedColumn{
			{Field: "station", Sources: []catalog.ColumnSource{{Entry: airCode, Field: "station", Via: catalog.ViaDirect}}},
			{Field: "pm25_avg", Sources: []catalog.ColumnSource{{Entry: airCode, Field: "pm25", Via: catalog.ViaAggregate}}},
		},
		Filters: []catalog.ColumnSource{{Entry: airCode, Field: "station", Via: catalog.ViaGroup}}}
	require.NoError(t, f.cat.PutEntry(f.ctx, d))
	j := baseEntry("0101/000010", "air_penalty", "空气与处罚", []catalog.Item{
		{Name: "站点", Field: "station", Type: schemas.String, Grade: schemas.General1},
		{Name: "罚款金额", Field: "amount", Type: schemas.Int, Grade: schemas.General1},
	})
	j.Transform = &catalog.Transform{SQL: "SELECT …", Inputs: []string{airCode, penaltyCode},
		Columns: []catalog.DerivedColumn{
			{Field: "station", Sources: []catalog.ColumnSource{{Entry: airCode, Field: "station", Via: catalog.ViaDirect}}},
			{Field: "amount", Sources: []catalog.ColumnSource{{Entry: penaltyCode, Field: "amount", Via: catalog.ViaDirect}}},
		}}
	require.NoError(t, f.cat.PutEntry(f.ctx, j))
	return d.ResourceCode, j.ResourceCode
}

// mustDoVars is fixture.do that fails the test on an error.
func mustDoVars(t *testing.T, f *fixture, id, query string, vars map[string]any) map[string]any {
	t.Helper()
	data, errs := f.do(id, query, vars)
	require.Empty(t, errs)
	return data
}

func TestLineageThroughGraphQL(t *testing.T) {
	f := newFixture(t)
	daily, joined := withDerived(t, f)
	const q = `query($e: String!, $d: String!, $l: String) { lineage(entry: $e, direction: $d, level: $l, depth: 3) {
		root nodes { id kind kindName entry field name depth } edges { from to kind kindName } hidden truncated } }`

	// The steward sees both entries derived from the readings; the joined one is graded
	// important (its amount comes from an important item), so the scene account does not.
	data := mustDoVars(t, f, hiPrincipal, q, map[string]any{"e": airCode, "d": "downstream"})
	g := data["lineage"].(map[string]any)
	assert.Len(t, g["nodes"], 3)
	assert.EqualValues(t, 0, g["hidden"])
	data = mustDoVars(t, f, lowPrincipal, q, map[string]any{"e": "air_station_hourly", "d": "downstream"})
	g = data["lineage"].(map[string]any)
	assert.Equal(t, "entry:"+airCode, g["root"])
	assert.Equal(t, []any{
		map[string]any{"id": "entry:" + airCode, "kind": "entry", "kindName": "目录", "entry": airCode, "field": nil, "name": "空气质量监测站小时数据", "depth": float64(0)},
		map[string]any{"id": "entry:" + daily, "kind": "entry", "kindName": "目录", "entry": daily, "field": nil, "name": "空气质量日均值", "depth": float64(1)},
	}, g["nodes"])
	assert.Equal(t, []any{map[string]any{"from": "entry:" + airCode, "to": "entry:" + daily, "kind": "derived", "kindName": "加工输入"}}, g["edges"])
	assert.EqualValues(t, 1, g["hidden"])

	// An entry the account cannot see is not found, as one that does not exist.
	_, errs := f.do(lowPrincipal, q, map[string]any{"e": joined, "d": "upstream"})
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "目录资源不存在或无权访问")

	// Column level, and a refused option.
	data = mustDoVars(t, f, lowPrincipal, q, map[string]any{"e": daily, "d": "upstream", "l": "column"})
	g = data["lineage"].(map[string]any)
	assert.Contains(t, g["edges"], map[string]any{"from": "column:" + airCode + ".pm25", "to": "column:" + daily + ".pm25_avg", "kind": "aggregate", "kindName": "汇总"})
	_, errs = f.do(lowPrincipal, q, map[string]any{"e": daily, "d": "sideways"})
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "方向应为")
}

func TestImpactThroughGraphQL(t *testing.T) {
	f := newFixture(t)
	daily, _ := withDerived(t, f)
	data := f.mustDo(lowPrincipal, `{ impact(entry: "`+airCode+`") { entry late entries { entry stale reason } figures { figure entries } hidden } }`)
	im := data["impact"].(map[string]any)
	assert.Equal(t, airCode, im["entry"])
	assert.Equal(t, []any{map[string]any{"entry": daily, "stale": true, "reason": "尚未加工生成"}}, im["entries"])
	assert.EqualValues(t, 1, im["hidden"])
	assert.Contains(t, im["figures"], map[string]any{"figure": "collection_rate", "entries": float64(2)})

	data = f.mustDo(hiPrincipal, `{ impact(district: "市级") { entry entries { entry depth } } }`)
	im = data["impact"].(map[string]any)
	assert.Equal(t, "district:500000", im["entry"])
	assert.Contains(t, im["entries"], map[string]any{"entry": airCode, "depth": float64(0)}, "a city-level entry")
	_, errs := f.do(hiPrincipal, `{ impact(entry: "`+airCode+`", district: "市级") { entry } }`, nil)
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "entry 与 district 须给出且只给出一个")
}

// TestTransformThroughGraphQL: a steward registers a derived entry by its SQL; the inputs and
// column sources come from the SQL, the items from the outputs, graded as their inputs. A table
// the steward cannot read whole (the penalties hold a masked complainant) is unknown to the SQL.
func TestTransformThroughGraphQL(t *testing.T) {
	f := newWorkflowFixture(t)
	const create = `mutation($sql: String) { createEntry(input: {name: "站点日均", category: "0101", department: "AIR_DIV", transform: $sql}) {
		resourceCode items { field name type grade { id } } } }`
	data := f.ok(stewardAir, create, map[string]any{"sql": "SELECT station, avg(pm25) AS pm25_avg FROM air_station_hourly GROUP BY station"})
	e := data["createEntry"].(map[string]any)
	assert.Equal(t, []any{
		map[string]any{"field": "station", "name": "站点", "type": "STRING", "grade": map[string]any{"id": "GENERAL_1"}},
		map[string]any{"field": "pm25_avg", "name": "pm25_avg", "type": "STRING", "grade": map[string]any{"id": "GENERAL_2"}},
	}, e["items"])
	stored, err := f.cat.View().Entry(e["resourceCode"].(string))
	require.NoError(t, err)
	require.NotNil(t, stored.Transform)
	assert.Equal(t, []string{airCode}, stored.Transform.Inputs)
	assert.Equal(t, []catalog.ColumnSource{{Entry: airCode, Field: "pm25", Via: catalog.ViaAggregate}}, stored.Transform.Columns[1].Sources)

	err2 := f.refused(stewardAir, "INVALID", create, map[string]any{"sql": "SELECT company FROM enterprise_penalty"})
	assert.Contains(t, problemFields(err2)["transform"], "enterprise_penalty")
	err2 = f.refused(stewardAir, "INVALID", create, map[string]any{"sql": "SELECT * FROM read_csv('/etc/passwd')"})
	assert.Contains(t, problemFields(err2)["transform"], "read_csv")
}

// TestTransformShownOnlyWithItsInputs: the SQL names its input tables, so a reader who cannot
// see one of them (a district account, an input of another district) gets null.
func TestTransformShownOnlyWithItsInputs(t *testing.T) {
	f := newWorkflowFixture(t)
	in := baseEntry("0101/000020", "jb_hourly", "江北区小时数据", []catalog.Item{
		{Name: "站点", Field: "station", Type: schemas.String, IsKey: true, Grade: schemas.General1}})
	in.District = "500105"
	require.NoError(t, f.cat.PutEntry(f.ctx, in))
	d := baseEntry("0101/000021", "jb_stations", "江北区站点", []catalog.Item{
		{Name: "站点", Field: "station", Type: schemas.String, IsKey: true, Grade: schemas.General1}})
	d.Transform = &catalog.Transform{SQL: "SELECT DISTINCT station FROM jb_hourly", Inputs: []string{in.ResourceCode},
		Columns: []catalog.DerivedColumn{{Field: "station", Sources: []catalog.ColumnSource{{Entry: in.ResourceCode, Field: "station", Via: catalog.ViaDirect}}}}}
	require.NoError(t, f.cat.PutEntry(f.ctx, d))
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "yz-app", Name: "渝中区应用", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500103"}}))
	const q = `{ entry(code: "0101/000021") { name transform } }`
	assert.Equal(t, d.Transform.SQL, f.ok(stewardAir, q, nil)["entry"].(map[string]any)["transform"])
	got := f.ok("yz-app", q, nil)["entry"].(map[string]any)
	assert.Equal(t, "江北区站点", got["name"], "the city-level entry is visible")
	assert.Nil(t, got["transform"], "its input, 江北区's, is not")
}

// TestLineageShowsConsumersToAuditReaders: a scene account's read, recorded in the audit, shows
// the account downstream of the entry to a steward (who may read the audit), not to the scene.
func TestLineageShowsConsumersToAuditReaders(t *testing.T) {
	f := newFixture(t)
	f.mustDo(lowPrincipal, `{ air_station_hourly(limit: 1) { station pm25 } }`)
	const q = `{ lineage(entry: "0101/000001", direction: "downstream") { nodes { id kind } edges { from to kind } } }`
	g := f.mustDo(hiPrincipal, q)["lineage"].(map[string]any)
	assert.Contains(t, g["edges"], map[string]any{"from": "entry:" + airCode, "to": "consumer:scene:" + lowPrincipal, "kind": "consumed"})
	g = f.mustDo(lowPrincipal, q)["lineage"].(map[string]any)
	for _, n := range g["nodes"].([]any) {
		assert.NotEqual(t, "consumer", n.(map[string]any)["kind"], "the audit is not the scene account's to read")
	}
}
