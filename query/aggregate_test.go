package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAggregates(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ name, query, want string }{
		{"count only",
			`{ air_station_hourly_aggregate { count } }`,
			`[{"count":5}]`},
		{"group by station",
			`{ air_station_hourly_aggregate(groupBy: [station]) { group { station } count sum { pm25 aqi } avg { pm25 } min { observed_at } max { aqi obs_date } } }`,
			`[{"group":{"station":"S1"},"count":2,"sum":{"pm25":75.5,"aqi":110},"avg":{"pm25":37.75},"min":{"observed_at":"2025-05-31T01:00:00"},"max":{"aqi":60,"obs_date":"2025-05-31"}},
			  {"group":{"station":"S2"},"count":2,"sum":{"pm25":80.25,"aqi":110},"avg":{"pm25":80.25},"min":{"observed_at":"2025-05-31T01:00:00"},"max":{"aqi":110,"obs_date":"2025-05-31"}},
			  {"group":{"station":"x' OR '1'='1"},"count":1,"sum":{"pm25":12,"aqi":5000000000},"avg":{"pm25":12},"min":{"observed_at":"2025-05-30T23:00:00"},"max":{"aqi":5000000000,"obs_date":"2025-05-30"}}]`},
		{"where and two group fields with nulls",
			`{ air_station_hourly_aggregate(where: {station: {eq: "S2"}}, groupBy: [district, valid]) { group { district valid } count } }`,
			`[{"group":{"district":"江北区","valid":false},"count":1},{"group":{"district":"江北区","valid":null},"count":1}]`},
		{"aliases and fragments",
			`{ air_station_hourly_aggregate { ... on AirStationHourlyAggregate { a: sum { pm25 } b: sum { aqi } } } }`,
			`[{"a":{"pm25":167.75},"b":{"aqi":5000000220}}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := f.mustDo(lowPrincipal, c.query)
			assert.JSONEq(t, c.want, jsonOf(t, data["air_station_hourly_aggregate"]))
		})
	}
}

// TestMinMaxOfABoolean: min and max are typed as the row, which has the boolean items too; a
// boolean has no order, and asking for its minimum is refused with the item named.
func TestMinMaxOfABoolean(t *testing.T) {
	f := newFixture(t)
	_, errs := f.do(lowPrincipal, `{ air_station_hourly_aggregate { max { valid } } }`, nil)
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "字段 valid 不支持 max")
}

// TestMinMaxOfACodeName: the name of a coded item under min or max computes the code's extreme
// (once, when the code is asked for too); under sum it is not an item and asks for nothing.
func TestMinMaxOfACodeName(t *testing.T) {
	e := baseEntry("0101/000001", "air_station_hourly", "空气", airItems())
	p, err := aggregatePlan(Config{}, e, map[string]any{}, selection{
		"min": {"districtName": true}, "max": {"district": true, "districtName": true}, "sum": {"districtName": true}})
	require.NoError(t, err)
	var got []string
	for _, a := range p.Aggs {
		got = append(got, string(a.Func)+"("+a.Column.Field+")")
	}
	assert.Equal(t, []string{"min(district)", "max(district)"}, got)
}

func TestAggregateGroupCap(t *testing.T) {
	f := newFixture(t)
	f.svc.cfg.MaxLimit = 2
	_, errs := f.do(lowPrincipal, `{ air_station_hourly_aggregate(groupBy: [station]) { count } }`, nil)
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "分组数超过上限 2")
}

// TestInjection sends SQL in every user value; each must be bound as data, never run as text.
func TestInjection(t *testing.T) {
	f := newFixture(t)
	evil := `x' OR '1'='1`
	t.Run("eq matches only the literal value", func(t *testing.T) {
		data, errs := f.do(lowPrincipal, `query($v: String) { air_station_hourly(where: {station: {eq: $v}}) { station } }`, map[string]any{"v": evil})
		require.Empty(t, errs)
		assert.JSONEq(t, `[{"station":"x' OR '1'='1"}]`, jsonOf(t, data["air_station_hourly"]))
		data, errs = f.do(lowPrincipal, `query($v: String) { air_station_hourly(where: {station: {eq: $v}}) { station } }`, map[string]any{"v": `S1' OR 'a'='a`})
		require.Empty(t, errs)
		assert.Equal(t, `[]`, jsonOf(t, data["air_station_hourly"]))
	})
	t.Run("in", func(t *testing.T) {
		data, errs := f.do(lowPrincipal, `query($v: [String!]) { air_station_hourly(where: {district: {in: $v}}) { station } }`,
			map[string]any{"v": []any{`渝中区') OR 1=1 --`, `"; SELECT 1; --`}})
		require.Empty(t, errs)
		assert.Equal(t, `[]`, jsonOf(t, data["air_station_hourly"]))
	})
	t.Run("range and date", func(t *testing.T) {
		_, errs := f.do(lowPrincipal, `{ air_station_hourly(where: {obs_date: {gt: "2025-01-01' OR 1=1 --"}}) { station } }`, nil)
		require.NotEmpty(t, errs)
		assert.Contains(t, errs[0], "不是有效的日期")
	})
	t.Run("order by", func(t *testing.T) {
		_, errs := f.do(lowPrincipal, `query($o: [AirStationHourlyOrderBy!]) { air_station_hourly(orderBy: $o) { station } }`,
			map[string]any{"o": []any{map[string]any{"field": `station"; DROP TABLE x; --`}}})
		require.NotEmpty(t, errs)
		assert.Contains(t, errs[0], "变量 $o 的值无效 (field: 应为 AirStationHourlyField 类型)")
	})
	t.Run("group by", func(t *testing.T) {
		_, errs := f.do(lowPrincipal, `query($g: [AirStationHourlyField!]) { air_station_hourly_aggregate(groupBy: $g) { count } }`,
			map[string]any{"g": []any{`station, (SELECT 1)`}})
		require.NotEmpty(t, errs)
		assert.Contains(t, errs[0], "变量 $g 的值无效 (应为 AirStationHourlyField 类型)")
	})
	// Whatever was sent, the data is intact and the service still answers.
	data := f.mustDo(lowPrincipal, `{ air_station_hourly_aggregate { count } }`)
	assert.JSONEq(t, `[{"count":5}]`, jsonOf(t, data["air_station_hourly_aggregate"]))
}
