package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRows(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name, query, want string
	}{
		{"default order by keys",
			`{ air_station_hourly { station observed_at } }`,
			`[{"observed_at":"2025-05-31T01:00:00","station":"S1"},{"observed_at":"2025-05-31T02:00:00","station":"S1"},{"observed_at":"2025-05-31T01:00:00","station":"S2"},{"observed_at":"2025-05-31T02:00:00","station":"S2"},{"observed_at":"2025-05-30T23:00:00","station":"x' OR '1'='1"}]`},
		{"eq string",
			`{ air_station_hourly(where: {station: {eq: "S2"}}) { station pm25 aqi valid } }`,
			`[{"aqi":110,"pm25":80.25,"station":"S2","valid":false},{"aqi":null,"pm25":null,"station":"S2","valid":null}]`},
		{"in and range on float, order desc",
			`{ air_station_hourly(where: {station: {in: ["S1", "S2"]}, pm25: {gte: 36}}, orderBy: [{field: pm25, direction: DESC}]) { station pm25 } }`,
			`[{"pm25":80.25,"station":"S2"},{"pm25":40,"station":"S1"}]`},
		{"long beyond 2^31",
			`{ air_station_hourly(where: {aqi: {gt: 4294967296}}) { station aqi } }`,
			`[{"aqi":5000000000,"station":"x' OR '1'='1"}]`},
		{"timestamp and date",
			`{ air_station_hourly(where: {observed_at: {lt: "2025-05-31T01:30:00"}, obs_date: {eq: "2025-05-31"}}) { station obs_date observed_at } }`,
			`[{"obs_date":"2025-05-31","observed_at":"2025-05-31T01:00:00","station":"S1"},{"obs_date":"2025-05-31","observed_at":"2025-05-31T01:00:00","station":"S2"}]`},
		{"isNull and bool",
			`{ a: air_station_hourly(where: {pm25: {isNull: true}}) { station } b: air_station_hourly(where: {valid: {eq: false}}) { station } }`,
			``},
		{"or list",
			`{ air_station_hourly(where: {or: [{aqi: {eq: 50}}, {district: {eq: "渝北区"}}]}, orderBy: [{field: aqi}]) { aqi } }`,
			`[{"aqi":50},{"aqi":5000000000}]`},
		{"and list with nested or",
			`{ air_station_hourly(where: {and: [{station: {eq: "S1"}}, {or: [{aqi: {eq: 60}}, {aqi: {eq: 110}}]}]}) { aqi } }`,
			`[{"aqi":60}]`},
		{"empty or is false",
			`{ air_station_hourly(where: {or: []}) { aqi } }`,
			`[]`},
		{"limit and offset",
			`{ air_station_hourly(orderBy: [{field: observed_at, direction: DESC}, {field: station}], limit: 2, offset: 1) { station observed_at } }`,
			`[{"observed_at":"2025-05-31T02:00:00","station":"S2"},{"observed_at":"2025-05-31T01:00:00","station":"S1"}]`},
		{"ne leaves nulls out",
			`{ air_station_hourly(where: {station: {eq: "S2"}, aqi: {ne: 110}}) { station aqi } }`,
			`[]`},
		{"like is a bound pattern",
			`{ air_station_hourly(where: {district: {like: "渝%区"}}, orderBy: [{field: aqi}]) { district aqi } }`,
			`[{"aqi":50,"district":"渝中区"},{"aqi":60,"district":"渝中区"},{"aqi":5000000000,"district":"渝北区"}]`},
		{"like escapes and quotes stay values",
			`{ a: air_station_hourly(where: {station: {like: "x' OR%"}}) { station } b: air_station_hourly(where: {station: {like: "S\\_"}}) { station } }`,
			``},
		{"not",
			`{ air_station_hourly(where: {not: {or: [{station: {eq: "S1"}}, {aqi: {isNull: true}}]}}) { station aqi } }`,
			`[{"aqi":110,"station":"S2"},{"aqi":5000000000,"station":"x' OR '1'='1"}]`},
		{"fragment selects columns",
			`query { air_station_hourly(limit: 1) { ...F } } fragment F on AirStationHourly { station district }`,
			`[{"district":"渝中区","station":"S1"}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := f.mustDo(hiPrincipal, c.query)
			if c.name == "like escapes and quotes stay values" {
				assert.Equal(t, `[{"station":"x' OR '1'='1"}]`, jsonOf(t, data["a"]))
				assert.Equal(t, `[]`, jsonOf(t, data["b"]), `S\_ is S and a literal underscore`)
				return
			}
			if c.want == "" {
				assert.Equal(t, `[{"station":"S2"}]`, jsonOf(t, data["a"]))
				assert.Equal(t, `[{"station":"S2"}]`, jsonOf(t, data["b"]))
				return
			}
			assert.JSONEq(t, c.want, jsonOf(t, data["air_station_hourly"]))
		})
	}
}

func TestRowsArgumentErrors(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ name, query, want string }{
		{"limit above max", `{ air_station_hourly(limit: 1001) { station } }`, "limit 不能超过 1000 (请求为 1001)"},
		{"negative limit", `{ air_station_hourly(limit: -1) { station } }`, "limit 不能为负数"},
		{"negative offset", `{ air_station_hourly(offset: -5) { station } }`, "offset 不能为负数 (请求为 -5)"},
		{"bad date", `{ air_station_hourly(where: {obs_date: {eq: "明天"}}) { station } }`, "不是有效的日期"},
		{"range on bool is not in the schema", `{ air_station_hourly(where: {valid: {gt: true}}) { station } }`, "参数 where 的值无效 (valid.gt: 未知字段)"},
		{"unknown field", `{ air_station_hourly(where: {nope: {eq: 1}}) { station } }`, "参数 where 的值无效 (nope: 未知字段)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, errs := f.do(hiPrincipal, c.query, nil)
			require.NotEmpty(t, errs)
			assert.Contains(t, errs[0], c.want)
			assert.Nil(t, data["air_station_hourly"])
		})
	}
}

// TestNullFilterIsRefused: a filter whose value arrives as null (an unset or null variable) must
// not quietly match every row.
func TestNullFilterIsRefused(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"eq from a null variable", `query($s: String) { air_station_hourly(where: {station: {eq: $s}}) { station } }`, map[string]any{"s": nil}},
		{"eq from an unset variable", `query($s: String) { air_station_hourly(where: {station: {eq: $s}}) { station } }`, nil},
		{"in from a null variable", `query($s: [String!]) { air_station_hourly(where: {station: {in: $s}}) { station } }`, map[string]any{"s": nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, errs := f.do(hiPrincipal, c.query, c.vars)
			if len(errs) == 0 {
				t.Fatalf("a null filter was accepted and returned %v", data["air_station_hourly"])
			}
			assert.Contains(t, errs[0], "null")
		})
	}
}

func TestVariablesAndLong(t *testing.T) {
	f := newFixture(t)
	q := `query Q($min: Long!, $s: [String!]) { air_station_hourly(where: {aqi: {gte: $min}, station: {in: $s}}) { station aqi } }`
	data, errs := f.do(hiPrincipal, q, map[string]any{"min": "4999999999", "s": []any{"x' OR '1'='1", "S1"}})
	require.Empty(t, errs)
	assert.JSONEq(t, `[{"aqi":5000000000,"station":"x' OR '1'='1"}]`, jsonOf(t, data["air_station_hourly"]))
}
