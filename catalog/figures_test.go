package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestCollectionRate(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

	type spec struct {
		seq      string
		mutate   func(e *Entry)
		items    int
		loadedAt time.Time // zero: never loaded
		failed   string    // newest run failed with this error
	}
	withItems := func(n int) []Item {
		out := make([]Item, n)
		for i := range out {
			out[i] = Item{Name: "信息项" + string(rune('A'+i)), Field: "f" + string(rune('a'+i)), Type: schemas.String, Grade: schemas.General1}
		}
		return out
	}
	specs := []spec{
		{seq: "000001", items: 2, loadedAt: now.Add(-12 * time.Hour)}, // fresh daily
		{seq: "000002", items: 3, loadedAt: now.Add(-72 * time.Hour), mutate: func(e *Entry) { // stale daily
			e.Department, e.District, e.Domains = "WATER_DIV", "500101", []string{"WATER", "AIR"}
		}},
		{seq: "000003", items: 1, mutate: func(e *Entry) {
			e.UpdateCycle = schemas.Monthly
			e.SourceKind = "DISTRICT_SUBMISSION"
			e.District = "500101"
		}}, // never loaded
		{seq: "000004", items: 4, loadedAt: now.Add(-2 * 365 * 24 * time.Hour), mutate: func(e *Entry) { e.UpdateCycle = schemas.Irregular }},
		{seq: "000005", items: 5, mutate: func(e *Entry) { e.Secret = true }},
		{seq: "000006", items: 6, mutate: func(e *Entry) { e.Exempt, e.ExemptReason = true, "数据由国家平台直接归集" }},
		{seq: "000007", items: 7, loadedAt: now.Add(-time.Hour), mutate: func(e *Entry) { e.Status = StatusDraft }},
		{seq: "000008", items: 1, failed: "文件缺少表头", mutate: func(e *Entry) { e.UpdateCycle = schemas.Weekly; e.Department = "WATER_DIV" }},
		{seq: "000009", items: 2, loadedAt: now.Add(-40 * 24 * time.Hour), failed: "接口返回 500", mutate: func(e *Entry) { e.UpdateCycle = schemas.Weekly }},
		{seq: "000010", items: 1, loadedAt: now.Add(-48 * time.Hour), mutate: func(e *Entry) {}}, // daily, exactly at period+grace: still collected
	}
	for _, sp := range specs {
		e := validEntry(sp.seq, "t_"+sp.seq)
		e.Status = StatusPublished
		e.Items = ItemsOf(withItems(sp.items)...)
		if sp.mutate != nil {
			sp.mutate(e)
		}
		require.NoError(t, s.PutEntry(ctx, e))
		if !sp.loadedAt.IsZero() {
			clock.Set(sp.loadedAt)
			loadEntry(t, s, e.ResourceCode, "load-"+sp.seq, "snap-"+sp.seq, "", sp.loadedAt)
		}
		if sp.failed != "" {
			clock.Set(now.Add(-30 * time.Minute))
			require.NoError(t, s.BeginRun(ctx, Run{ID: "fail-" + sp.seq, Entry: e.ResourceCode, Status: RunRunning}))
			require.NoError(t, s.FailRun(ctx, Run{ID: "fail-" + sp.seq, Error: sp.failed}))
		}
	}
	clock.Set(now.Add(1000 * time.Hour)) // the figure uses its argument, not the store's clock

	v := s.View()
	f := v.CollectionRate(now)
	w := walkFigure(t, v, now, nil)
	assert.Equal(t, w.fig, f, "the cells give what the walk of every entry gives")
	assert.Equal(t, []string{"0101/000001", "0101/000002", "0101/000003", "0101/000004", "0101/000008", "0101/000009", "0101/000010"}, w.due)
	assert.Equal(t, []string{"0101/000001", "0101/000004", "0101/000010"}, w.collected)
	assert.Equal(t, 3, f.Numerator)
	assert.Equal(t, 7, f.Denominator)
	assert.Equal(t, 4, f.LaggingCount())
	assert.InDelta(t, 3.0/7.0, f.Rate, 1e-9)
	assert.Equal(t, 2+3+1+4+1+2+1, f.ItemDenominator)
	assert.Equal(t, 2+4+1, f.ItemNumerator)
	assert.InDelta(t, 7.0/14.0, f.ItemRate, 1e-9)

	page := v.Lagging(now, Operator(), 10, "")
	assert.False(t, page.HasNext)
	assert.Equal(t, w.lags, page.Lags)
	require.Len(t, page.Lags, 4)
	lag := map[string]Lag{}
	for _, l := range page.Lags {
		lag[l.Entry] = l
	}
	stale := lag["0101/000002"]
	assert.Equal(t, LagStale, stale.Reason)
	assert.True(t, now.Add(-72*time.Hour).Equal(stale.LastLoad))
	assert.True(t, now.Add(-24*time.Hour).Equal(stale.Since), "last load + 24h period + 24h grace")
	assert.Equal(t, "数据已过期 (自 2025-05-31 20:00 起)", stale.ReasonText)

	never := lag["0101/000003"]
	assert.Equal(t, LagNeverLoaded, never.Reason)
	assert.Equal(t, "从未归集", never.ReasonText)
	neverEntry, err := v.Entry("0101/000003")
	require.NoError(t, err)
	assert.True(t, neverEntry.CreatedAt.Equal(never.Since), "held back since it was registered published")
	assert.Equal(t, now.Sub(never.Since), never.HeldFor(now))
	assert.True(t, never.LastLoad.IsZero())

	failedNever := lag["0101/000008"]
	assert.Equal(t, LagLastLoadFailed, failedNever.Reason)
	assert.Equal(t, "从未归集; 最近一次归集失败: 文件缺少表头", failedNever.ReasonText)

	failedStale := lag["0101/000009"]
	assert.Equal(t, LagLastLoadFailed, failedStale.Reason)
	assert.Contains(t, failedStale.ReasonText, "数据已过期 (自 ")
	assert.Contains(t, failedStale.ReasonText, "最近一次归集失败: 接口返回 500")
	assert.False(t, failedStale.Since.IsZero())

	// Pages: two of two, in code order, the second after the first's last code.
	first := v.Lagging(now, Operator(), 2, "")
	assert.True(t, first.HasNext)
	assert.Equal(t, w.lags[:2], first.Lags)
	second := v.Lagging(now, Operator(), 2, first.Lags[1].Entry)
	assert.False(t, second.HasNext, "exactly the last two: nothing follows")
	assert.Equal(t, w.lags[2:], second.Lags)
	assert.Empty(t, v.Lagging(now, Operator(), 0, "").Lags, "a page of none")
	assert.Empty(t, v.Lagging(now, nil, 10, "").Lags, "nobody sees no lagging entry")

	// breakdowns: department, district and source kind partition the due entries
	for name, bs := range map[string][]Breakdown{"department": f.ByDepartment, "district": f.ByDistrict, "source kind": f.BySourceKind} {
		var n, d int
		for i, b := range bs {
			n += b.Numerator
			d += b.Denominator
			assert.InDelta(t, float64(b.Numerator)/float64(b.Denominator), b.Rate, 1e-9)
			if i > 0 {
				assert.Less(t, bs[i-1].Key, b.Key, "%s sorted by key", name)
			}
		}
		assert.Equal(t, f.Numerator, n, name)
		assert.Equal(t, f.Denominator, d, name)
	}
	assert.Equal(t, []Breakdown{
		{Key: "AIR_DIV", Name: "大气环境处", Numerator: 3, Denominator: 5, Rate: 0.6},
		{Key: "WATER_DIV", Name: "水生态环境处", Numerator: 0, Denominator: 2, Rate: 0},
	}, f.ByDepartment)
	assert.Equal(t, []Breakdown{
		{Key: schemas.CityCode, Name: "重庆市", Numerator: 3, Denominator: 5, Rate: 0.6},
		{Key: "500101", Name: "万州区", Numerator: 0, Denominator: 2, Rate: 0},
	}, f.ByDistrict)
	// an entry with two domains counts in both
	assert.Equal(t, []Breakdown{
		{Key: "AIR", Name: "治气", Numerator: 3, Denominator: 7, Rate: 3.0 / 7.0},
		{Key: "WATER", Name: "治水", Numerator: 0, Denominator: 1, Rate: 0},
	}, f.ByDomain)
	assert.Equal(t, "DISTRICT_SUBMISSION", f.BySourceKind[0].Key)
	assert.Equal(t, "区县报送", f.BySourceKind[0].Name)

	// the same view later in time: the fresh daily entry has gone stale too
	later := s.View().CollectionRate(now.Add(37 * time.Hour))
	assert.Equal(t, []string{"0101/000004"}, walkFigure(t, s.View(), now.Add(37*time.Hour), nil).collected)
	assert.Equal(t, 1, later.Numerator)
	assert.Equal(t, 6, later.LaggingCount())
}

