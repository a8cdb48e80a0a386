package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestTakenFiguresAgreeWithTheLiveOnes: a day taken now holds, for every clearance, exactly
// what the live figures give a reader of that clearance — counts and breakdowns of all three —
// and the hold-back list of the live one.
func TestTakenFiguresAgreeWithTheLiveOnes(t *testing.T) {
	s, now := servedFixture(t)
	v := s.View()
	used := func(a string) time.Time {
		if a == "app-air" || a == "app-idle" {
			return now.Add(-time.Hour)
		}
		return time.Time{}
	}
	day, detail := v.TakeFigures("2026-03-31", now, used)
	require.Len(t, day.Views, len(schemas.Grades.Codes()))
	for i, fv := range day.Views {
		p := &Principal{ID: "reader", Role: RoleManager, Clearance: fv.Clearance}
		c, cov, one := v.CollectionRateFor(now, p), v.CoverageRate(now, p), v.OneThingRate(now, p, used)
		name := string(fv.Clearance)
		assert.Equal(t, FigureCounts{c.Numerator, c.Denominator}, fv.Collection, name)
		assert.Equal(t, FigureCounts{c.ItemNumerator, c.ItemDenominator}, fv.Items, name)
		assert.Equal(t, FigureCounts{cov.Numerator, cov.Denominator}, fv.Coverage, name)
		assert.Equal(t, FigureCounts{one.Numerator, one.Denominator}, fv.OneThing, name)
		b := detail.Views[i]
		assert.Equal(t, FigureBreakdowns{c.ByDepartment, c.ByDistrict, c.ByDomain, c.BySourceKind}, b.Collection, name)
		assert.Equal(t, FigureBreakdowns{cov.ByDepartment, cov.ByDistrict, cov.ByDomain, cov.BySourceKind}, b.Coverage, name)
		assert.Equal(t, FigureBreakdowns{one.ByDepartment, one.ByDistrict, one.ByDomain, one.BySourceKind}, b.OneThing, name)
	}
	core := day.Views[len(day.Views)-1]
	assert.Equal(t, FigureCounts{2, 4}, core.Collection, "A and D fresh, B stale, C never loaded")
	assert.Equal(t, FigureCounts{1, 3}, core.OneThing, "the idle scene, online and queried")
	var lagging []string
	for _, l := range v.Lagging(now, Operator(), 100, "").Lags {
		lagging = append(lagging, l.Entry+":"+l.Reason+":"+l.Run)
	}
	var kept []string
	for _, l := range detail.Lagging {
		kept = append(kept, l.Entry+":"+l.Reason+":"+l.Run)
	}
	assert.Equal(t, lagging, kept)
}

