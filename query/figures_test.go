package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// figuresNow is the figures' time in these tests: ten days after the fixture registered its
// entries, so that the entries never loaded have held the figure back for ten whole days.
var figuresNow = fixedNow.AddDate(0, 0, 10)

const failedWaterRun = "run-water-failed"

// newFiguresFixture is the query fixture with targets of its own, business items and "一件事"
// served by its entries, and, at figuresNow: the air data loaded afresh (collected), the
// penalties 不定时 (collected since loaded), the noise ledger never loaded (Important: hidden
// from the low principal) and the water report never loaded, its one load failed.
func newFiguresFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixtureWith(t, func(c *Config) {
		c.Targets = catalog.FigureTargets{Collection: 0.5, Coverage: 0.6, OneThing: 0.3}
	})
	ctx, op := f.ctx, catalog.Operator()
	require.NoError(t, f.cat.PutPrincipal(ctx, catalog.Principal{ID: stewardAir, Name: "数据员甲", Role: catalog.RoleSteward,
		Clearance: schemas.General4, Department: "AIR_DIV"}))
	for _, b := range []catalog.BusinessItem{
		{Code: "YW_AIR", Name: "空气质量监测", Department: "AIR_DIV"},
		{Code: "YW_LAW", Name: "行政处罚办理", Department: "LAW_CORPS"},
		{Code: "YW_WATER", Name: "地表水通报", Department: "AIR_DIV"},
	} {
		require.NoError(t, f.cat.PutBusinessItem(ctx, op, b, 0))
	}
	for _, s := range []catalog.Scene{
		{Code: "YJS_AIR", Name: "污染天应对", Kind: catalog.SceneOneThing, Department: "AIR_DIV", Accounts: []string{lowPrincipal}},
		{Code: "YJS_LAW", Name: "执法一件事", Kind: catalog.SceneOneThing, Department: "LAW_CORPS", Accounts: []string{lowPrincipal}},
		{Code: "YJS_WATER", Name: "守护一江碧水", Kind: catalog.SceneOneThing, Department: "AIR_DIV"},
		{Code: "CJ_AIR", Name: "巴渝治气", Kind: catalog.SceneComposite, Department: "AIR_DIV"},
	} {
		require.NoError(t, f.cat.PutScene(ctx, op, s, 0))
	}
	link := func(code string, change func(e *catalog.Entry)) {
		e, err := f.cat.View().Entry(code)
		require.NoError(t, err)
		change(e)
		require.NoError(t, f.cat.PutEntry(ctx, e))
	}
	link(airCode, func(e *catalog.Entry) {
		e.BusinessItems, e.Scenes = []string{"YW_AIR"}, []string{"YJS_AIR", "YJS_WATER", "CJ_AIR"}
	})
	link(penaltyCode, func(e *catalog.Entry) {
		e.BusinessItems, e.Scenes, e.UpdateCycle = []string{"YW_LAW"}, []string{"YJS_LAW"}, schemas.Irregular
	})
	link(noiseCode, func(e *catalog.Entry) { e.BusinessItems, e.Scenes = []string{"YW_LAW"}, []string{"YJS_LAW"} })
	link(waterCode, func(e *catalog.Entry) {
		e.BusinessItems, e.Scenes, e.District = []string{"YW_WATER"}, []string{"YJS_WATER"}, "500101"
	})
	f.now = figuresNow
	f.load(airCode, airRows())
	run := catalog.Run{ID: failedWaterRun, Entry: waterCode, Kind: "test", Source: "fixture", Status: catalog.RunRunning}
	require.NoError(t, f.cat.BeginRun(ctx, run))
	run.Status, run.Error = catalog.RunFailed, "表头缺少“断面”"
	require.NoError(t, f.cat.FailRun(ctx, run))
	return f
}

const figuresQuery = `{
  collectionRate { rate numerator denominator target meetsTarget
    byDepartment { key name numerator denominator } byDistrict { key name numerator denominator }
    lagging { entry name department departmentName district districtName reason reasonName heldDays run since } }
  coverageRate { rate numerator denominator target meetsTarget
    byDepartment { key numerator denominator } byDistrict { key numerator denominator }
    byDomain { key numerator denominator } bySourceKind { key numerator denominator }
    items { code name department departmentName entries collected covered } }
  oneThingRate { rate numerator denominator target meetsTarget usageIncompleteDays
    byDepartment { key numerator denominator } byDistrict { key numerator denominator }
    scenes { code name departmentName required collected missing lastUsed online inUse running reason } }
}`

