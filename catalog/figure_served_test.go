package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// servedFixture: four published entries at a fixed clock — A fresh (city, AIR), B stale
// (万州区, WATER), C never loaded (万州区, AIR, important), D fresh but important — three
// business items and three "一件事" scenes (and one composite, one retired, not counted).
func servedFixture(t *testing.T) (*Store, time.Time) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	for _, id := range []string{"app-outfall", "app-air", "app-idle"} {
		require.NoError(t, s.CreatePrincipal(ctx, Principal{ID: id, Name: id, Role: RoleScene, Clearance: schemas.General2}))
	}
	require.NoError(t, s.CreatePrincipal(ctx, Principal{ID: "analyst", Name: "分析员", Role: RoleAnalyst, Clearance: schemas.General2}))
	for _, b := range []BusinessItem{
		{Code: "YW_AIR", Name: "空气质量通报", Department: "AIR_DIV"},
		{Code: "YW_WATER", Name: "水质月报", Department: "WATER_DIV"},
		{Code: "YW_EMPTY", Name: "无目录事项", Department: "WATER_DIV"},
		{Code: "YW_OLD", Name: "已下线事项", Department: "AIR_DIV", Retired: true},
	} {
		require.NoError(t, s.PutBusinessItem(ctx, Operator(), b, 0))
	}
	for _, sc := range []Scene{
		{Code: "YJS_AIR", Name: "重污染天气应对", Kind: SceneOneThing, Department: "AIR_DIV", Accounts: []string{"app-air"}},
		{Code: "YJS_OUTFALL", Name: "入河排污口处置", Kind: SceneOneThing, Department: "WATER_DIV", Accounts: []string{"app-outfall"}},
		{Code: "YJS_IDLE", Name: "无人使用", Kind: SceneOneThing, Department: "AIR_DIV", Accounts: []string{"app-idle"}},
		{Code: "ZH_WATER", Name: "巴渝治水", Kind: SceneComposite, Department: "WATER_DIV"},
		{Code: "YJS_OLD", Name: "已下线", Kind: SceneOneThing, Department: "AIR_DIV", Retired: true},
	} {
		require.NoError(t, s.PutScene(ctx, Operator(), sc, 0))
	}
	put := func(seq string, mutate func(e *Entry), loadedAt time.Time) {
		e := validEntry(seq, "t_"+seq)
		e.Status = StatusPublished
		mutate(e)
		require.NoError(t, s.PutEntry(ctx, e))
		if !loadedAt.IsZero() {
			clock.Set(loadedAt)
			loadEntry(t, s, e.ResourceCode, "load-"+seq, "snap-"+seq, "", loadedAt)
		}
	}
	put("000001", func(e *Entry) { // A
		e.BusinessItems, e.Scenes = []string{"YW_AIR"}, []string{"YJS_AIR", "YJS_IDLE"}
	}, now.Add(-6*time.Hour))
	put("000002", func(e *Entry) { // B
		e.District, e.Domains = "500101", []string{"WATER"}
		e.BusinessItems, e.Scenes = []string{"YW_WATER"}, []string{"YJS_OUTFALL"}
	}, now.Add(-96*time.Hour))
	put("000003", func(e *Entry) { // C
		e.District = "500101"
		setItem(e, 1, func(it *Item) { it.Grade = schemas.Important })
		e.BusinessItems, e.Scenes = []string{"YW_AIR"}, []string{"YJS_AIR"}
	}, time.Time{})
	put("000004", func(e *Entry) { // D
		setItem(e, 1, func(it *Item) { it.Grade = schemas.Important })
		e.BusinessItems = []string{"YW_WATER"}
	}, now.Add(-time.Hour))
	return s, now
}