// TestTakenFiguresLeaveOutLaterEntries: a day taken after its end from the current data (the
// service takes the day that ended within the hour after midnight) leaves out the entries
// registered or first published since: they were not due that day.
func TestTakenFiguresLeaveOutLaterEntries(t *testing.T) {
	s, now := servedFixture(t)
	v := s.View()
	var first, last time.Time // when the due entries became due: registered and published
	v.EachEntry("", func(e *Entry) bool {
		if !isDue(e) {
			return true
		}
		at := e.CreatedAt
		if e.PublishDate.After(at) {
			at = e.PublishDate
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
		return true
	})
	require.False(t, first.IsZero())
	before, _ := v.TakeFigures("2026-03-30", first.Add(-time.Nanosecond), nil)
	for _, fv := range before.Views {
		assert.Equal(t, FigureCounts{}, fv.Collection, "nothing was due yet in view %s", fv.Clearance)
		assert.Equal(t, FigureCounts{}, fv.Items, string(fv.Clearance))
	}
	after, _ := v.TakeFigures("2026-03-31", last, nil)
	nowDay, _ := v.TakeFigures("2026-03-31", now, nil)
	assert.Equal(t, nowDay.Views[len(nowDay.Views)-1].Collection.Denominator, after.Views[len(after.Views)-1].Collection.Denominator,
		"every entry due now was due once the last became due")
}

// TestFigureHistory: a day is recorded once and survives a restart; each reader is shown the
// view of its clearance and only the lagging entries it may see; district accounts are refused;
// bad periods are refused with the reason.
func TestFigureHistory(t *testing.T) {
	s, now := servedFixture(t)
	ctx := context.Background()
	day, detail := s.View().TakeFigures("2026-03-31", now, nil)
	require.NoError(t, s.RecordFigures(ctx, day, detail))
	require.ErrorIs(t, s.RecordFigures(ctx, day, detail), ErrConflict, "a day is taken once")
	require.NoError(t, s.Close())
	s = openTest(t, s.cfg)
	defer s.Close()
	v := s.View()
	assert.Equal(t, "2026-03-31", v.FirstFigureDay())
	assert.True(t, v.HasFigures("2026-03-31"))

	analyst, err := v.Principal("analyst")
	require.NoError(t, err)
	h, err := v.FigureHistory(analyst, "2026-03-01", "2026-03-31")
	require.NoError(t, err)
	require.Len(t, h, 1)
	assert.Equal(t, FigureCounts{1, 2}, h[0].Collection, "the analyst sees A and B only")
	all, err := v.FigureHistory(Operator(), "2026-03-01", "2026-03-31")
	require.NoError(t, err)
	assert.Equal(t, FigureCounts{2, 4}, all[0].Collection)

	d, err := v.FigureDayFor(analyst, "2026-03-31")
	require.NoError(t, err)
	require.Len(t, d.Lagging, 1, "C (important, never loaded) is not shown to the analyst")
	assert.Equal(t, DayLag{Entry: "0101/000002", Grade: schemas.General2, District: "500101", Department: "AIR_DIV",
		Reason: LagStale, LastLoad: now.Add(-96 * time.Hour).UTC()}, d.Lagging[0])
	assert.Equal(t, schemas.General2, d.Breakdowns.Clearance)
	assert.NotEmpty(t, d.Breakdowns.Collection.ByDistrict)
	full, err := v.FigureDayFor(Operator(), "2026-03-31")
	require.NoError(t, err)
	assert.Len(t, full.Lagging, 2)

	district := &Principal{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	_, err = v.FigureHistory(district, "2026-03-01", "2026-03-31")
	require.ErrorIs(t, err, schemas.ErrForbidden)
	_, err = v.FigureHistory(Operator(), "2026-03-31", "2026-03-01")
	require.ErrorIs(t, err, ErrInvalid)
	_, err = v.FigureHistory(Operator(), "2025-01-01", "2026-03-31")
	require.ErrorIs(t, err, ErrInvalid)
	_, err = v.FigureDayFor(Operator(), "2026-03-30")
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, s.RecordFigures(ctx, &FigureDay{Day: "31/03/2026"}, &FigureDayDetail{}), ErrInvalid)
}

// TestBackfilledFigures: a past day's figures from the runs' history — an entry counts from its
// first snapshot until its cycle and grace run out, an irregular one once loaded, entries
// registered after the day are left out, and a load that had failed by then is the reason.
func TestBackfilledFigures(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	at := func(d string) time.Time { t1, _ := time.Parse("2006-01-02 15:04", d); return t1 }
	clock.Set(at("2026-03-01 08:00"))
	put := func(seq string, cycle schemas.UpdateCycle) {
		e := validEntry(seq, "t_"+seq)
		e.Status, e.UpdateCycle = StatusPublished, cycle
		require.NoError(t, s.PutEntry(ctx, e))
	}
	put("000001", schemas.Daily)
	put("000002", schemas.Monthly)
	put("000003", schemas.Irregular)
	clock.Set(at("2026-03-02 10:00"))
	loadEntry(t, s, "0101/000001", "r1", "s1", "", at("2026-03-02 10:00"))
	clock.Set(at("2026-03-04 10:00"))
	require.NoError(t, s.BeginRun(ctx, Run{ID: "f3", Entry: "0101/000003", Status: RunRunning}))
	require.NoError(t, s.FailRun(ctx, Run{ID: "f3", RowsRead: 10, RowsRejected: 9, RejectedKey: "rejects/t_000003/f3.csv", Error: "9 行数据有误"}))
	clock.Set(at("2026-03-05 09:00"))
	loadEntry(t, s, "0101/000002", "r2", "s2", "", at("2026-03-05 09:00"))
	put("000004", schemas.Daily) // registered on the 5th
	v := s.View()

	counts := func(end string) (FigureCounts, []string) {
		d, detail := v.BackfillFigures(end[:10], at(end), nil)
		assert.True(t, d.Backfilled)
		var lag []string
		for _, l := range detail.Lagging {
			lag = append(lag, l.Entry+":"+l.Reason)
		}
		return d.Views[len(d.Views)-1].Collection, lag
	}
	c, lag := counts("2026-03-01 23:59")
	assert.Equal(t, FigureCounts{0, 3}, c)
	assert.Equal(t, []string{"0101/000001:NEVER_LOADED", "0101/000002:NEVER_LOADED", "0101/000003:NEVER_LOADED"}, lag)
	c, _ = counts("2026-03-03 23:59")
	assert.Equal(t, FigureCounts{1, 3}, c, "the daily entry within its period and grace")
	c, lag = counts("2026-03-05 23:59")
	assert.Equal(t, FigureCounts{1, 4}, c, "the daily one stale, the monthly one fresh, the new one counted")
	assert.Equal(t, []string{"0101/000001:STALE", "0101/000003:REJECTED_ROWS", "0101/000004:NEVER_LOADED"}, lag,
		"the failure of the 4th, refused for its invalid rows")
	_, lag = counts("2026-03-03 23:59")
	assert.Contains(t, lag, "0101/000003:NEVER_LOADED", "before it failed")
}

// TestBackfillFollowsPublication: a back-filled day counts an entry only while its history says
// it was published: not while a draft, not while retired, again once restored and approved; an
// entry retired today still counts on the days it was published.
func TestBackfillFollowsPublication(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	day := func(d int, hm string) time.Time {
		t1, err := time.Parse("2006-01-02 15:04", fmt.Sprintf("2026-04-%02d %s", d, hm))
		require.NoError(t, err)
		return t1
	}
	rev := func(code string) uint64 { return current(t, s, code).Revision }
	clock.Set(day(1, "09:00"))
	a, err := s.CreateEntry(ctx, wfSteward, draftEntry("甲"), "新登记")
	require.NoError(t, err)
	clock.Set(day(2, "09:00"))
	publish(t, s, a.ResourceCode)
	clock.Set(day(4, "09:00"))
	require.NoError(t, s.RetireEntry(ctx, wfSteward, a.ResourceCode, rev(a.ResourceCode), "数据源停用"))
	clock.Set(day(6, "09:00"))
	require.NoError(t, s.RestoreEntry(ctx, wfSteward, a.ResourceCode, rev(a.ResourceCode), "数据源恢复"))
	clock.Set(day(7, "09:00"))
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, a.ResourceCode, rev(a.ResourceCode), "同意"))
	b, err := s.CreateEntry(ctx, wfSteward, draftEntry("乙"), "新登记")
	require.NoError(t, err)
	clock.Set(day(8, "09:00"))
	publish(t, s, b.ResourceCode)
	clock.Set(day(9, "09:00"))
	require.NoError(t, s.RetireEntry(ctx, wfSteward, b.ResourceCode, rev(b.ResourceCode), "并入甲"))
	v := s.View()

	due := func(d int) []string {
		fd, detail := v.BackfillFigures(fmt.Sprintf("2026-04-%02d", d), day(d, "23:59"), nil)
		var codes []string
		for _, l := range detail.Lagging {
			codes = append(codes, l.Entry)
		}
		assert.Equal(t, len(codes), fd.Views[len(fd.Views)-1].Collection.Denominator, "day %d", d)
		return codes
	}
	assert.Empty(t, due(1), "a draft is not due")
	assert.Equal(t, []string{a.ResourceCode}, due(3))
	assert.Empty(t, due(5), "retired on the 4th")
	assert.Empty(t, due(6), "restored, still under review")
	assert.Equal(t, []string{a.ResourceCode}, due(7), "approved again")
	assert.Equal(t, []string{a.ResourceCode, b.ResourceCode}, due(8), "乙 published on the 8th, retired only since")
	assert.Equal(t, []string{a.ResourceCode}, due(9))
}