// TestFiguresGraphQL: the three figures with their targets, breakdowns and lists, for a steward
// who sees every entry; the scene account's query counts its "一件事" in use.
func TestFiguresGraphQL(t *testing.T) {
	f := newFiguresFixture(t)
	// The scene account queried two hours before the figures' time (the service stamps its
	// events with the wall clock, so the event is recorded here at the fixture's time).
	usedAt := figuresNow.Add(-2 * time.Hour)
	require.NoError(t, f.audit.Record(audit.Event{At: usedAt, Principal: lowPrincipal, Role: catalog.RoleScene, Scene: lowPrincipal,
		Entries: []string{airCode}, Outcome: audit.OutcomeOK}))
	require.NoError(t, f.audit.Record(audit.Event{At: usedAt.Add(time.Hour), Principal: lowPrincipal, Role: catalog.RoleScene,
		Scene: lowPrincipal, Outcome: "FORBIDDEN"}), "a refused request is no use")
	data := f.mustDo(hiPrincipal, figuresQuery)

	assert.JSONEq(t, `{"rate":0.5,"numerator":2,"denominator":4,"target":0.5,"meetsTarget":true,
		"byDepartment":[{"key":"AIR_DIV","name":"大气环境处","numerator":1,"denominator":2},{"key":"LAW_CORPS","name":"执法总队","numerator":1,"denominator":2}],
		"byDistrict":[{"key":"500000","name":"重庆市","numerator":2,"denominator":3},{"key":"500101","name":"万州区","numerator":0,"denominator":1}],
		"lagging":[
		 {"entry":"0102/000001","name":"地表水月报","department":"AIR_DIV","departmentName":"大气环境处","district":"500101","districtName":"万州区",
		  "reason":"LAST_LOAD_FAILED","reasonName":"最近一次归集失败","heldDays":10,"run":"`+failedWaterRun+`","since":"2025-06-01T08:00:00Z"},
		 {"entry":"07/000002","name":"噪声投诉秘密台账","department":"LAW_CORPS","departmentName":"执法总队","district":"500000","districtName":"重庆市",
		  "reason":"NEVER_LOADED","reasonName":"从未归集","heldDays":10,"run":null,"since":"2025-06-01T08:00:00Z"}]}`,
		jsonOf(t, data["collectionRate"]))

	assert.JSONEq(t, `{"rate":0.6666666666666666,"numerator":2,"denominator":3,"target":0.6,"meetsTarget":true,
		"byDepartment":[{"key":"AIR_DIV","numerator":1,"denominator":2},{"key":"LAW_CORPS","numerator":1,"denominator":1}],
		"byDistrict":[{"key":"500000","numerator":2,"denominator":2},{"key":"500101","numerator":0,"denominator":1}],
		"byDomain":[{"key":"AIR","numerator":1,"denominator":1},{"key":"ENFORCEMENT","numerator":1,"denominator":1},{"key":"WATER","numerator":0,"denominator":1}],
		"bySourceKind":[{"key":"ONLINE_MONITORING","numerator":2,"denominator":3}],
		"items":[
		 {"code":"YW_AIR","name":"空气质量监测","department":"AIR_DIV","departmentName":"大气环境处","entries":1,"collected":1,"covered":true},
		 {"code":"YW_LAW","name":"行政处罚办理","department":"LAW_CORPS","departmentName":"执法总队","entries":2,"collected":1,"covered":true},
		 {"code":"YW_WATER","name":"地表水通报","department":"AIR_DIV","departmentName":"大气环境处","entries":1,"collected":0,"covered":false}]}`,
		jsonOf(t, data["coverageRate"]))

	used := usedAt.UTC().Format(time.RFC3339)
	assert.JSONEq(t, `{"rate":0.3333333333333333,"numerator":1,"denominator":3,"target":0.3,"meetsTarget":true,"usageIncompleteDays":[],
		"byDepartment":[{"key":"AIR_DIV","numerator":1,"denominator":2},{"key":"LAW_CORPS","numerator":0,"denominator":1}],
		"byDistrict":[{"key":"500000","numerator":1,"denominator":3},{"key":"500101","numerator":0,"denominator":1}],
		"scenes":[
		 {"code":"YJS_AIR","name":"污染天应对","departmentName":"大气环境处","required":1,"collected":1,"missing":[],"lastUsed":"`+used+`",
		  "online":true,"inUse":true,"running":true,"reason":null},
		 {"code":"YJS_LAW","name":"执法一件事","departmentName":"执法总队","required":2,"collected":1,"missing":["07/000002"],"lastUsed":"`+used+`",
		  "online":false,"inUse":true,"running":false,"reason":"1 个所需目录未归集"},
		 {"code":"YJS_WATER","name":"守护一江碧水","departmentName":"大气环境处","required":2,"collected":1,"missing":["0102/000001"],"lastUsed":null,
		  "online":false,"inUse":false,"running":false,"reason":"1 个所需目录未归集；未登记场景账号"}]}`,
		jsonOf(t, data["oneThingRate"]))

	// The request's log line names the figures read.
	assert.Contains(t, f.logBuf.String(), `"fields":["collectionRate","coverageRate","oneThingRate"]`)
}