func TestCoverageRate(t *testing.T) {
	s, now := servedFixture(t)
	v := s.View()

	f := v.CoverageRate(now, Operator())
	assert.Equal(t, 3, f.Denominator, "retired business items are not listed")
	assert.Equal(t, 2, f.Numerator, "YW_AIR by A, YW_WATER by D; YW_EMPTY by none")
	assert.InDelta(t, 2.0/3.0, f.Rate, 1e-9)
	assert.Equal(t, []ItemCoverage{
		{Code: "YW_AIR", Name: "空气质量通报", Department: "AIR_DIV", Entries: 2, Collected: 1, Covered: true},
		{Code: "YW_EMPTY", Name: "无目录事项", Department: "WATER_DIV"},
		{Code: "YW_WATER", Name: "水质月报", Department: "WATER_DIV", Entries: 2, Collected: 1, Covered: true},
	}, f.Items)
	assert.Equal(t, []Breakdown{
		{Key: "AIR_DIV", Name: "大气环境处", Numerator: 1, Denominator: 1, Rate: 1},
		{Key: "WATER_DIV", Name: "水生态环境处", Numerator: 1, Denominator: 2, Rate: 0.5},
	}, f.ByDepartment)
	// 万州区's entries (B stale, C never loaded) serve both items and collect neither.
	wz := breakdownOf(t, f.ByDistrict, "500101")
	assert.Equal(t, [2]int{0, 2}, [2]int{wz.Numerator, wz.Denominator})
	city := breakdownOf(t, f.ByDistrict, schemas.CityCode)
	assert.Equal(t, [2]int{2, 2}, [2]int{city.Numerator, city.Denominator})

	// An analyst cleared to 一般数据2级 sees neither important entry: D no longer covers YW_WATER.
	analyst, err := v.Principal("analyst")
	require.NoError(t, err)
	fa := v.CoverageRate(now, analyst)
	assert.Equal(t, [2]int{1, 3}, [2]int{fa.Numerator, fa.Denominator})
	assert.Equal(t, ItemCoverage{Code: "YW_WATER", Name: "水质月报", Department: "WATER_DIV", Entries: 1}, fa.Items[2])
	assert.Equal(t, 0, v.CoverageRate(now, &Principal{}).Numerator, "nobody: no entry counts")
}

func TestOneThingRate(t *testing.T) {
	s, now := servedFixture(t)
	v := s.View()
	used := map[string]time.Time{
		"app-air":     now.Add(-2 * 24 * time.Hour),
		"app-outfall": now.Add(-3 * 24 * time.Hour),
		"app-idle":    now.Add(-45 * 24 * time.Hour), // outside InUseDays
	}
	use := func(a string) time.Time { return used[a] }

	f := v.OneThingRate(now, Operator(), use)
	assert.Equal(t, 3, f.Denominator, "composite and retired scenes are not counted")
	assert.Equal(t, 0, f.Numerator)
	byCode := map[string]SceneState{}
	for _, sc := range f.Scenes {
		byCode[sc.Code] = sc
	}
	assert.Equal(t, SceneState{Code: "YJS_AIR", Name: "重污染天气应对", Department: "AIR_DIV", Required: 2, Collected: 1,
		Missing: []string{"0101/000003"}, LastUsed: used["app-air"], InUse: true, Reason: "1 个所需目录未归集"}, byCode["YJS_AIR"])
	assert.Equal(t, "1 个所需目录未归集", byCode["YJS_OUTFALL"].Reason, "B is stale")
	idle := byCode["YJS_IDLE"]
	assert.True(t, idle.Online)
	assert.False(t, idle.InUse)
	assert.Equal(t, "近 30 天无查询（最近一次 2026-02-14）", idle.Reason)

	// A load of C brings YJS_AIR online and running; the idle scene runs once it is queried.
	clock := now.Add(-time.Hour)
	loadEntry(t, s, "0101/000003", "load-c", "snap-c", "", clock)
	used["app-idle"] = now.Add(-time.Hour)
	f = s.View().OneThingRate(now, Operator(), use)
	assert.Equal(t, 2, f.Numerator)
	assert.InDelta(t, 2.0/3.0, f.Rate, 1e-9)
	assert.Equal(t, []Breakdown{
		{Key: "AIR_DIV", Name: "大气环境处", Numerator: 2, Denominator: 2, Rate: 1},
		{Key: "WATER_DIV", Name: "水生态环境处", Numerator: 0, Denominator: 1, Rate: 0},
	}, f.ByDepartment)

	// Without the audit no scene is in use; a scene without accounts says so.
	f = s.View().OneThingRate(now, Operator(), nil)
	assert.Equal(t, 0, f.Numerator)
	require.NoError(t, s.PutScene(context.Background(), Operator(), Scene{Code: "YJS_NEW", Name: "新场景", Kind: SceneOneThing, Department: "AIR_DIV"}, 0))
	f = s.View().OneThingRate(now, Operator(), use)
	assert.Equal(t, "未关联已发布的目录；未登记场景账号", f.Scenes[len(f.Scenes)-2].Reason)
}

