package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFigureHistoryThroughGraphQL: a day taken from the fixture's catalogue reads back, through
// figureHistory and figureDay, as the caller's clearance sees it — the low-clearance reader's
// counts and hold-back list leave the hidden entries out, as its live figure does.
func TestFigureHistoryThroughGraphQL(t *testing.T) {
	f := newFixture(t)
	day, detail := f.cat.View().TakeFigures("2026-03-01", fixedNow, nil)
	require.NoError(t, f.cat.RecordFigures(f.ctx, day, detail))

	const q = `{ figureHistory(from: "2026-02-01", to: "2026-03-31") { day backfilled collection { numerator denominator rate } coverage { denominator } oneThing { denominator } }
		figureDay(day: "2026-03-01") { day collection { numerator denominator } laggingCount
			lagging(first: 10) { entry name grade reason reasonName districtName }
			collectionBreakdowns { byDepartment { key numerator denominator } } }
		missing: figureDay(day: "2026-03-02") { day } }`
	high := f.mustDo(hiPrincipal, q)
	low := f.mustDo(lowPrincipal, q)
	live := func(id string) map[string]any {
		return f.mustDo(id, `{ collectionRate { numerator denominator } }`)["collectionRate"].(map[string]any)
	}
	for _, c := range []struct {
		data map[string]any
		id   string
	}{{high, hiPrincipal}, {low, lowPrincipal}} {
		h := c.data["figureHistory"].([]any)
		require.Len(t, h, 1)
		got := h[0].(map[string]any)["collection"].(map[string]any)
		want := live(c.id)
		assert.Equal(t, want["numerator"], got["numerator"], c.id)
		assert.Equal(t, want["denominator"], got["denominator"], c.id)
		assert.Nil(t, c.data["missing"], "a day not kept is null")
	}
	assert.JSONEq(t, `[{"entry":"0102/000001","name":"地表水月报","grade":"GENERAL_1","reason":"NEVER_LOADED","reasonName":"从未归集","districtName":"重庆市"}]`,
		jsonOf(t, low["figureDay"].(map[string]any)["lagging"]))
	assert.Contains(t, jsonOf(t, high["figureDay"]), "噪声投诉秘密台账")
	assert.NotContains(t, jsonOf(t, low), "LAW_CORPS")

	_, errs := f.do(hiPrincipal, `{ figureHistory(from: "2026-03-31", to: "2026-03-01") { day } }`, nil)
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "早于开始日期")
}