// TestFiguresLowClearance: a principal cleared below the penalties and the noise ledger gets
// figures over the entries that exist for it, and no list, breakdown or count names them.
func TestFiguresLowClearance(t *testing.T) {
	f := newFiguresFixture(t)
	data := f.mustDo(lowPrincipal, figuresQuery)
	c := data["collectionRate"].(map[string]any)
	assert.Equal(t, []any{2.0, 1.0, 0.5, true}, []any{c["denominator"], c["numerator"], c["rate"], c["meetsTarget"]})
	assert.JSONEq(t, `[{"key":"AIR_DIV","name":"大气环境处","numerator":1,"denominator":2}]`, jsonOf(t, c["byDepartment"]))
	require.Len(t, c["lagging"], 1)
	assert.Equal(t, waterCode, at(c, "lagging", 0, "entry"))

	cov := data["coverageRate"].(map[string]any)
	assert.Equal(t, []any{3.0, 1.0, false}, []any{cov["denominator"], cov["numerator"], cov["meetsTarget"]},
		"the law item is served by nothing this principal sees")
	assert.JSONEq(t, `{"code":"YW_LAW","name":"行政处罚办理","department":"LAW_CORPS","departmentName":"执法总队","entries":0,"collected":0,"covered":false}`,
		jsonOf(t, at(cov, "items", 1)))

	law := at(data, "oneThingRate", "scenes", 1).(map[string]any)
	assert.Equal(t, "YJS_LAW", law["code"])
	assert.Equal(t, []any{0.0, 0.0, []any{}}, []any{law["required"], law["collected"], law["missing"]})
	assert.Contains(t, law["reason"], "未关联已发布的目录")

	all := jsonOf(t, data)
	for _, hidden := range []string{penaltyCode, noiseCode, "企业行政处罚", "噪声投诉", "ENFORCEMENT"} {
		assert.NotContains(t, all, hidden)
	}
}

// TestFiguresTargetsMissed: the default targets, unmet by these figures.
func TestFiguresTargetsMissed(t *testing.T) {
	f := newFixture(t)
	data := f.mustDo(hiPrincipal, `{ collectionRate { target meetsTarget } coverageRate { target meetsTarget } oneThingRate { target meetsTarget denominator } }`)
	assert.JSONEq(t, `{"collectionRate":{"target":0.9,"meetsTarget":false},"coverageRate":{"target":0.7,"meetsTarget":false},
		"oneThingRate":{"target":0.8,"meetsTarget":false,"denominator":0}}`, jsonOf(t, data))
}