func TestCollectionRateEmpty(t *testing.T) {
	s, _ := newTestStore(t)
	f := s.View().CollectionRate(time.Now())
	assert.Zero(t, f.Rate)
	assert.Zero(t, f.ItemRate)
	assert.Zero(t, f.Denominator)
	assert.Zero(t, f.LaggingCount())
	assert.NotNil(t, f.ByDepartment, "empty lists, never null")
	assert.Empty(t, s.View().Lagging(time.Now(), Operator(), 50, "").Lags)
}

// TestLagRejectedRows: an entry whose last load was refused whole for its invalid rows is held
// back for that reason, with the run whose rejected rows can be downloaded, by the operator and
// by an account of the entry's district alike.
func TestLagRejectedRows(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	e := validEntry("000001", "t_000001")
	e.Status, e.District = StatusPublished, "500101"
	require.NoError(t, s.PutEntry(ctx, e))
	clock.Advance(time.Hour)
	require.NoError(t, s.BeginRun(ctx, Run{ID: "r1", Entry: e.ResourceCode, Status: RunRunning, District: "500101"}))
	require.NoError(t, s.FailRun(ctx, Run{ID: "r1", RowsRead: 100, RowsRejected: 12, RejectedKey: "rejects/t_000001/r1.csv",
		Error: "12 行数据有误，超过允许的 10%：本次报送未入库"}))
	now := clock.Now().Add(time.Hour)
	v := s.View()

	lags := v.Lagging(now, Operator(), 10, "").Lags
	require.Len(t, lags, 1)
	l := lags[0]
	assert.Equal(t, LagRejected, l.Reason)
	assert.Equal(t, "r1", l.Run)
	assert.Equal(t, "从未归集; 拒收行超过上限: 12 行数据有误，超过允许的 10%：本次报送未入库", l.ReasonText)
	assert.Equal(t, "500101", l.District)
	assert.Equal(t, "AIR_DIV", l.Department)
	assert.Equal(t, 2*time.Hour, l.HeldFor(now), "since it was registered published")

	other := &Principal{ID: "yz", Role: RoleDistrict, Clearance: schemas.General4, Districts: []string{"500101", "500103"}}
	assert.Equal(t, "r1", v.Lagging(now, other, 10, "").Lags[0].Run, "its own district's run")
	w := walkFigure(t, v, now, nil)
	assert.Equal(t, w.lags, lags, "the walk agrees")
}
