package query

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStrictVariables: a variable of a built-in scalar type (or Long) whose JSON value is not of
// that type is refused, naming the variable and where in it the value sits. graphql-go alone
// reads "' OR '1'='1" as true.
func TestStrictVariables(t *testing.T) {
	f := newFixture(t)
	byFlag := `query($b: Boolean!) { air_station_hourly(where: {valid: {eq: $b}}, orderBy: [{field: station}]) { station } }`
	rows := `query($w: AirStationHourlyWhere, $n: Int) { air_station_hourly(where: $w, limit: $n, orderBy: [{field: station}]) { station } }`
	type obj = map[string]any
	cases := []struct {
		name, query string
		vars        obj
		msg         string
	}{
		{"boolean from a string", byFlag, obj{"b": "' OR '1'='1"}, "变量 $b 的值无效: 应为 Boolean (true 或 false), 实际为字符串"},
		{"boolean from \"false\"", byFlag, obj{"b": "false"}, "变量 $b 的值无效: 应为 Boolean"},
		{"boolean from a number", byFlag, obj{"b": int64(1)}, "应为 Boolean (true 或 false), 实际为 1 (数字)"},
		{"boolean inside an input object", rows, obj{"w": obj{"valid": obj{"eq": "true"}}}, "变量 $w 中 valid.eq 的值无效: 应为 Boolean"},
		{"boolean inside lists and objects", rows, obj{"w": obj{"and": []any{obj{"station": obj{"eq": "S1"}}, obj{"valid": obj{"in": []any{true, "x"}}}}}},
			"变量 $w 中 and[1].valid.in[1] 的值无效: 应为 Boolean (true 或 false), 实际为字符串"},
		{"int from a string", rows, obj{"n": "5"}, "变量 $n 的值无效: 应为 Int (32 位整数), 实际为字符串"},
		{"int from a fraction", rows, obj{"n": 1.5}, "应为 Int (32 位整数), 实际为 1.5 (数字)"},
		{"int beyond 32 bits", rows, obj{"n": int64(1) << 40}, "应为 Int (32 位整数)"},
		{"string from a number", rows, obj{"w": obj{"station": obj{"eq": int64(5)}}}, "变量 $w 中 station.eq 的值无效: 应为 String (字符串), 实际为 5 (数字)"},
		{"string from an object", rows, obj{"w": obj{"station": obj{"in": []any{obj{}}}}}, "station.in[0] 的值无效: 应为 String (字符串), 实际为对象"},
		{"float from a string", rows, obj{"w": obj{"pm25": obj{"gt": "1.5"}}}, "变量 $w 中 pm25.gt 的值无效: 应为 Float (数字), 实际为字符串"},
		{"long from text that is no integer", rows, obj{"w": obj{"aqi": obj{"gte": "5e9"}}}, "aqi.gte 的值无效: 应为 Long (64 位整数或整数字符串), 实际为字符串"},
		{"long from a boolean", rows, obj{"w": obj{"aqi": obj{"gte": true}}}, "应为 Long (64 位整数或整数字符串), 实际为布尔值"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: c.query, Variables: c.vars})
			require.Len(t, res.Errors, 1, "rows: %v", res.Data)
			assert.Contains(t, res.Errors[0].Message, c.msg)
			assert.Equal(t, codeBadInput, res.Errors[0].Extensions["code"])
			assert.Nil(t, res.Data)
		})
	}

	// Values of the declared types still work, numbers in any Go or JSON form.
	data, errs := f.do(hiPrincipal, byFlag, obj{"b": false})
	require.Empty(t, errs)
	assert.JSONEq(t, `[{"station":"S2"}]`, jsonOf(t, data["air_station_hourly"]))
	data, errs = f.do(hiPrincipal, rows, obj{"w": obj{"pm25": obj{"gt": int64(36)}, "valid": obj{"in": []any{true}}}, "n": float64(5)})
	require.Empty(t, errs)
	assert.JSONEq(t, `[{"station":"S1"}]`, jsonOf(t, data["air_station_hourly"]))
	data, errs = f.do(hiPrincipal, rows, obj{"w": obj{"aqi": obj{"gte": json.Number("4999999999")}}, "n": int64(1)})
	require.Empty(t, errs)
	assert.JSONEq(t, `[{"station":"x' OR '1'='1"}]`, jsonOf(t, data["air_station_hourly"]))
}

func TestScalarFits(t *testing.T) {
	cases := []struct {
		scalar string
		v      any
		ok     bool
	}{
		{"Boolean", true, true}, {"Boolean", "true", false}, {"Boolean", 0, false},
		{"Int", 7, true}, {"Int", int64(-1 << 31), true}, {"Int", int64(1 << 31), false}, {"Int", 2.0, true}, {"Int", 2.5, false},
		{"Int", json.Number("12"), true}, {"Int", "12", false}, {"Int", true, false},
		{"Float", 2.5, true}, {"Float", 3, true}, {"Float", json.Number("1e3"), true}, {"Float", "2.5", false},
		{"String", "x", true}, {"String", 1, false}, {"String", []any{"x"}, false},
		{"ID", "a1", true}, {"ID", int64(42), true}, {"ID", 4.2, false}, {"ID", false, false},
		{"Long", int64(1) << 62, true}, {"Long", "-9223372036854775808", true}, {"Long", "9223372036854775808", false},
		{"Long", 1e30, false}, {"Long", "12abc", false}, {"Long", uint64(1) << 63, false},
		{"AirStationHourlyField", 12, true}, // other types parse their own values
	}
	for _, c := range cases {
		assert.Equal(t, c.ok, scalarFits(c.scalar, c.v) == "", "%s %#v", c.scalar, c.v)
	}
}

func TestVariablesAreBounded(t *testing.T) {
	f := newFixture(t)
	q := `query($s: String) { air_station_hourly(where: {station: {eq: $s}}) { station } }`
	errs := f.errors(lowPrincipal, q, map[string]any{"s": strings.Repeat("x", 300<<10)})
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Message, "变量过大: 约 307209 字节, 上限 262144 字节")
	assert.Equal(t, "maxVariableBytes", errs[0].Extensions["limit"])

	var deep any = "x"
	for range 100 {
		deep = []any{deep}
	}
	errs = f.errors(lowPrincipal, `query($s: [String]) { air_station_hourly(where: {station: {in: $s}}) { station } }`, map[string]any{"s": deep})
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Message, "变量嵌套过深: 100 层, 上限 64 层")
	assert.Equal(t, codeTooComplex, errs[0].Extensions["code"])
}