// TestPutSceneAccounts: a scene's accounts are set, read back, kept when left out, cleared by an
// empty list, and refused when they are not scene accounts.
func TestPutSceneAccounts(t *testing.T) {
	f := newFiguresFixture(t)
	const put = `mutation($in: SceneInput!, $b: Long) { putScene(input: $in, base: $b) { code accounts revision } }`
	data := f.ok(stewardAir, put, map[string]any{"in": map[string]any{"code": "YJS_OZONE", "name": "臭氧污染应对", "kind": "一件事",
		"department": "AIR_DIV", "accounts": []any{lowPrincipal}}})
	assert.Equal(t, []any{lowPrincipal}, at(data, "putScene", "accounts"))
	rev := int64(at(data, "putScene", "revision").(float64))
	data = f.ok(stewardAir, put, map[string]any{"in": map[string]any{"code": "YJS_OZONE", "description": "夏季"}, "b": rev})
	assert.Equal(t, []any{lowPrincipal}, at(data, "putScene", "accounts"), "left out: kept")
	rev = int64(at(data, "putScene", "revision").(float64))

	e := f.refused(stewardAir, "INVALID", put, map[string]any{"in": map[string]any{"code": "YJS_OZONE",
		"accounts": []any{hiPrincipal, "nobody", lowPrincipal, lowPrincipal}}, "b": rev})
	var msgs []string
	for _, p := range e.Extensions["problems"].([]any) {
		msgs = append(msgs, p.(map[string]any)["message"].(string))
	}
	assert.Contains(t, msgs, "账号“"+hiPrincipal+"”不是应用场景账号（角色为 steward）")
	assert.Contains(t, msgs, "账号“nobody”不存在")
	assert.Contains(t, msgs, "场景账号“"+lowPrincipal+"”重复")
	data = f.ok(stewardAir, `{ scenes { code accounts } }`, nil)
	assert.Contains(t, jsonOf(t, data), `{"accounts":["`+lowPrincipal+`"],"code":"YJS_OZONE"}`, "a refused change changes nothing")

	data = f.ok(stewardAir, put, map[string]any{"in": map[string]any{"code": "YJS_OZONE", "accounts": []any{}}, "b": rev})
	assert.Equal(t, []any{}, at(data, "putScene", "accounts"))
}

// TestSceneAccountsShownToEditorsOnly: the accounts an application queries through are a target:
// a steward who may edit the directory sees them all, a manager who only reads figures sees
// none, and a scene account sees only itself.
func TestSceneAccountsShownToEditorsOnly(t *testing.T) {
	f := newFiguresFixture(t)
	ctx := f.ctx
	require.NoError(t, f.cat.PutPrincipal(ctx, catalog.Principal{ID: "app-other", Name: "另一应用", Role: catalog.RoleScene, Clearance: schemas.General1}))
	require.NoError(t, f.cat.PutPrincipal(ctx, catalog.Principal{ID: "manager-1", Name: "领导甲", Role: catalog.RoleManager, Clearance: schemas.General4}))
	const put = `mutation($in: SceneInput!) { putScene(input: $in) { code } }`
	f.ok(stewardAir, put, map[string]any{"in": map[string]any{"code": "YJS_OZONE", "name": "臭氧污染应对", "kind": "一件事",
		"department": "AIR_DIV", "accounts": []any{lowPrincipal, "app-other"}}})
	accounts := func(principal string) []any {
		data := f.ok(principal, `{ scenes { code accounts } }`, nil)
		for _, s := range at(data, "scenes").([]any) {
			if s.(map[string]any)["code"] == "YJS_OZONE" {
				return s.(map[string]any)["accounts"].([]any)
			}
		}
		t.Fatalf("%s does not see the scene", principal)
		return nil
	}
	assert.Equal(t, []any{lowPrincipal, "app-other"}, accounts(stewardAir))
	assert.Equal(t, []any{}, accounts("manager-1"), "a manager is shown no account")
	assert.Equal(t, []any{lowPrincipal}, accounts(lowPrincipal), "a scene account is shown only itself")
	assert.True(t, catalog.MaySeeSceneAccounts(&catalog.Principal{ID: "s", Role: catalog.RoleSteward, Clearance: schemas.General1}))
	assert.False(t, catalog.MaySeeSceneAccounts(&catalog.Principal{ID: "m", Role: catalog.RoleManager, Clearance: schemas.Core}))
}