func TestSceneAccountsChecked(t *testing.T) {
	s, _ := servedFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		accounts []string
		want     string
	}{
		{[]string{"nobody"}, "账号“nobody”不存在"},
		{[]string{"analyst"}, "不是应用场景账号"},
		{[]string{"app-air", "app-air"}, "重复"},
	} {
		err := s.PutScene(ctx, Operator(), Scene{Code: "YJS_X", Name: "x", Kind: SceneOneThing, Department: "AIR_DIV", Accounts: c.accounts}, 0)
		require.ErrorIs(t, err, ErrInvalid, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
}

func breakdownOf(t *testing.T, bs []Breakdown, key string) Breakdown {
	t.Helper()
	for _, b := range bs {
		if b.Key == key {
			return b
		}
	}
	t.Fatalf("no breakdown %q in %v", key, bs)
	return Breakdown{}
}

// TestServedCellsFollowChanges: the served figures' cells follow an entry's links, grade and
// loads as they change, and a restore from the checkpoint builds the same: each state is
// checked against the walk of the serving entries (the history's way of counting).
func TestServedCellsFollowChanges(t *testing.T) {
	s, now := servedFixture(t)
	ctx := context.Background()
	check := func(s *Store, what string) {
		t.Helper()
		v := s.View()
		day, _ := v.TakeFigures("2026-03-31", now, nil)
		for _, fv := range day.Views {
			p := &Principal{ID: "reader", Role: RoleManager, Clearance: fv.Clearance}
			c := v.CoverageRate(now, p)
			o := v.OneThingRate(now, p, nil)
			assert.Equal(t, fv.Coverage, FigureCounts{c.Numerator, c.Denominator}, "%s: %s", what, fv.Clearance)
			assert.Equal(t, fv.OneThing, FigureCounts{o.Numerator, o.Denominator}, "%s: %s", what, fv.Clearance)
		}
	}
	check(s, "start")
	// A leaves YW_AIR for YW_EMPTY, C gets data, D is retired.
	a, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	a = a.Copy()
	a.BusinessItems = []string{"YW_EMPTY"}
	require.NoError(t, s.PutEntry(ctx, a))
	check(s, "after A's links changed")
	f := s.View().CoverageRate(now, Operator())
	assert.Equal(t, 2, f.Numerator, "YW_EMPTY now covered by A, YW_AIR by none (C never loaded)")
	assert.False(t, f.Items[0].Covered)
	loadEntry(t, s, "0101/000003", "load-c", "snap-c", "", now.Add(-time.Hour))
	check(s, "after C's load")
	assert.Equal(t, 3, s.View().CoverageRate(now, Operator()).Numerator)
	d, err := s.View().Entry("0101/000004")
	require.NoError(t, err)
	d = d.Copy()
	d.Status = StatusRetired
	require.NoError(t, s.PutEntry(ctx, d))
	check(s, "after D retired")

	require.NoError(t, s.Close())
	s2 := openTest(t, s.cfg)
	defer s2.Close()
	check(s2, "after a restore")
	assert.Equal(t, s.View().CoverageRate(now, Operator()), s2.View().CoverageRate(now, Operator()))
}
