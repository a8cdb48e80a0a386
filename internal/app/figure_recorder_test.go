package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestFigureRecorder: on the first start the recorder back-fills the days since something was
// due (not the empty days before), then keeps nothing twice, then takes each day that ends
// from the entries' current data; a scene account's use reaches the 一件事 figure.
func TestFigureRecorder(t *testing.T) {
	ctx := context.Background()
	a, _, _ := airSteward(t, schemas.General2)
	defer a.Close()
	e := &catalog.Entry{ResourceCode: "0101/000001", Table: "hourly", Name: "小时数据", CategoryCode: "0101",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "小时数据", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "UNCONDITIONAL", SharingBasis: "办法",
		UpdateCycle: schemas.Daily, Status: catalog.StatusPublished, Department: "DIV_AIR", District: schemas.CityCode,
		SourceKind: "LOCAL_SYSTEM", Domains: []string{"AIR"}, Scenes: []string{"YJS_AIR"},
		Items: catalog.ItemsOf(catalog.Item{Name: "PM2.5", Field: "pm25", Type: schemas.Float, Grade: schemas.General1})}
	require.NoError(t, a.Cat.CreatePrincipal(ctx, catalog.Principal{ID: "air-app", Name: "治气应用", Role: catalog.RoleScene, Clearance: schemas.General2}))
	require.NoError(t, a.Cat.PutScene(ctx, catalog.Operator(), catalog.Scene{Code: "YJS_AIR", Name: "重污染天气应对",
		Kind: catalog.SceneOneThing, Department: "DIV_AIR", Accounts: []string{"air-app"}}, 0))
	require.NoError(t, a.Cat.PutEntry(ctx, e))
	registered := time.Now()

	clock := dayStart(registered).AddDate(0, 0, 3).Add(30 * time.Minute) // three days on, just after midnight
	lastUse := registered
	r := &figureRecorder{cat: a.Cat, log: slog.New(slog.DiscardHandler), clock: func() time.Time { return clock }, backfillDays: 90,
		used: func(from, to time.Time) catalog.SceneUse {
			return func(acc string) time.Time {
				if acc == "air-app" && !lastUse.Before(from) && !lastUse.After(to) {
					return lastUse
				}
				return time.Time{}
			}
		}}
	n, err := r.catchUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "the day it was registered and the two after, not the 87 empty days before")
	v := a.Cat.View()
	day := func(d time.Time) string { return d.Format("2006-01-02") }
	assert.Equal(t, day(dayStart(registered)), v.FirstFigureDay())
	h, err := v.FigureHistory(catalog.Operator(), day(dayStart(registered)), day(clock))
	require.NoError(t, err)
	require.Len(t, h, 3)
	for i, d := range h {
		assert.Equal(t, i < 2, d.Backfilled, "the days before are back-filled, the one that just ended is taken: %s", d.Day)
		assert.Equal(t, catalog.FigureCounts{Numerator: 0, Denominator: 1}, d.Collection, d.Day)
		assert.Equal(t, 1, d.OneThing.Denominator)
	}

	n, err = r.catchUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n, "each day is kept once")

	// Two days later, the recorder having been down a day: the missed day is back-filled, the
	// one that just ended taken.
	clock = clock.AddDate(0, 0, 2)
	n, err = r.catchUp(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	missed, err := a.Cat.View().FigureDayFor(catalog.Operator(), day(clock.AddDate(0, 0, -2)))
	require.NoError(t, err)
	assert.True(t, missed.Backfilled)
	d, err := a.Cat.View().FigureDayFor(catalog.Operator(), day(clock.AddDate(0, 0, -1)))
	require.NoError(t, err)
	assert.False(t, d.Backfilled)
	require.Len(t, d.Lagging, 1)
	assert.Equal(t, catalog.LagNeverLoaded, d.Lagging[0].Reason)
}

// TestFigureRecorderStopsAtTheHistoryHorizon: once the record of loads before a horizon is
// purged, the days that ended before it are not back-filled (their history may be gone); the
// days after it are.
func TestFigureRecorderStopsAtTheHistoryHorizon(t *testing.T) {
	ctx := context.Background()
	d0 := time.Date(2026, 3, 2, 0, 0, 0, 0, audit.Zone)
	now := d0.Add(time.Hour)
	cat, err := catalog.Open(ctx, catalog.Config{Dir: t.TempDir(), Clock: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer cat.Close()
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "DIV_AIR", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	require.NoError(t, cat.PutEntry(ctx, &catalog.Entry{ResourceCode: "0101/000001", Table: "hourly", Name: "小时数据", CategoryCode: "0101",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "小时数据", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "UNCONDITIONAL", SharingBasis: "办法",
		UpdateCycle: schemas.Daily, Status: catalog.StatusPublished, Department: "DIV_AIR", District: schemas.CityCode,
		SourceKind: "LOCAL_SYSTEM", Domains: []string{"AIR"},
		Items: catalog.ItemsOf(catalog.Item{Name: "PM2.5", Field: "pm25", Type: schemas.Float, Grade: schemas.General1})}))

	now = d0.AddDate(0, 0, 10).Add(30 * time.Minute) // ten days on, just after midnight
	horizon := d0.AddDate(0, 0, 5).Add(12 * time.Hour)
	_, err = cat.PurgeHistory(ctx, horizon)
	require.NoError(t, err)
	r := &figureRecorder{cat: cat, log: slog.New(slog.DiscardHandler), clock: func() time.Time { return now }, backfillDays: 90}
	n, err := r.catchUp(ctx)
	require.NoError(t, err)
	day := func(d time.Time) string { return d.Format("2006-01-02") }
	assert.Equal(t, day(d0.AddDate(0, 0, 5)), cat.View().FirstFigureDay(), "the day the horizon falls in, not the day the entry was registered")
	assert.Equal(t, 5, n, "days 5 to 9")
}
