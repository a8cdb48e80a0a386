package query

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestResultCacheAnswersAgainPerPolicy: a statement asked again of the same snapshot is
// answered without DuckDB; an account whose decision shapes another statement (a row scope, a
// mask) never gets the first one's answer; a new snapshot is asked of DuckDB again.
func TestResultCacheAnswersAgainPerPolicy(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "yz", Name: "渝中区应用", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500103"}}))
	var asked atomic.Int32
	f.svc.sqlHook = func(Statement) { asked.Add(1) }
	const q = `{ air_station_hourly_aggregate(groupBy: [district]) { group { district } count } }`

	first := jsonOf(t, f.mustDo(hiPrincipal, q))
	require.EqualValues(t, 1, asked.Load())
	assert.Equal(t, first, jsonOf(t, f.mustDo(hiPrincipal, q)))
	assert.EqualValues(t, 1, asked.Load(), "asked again: answered from the cache")

	scoped := jsonOf(t, f.mustDo("yz", q))
	assert.EqualValues(t, 2, asked.Load(), "a row-scoped account's own statement")
	assert.NotEqual(t, first, scoped)
	assert.NotContains(t, scoped, "江北区", "the district account sees its own district only")

	f.load(airCode, [][]any{{"S9", "渝中区", ts("2025-06-01 00:00:00"), day("2025-06-01"), 10.0, int64(20), true}})
	after := jsonOf(t, f.mustDo(hiPrincipal, q))
	assert.EqualValues(t, 3, asked.Load(), "a new snapshot is a new statement's answer")
	assert.NotEqual(t, first, after)
}

// TestResultCacheBounded: the cache keeps answers within its bound, the least recently used out
// first, keeps none too large, and what it hands out cannot be grown into what it keeps.
func TestResultCacheBounded(t *testing.T) {
	rows := func(n int, v string) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"station": v}
		}
		return out
	}
	one := resultBytes(rows(10, "S1"))
	c := newResultCache(one * 32)
	k := func(i int) [32]byte {
		return resultKey("snap", Statement{SQL: "q", Args: []any{[]string{"/a"}, int64(i)}})
	}
	for i := range 40 {
		c.put(k(i), rows(10, "S1"))
	}
	assert.LessOrEqual(t, c.used, c.max)
	_, ok := c.get(k(0))
	assert.False(t, ok, "the least recently used went first")
	got, ok := c.get(k(39))
	require.True(t, ok)
	assert.Len(t, got, 10)
	_ = append(got, map[string]any{"station": "X"})
	again, _ := c.get(k(39))
	assert.Len(t, again, 10, "appending to an answer does not reach the kept one")

	c.put(k(100), rows(maxCachedRows+1, "S"))
	_, ok = c.get(k(100))
	assert.False(t, ok, "too many rows to keep")
	assert.NotEqual(t, k(1), resultKey("snap", Statement{SQL: "q", Args: []any{[]string{"/a"}, "1"}}), "an argument's type is in the key")
	assert.Equal(t, k(1), resultKey("snap", Statement{SQL: "q", Args: []any{[]string{"/elsewhere"}, int64(1)}}), "the paths are not")
	assert.Nil(t, newResultCache(0), "a zero bound keeps nothing")
}
