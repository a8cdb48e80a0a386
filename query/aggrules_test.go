package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestAggregatesOnlyRules: a manager reads statistics, never rows — no rows field, no group under
// the minimum size, no filter or group on a key, no range over text, no min/max of text.
func TestAggregatesOnlyRules(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "mgr", Name: "局领导", Role: catalog.RoleManager,
		Clearance: schemas.General2, TokenHash: catalog.HashToken("mgr-token")}))

	// Five rows in all: the total is shown, groups of fewer than five are not.
	data := f.mustDo("mgr", `{ air_station_hourly_aggregate { count avg { pm25 } } }`)
	assert.JSONEq(t, `[{"count":5,"avg":{"pm25":41.9375}}]`, jsonOf(t, data["air_station_hourly_aggregate"]))
	data = f.mustDo("mgr", `{ air_station_hourly_aggregate(groupBy: [district]) { group { district } count } }`)
	assert.JSONEq(t, `[]`, jsonOf(t, data["air_station_hourly_aggregate"]), "every district has under five rows")
	data = f.mustDo("mgr", `{ air_station_hourly_aggregate(where: {district: {eq: "500103"}}) { count max { pm25 } } }`)
	assert.JSONEq(t, `[]`, jsonOf(t, data["air_station_hourly_aggregate"]), "a filtered total under five rows")

	for q, want := range map[string]string{
		`{ air_station_hourly { pm25 } }`:                                                  "字段 air_station_hourly 不存在",
		`{ air_station_hourly_aggregate(groupBy: [station]) { count } }`:                   "不能按主键字段 station 分组",
		`{ air_station_hourly_aggregate(where: {station: {eq: "S1"}}) { count } }`:         "不能按主键字段 station 过滤",
		`{ air_station_hourly_aggregate(where: {district: {lt: "500105"}}) { count } }`:    "不能对文本字段 district 做范围比较",
		`{ air_station_hourly_aggregate { min { district } } }`:                            "不能取文本字段 district 的最小值或最大值",
		`{ air_station_hourly_aggregate(where: {or: [{station: {gt: "S1"}}]}) { count } }`: "不能按主键字段 station 过滤",
		`{ air_station_hourly_aggregate(where: {district: {like: "5001%"}}) { count } }`:   "不能对文本字段 district 做范围比较",
		`{ air_station_hourly_aggregate(where: {not: {station: {ne: "S1"}}}) { count } }`:  "不能按主键字段 station 过滤",
	} {
		_, errs := f.do("mgr", q, nil)
		require.NotEmpty(t, errs, q)
		assert.Contains(t, jsonOf(t, errs), want, q)
	}

	// The same questions are open to a reader of rows.
	f.mustDo(hiPrincipal, `{ air_station_hourly_aggregate(groupBy: [station], where: {district: {lt: "500105"}}) { count min { district } } }`)
}
