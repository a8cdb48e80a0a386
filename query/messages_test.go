package query

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/graphql-go/graphql/language/location"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGraphQLErrorsLeadInChinese(t *testing.T) {
	f := newFixture(t)

	t.Run("syntax", func(t *testing.T) {
		errs := f.errors(lowPrincipal, "{\n  air_station_hourly { station }\n  x(", nil)
		require.Len(t, errs, 1)
		assert.Equal(t, "查询语法错误 (第 3 行第 5 列)", errs[0].Message)
		assert.Equal(t, []location.SourceLocation{{Line: 3, Column: 5}}, errs[0].Locations)
		assert.Equal(t, codeSyntax, errs[0].Extensions["code"])
		assert.Contains(t, errs[0].Extensions["graphql"], "Syntax Error GraphQL request (3:5) Expected Name, found EOF")
	})

	t.Run("validation, located on its line", func(t *testing.T) {
		errs := f.errors(lowPrincipal, "{\n  air_station_hourly {\n    nope\n  }\n}", nil)
		require.Len(t, errs, 1)
		assert.Equal(t, "查询校验失败: 字段 nope 不存在 (类型 AirStationHourly)", errs[0].Message)
		assert.Equal(t, []location.SourceLocation{{Line: 3, Column: 5}}, errs[0].Locations)
		assert.Equal(t, codeValidation, errs[0].Extensions["code"])
		assert.Equal(t, `Cannot query field "nope" on type "AirStationHourly".`, errs[0].Extensions["graphql"])
	})

	t.Run("unknown argument and type", func(t *testing.T) {
		errs := f.errors(lowPrincipal, `query($x: Nope) { air_station_hourly(nope: 1) { station } }`, nil)
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Message)
		}
		assert.Contains(t, msgs, "查询校验失败: 字段 air_station_hourly 没有参数 nope")
		assert.Contains(t, msgs, "查询校验失败: 类型 Nope 不存在")
		assert.Contains(t, msgs, "查询校验失败: 变量 $x 未被使用")
	})

	t.Run("execution", func(t *testing.T) {
		res := f.svc.Do(f.ctx, f.principal(lowPrincipal), Request{Query: `query A { entries { table } } query B { entries { name } }`})
		require.Len(t, res.Errors, 1)
		assert.Equal(t, "文档包含多个操作, 须以 operationName 指明执行哪一个", res.Errors[0].Message)
		assert.Equal(t, codeBadInput, res.Errors[0].Extensions["code"])
		res = f.svc.Do(f.ctx, f.principal(lowPrincipal), Request{Query: `query($n: Int!) { air_station_hourly(limit: $n) { station } }`})
		require.Len(t, res.Errors, 1)
		assert.Equal(t, "缺少必需的变量 $n (类型 Int!)", res.Errors[0].Message)
	})

	t.Run("resolver messages stay as they are", func(t *testing.T) {
		errs := f.errors(hiPrincipal, `{ air_station_hourly(limit: 1001) { station } }`, nil)
		require.Len(t, errs, 1)
		assert.Equal(t, "limit 不能超过 1000 (请求为 1001)", errs[0].Message)
		assert.NotContains(t, errs[0].Extensions, "graphql")
		assert.Equal(t, []location.SourceLocation{{Line: 1, Column: 3}}, errs[0].Locations)
	})
}

func TestErrorsAreBounded(t *testing.T) {
	f := newFixture(t)
	max := DefaultConfig().MaxErrorText

	t.Run("a long name is cut in message and extension", func(t *testing.T) {
		name := strings.Repeat("x", 4000)
		res := f.svc.Do(f.ctx, f.principal(lowPrincipal), Request{Query: "{ " + name + " }"})
		require.Len(t, res.Errors, 1)
		e := res.Errors[0]
		assert.True(t, strings.HasPrefix(e.Message, "查询校验失败: 字段 xxxx"), e.Message)
		assert.True(t, strings.HasSuffix(e.Message, "…"))
		assert.LessOrEqual(t, jsonSize(t, e.Message), max+2)
		assert.LessOrEqual(t, jsonSize(t, e.Extensions["graphql"]), max+2)
		assert.Less(t, jsonSize(t, res), 2<<10)
	})

	t.Run("a variable's value is not echoed whole", func(t *testing.T) {
		q := `query($o: [AirStationHourlyOrderBy!]) { air_station_hourly(orderBy: $o) { station } }`
		res := f.svc.Do(f.ctx, f.principal(lowPrincipal), Request{Query: q,
			Variables: map[string]any{"o": []any{map[string]any{"field": strings.Repeat("station", 20000)}}}})
		require.Len(t, res.Errors, 1)
		assert.Equal(t, "变量 $o 的值无效 (field: 应为 AirStationHourlyField 类型)", res.Errors[0].Message)
		assert.Contains(t, res.Errors[0].Extensions["graphql"], `Variable "$o" got invalid value`)
		assert.Less(t, jsonSize(t, res), 2<<10)
	})

	t.Run("many errors are counted, not listed", func(t *testing.T) {
		var b strings.Builder
		for i := range 100 {
			fmt.Fprintf(&b, " x%d", i)
		}
		res := f.svc.Do(f.ctx, f.principal(lowPrincipal), Request{Query: "{" + b.String() + " }"})
		require.Len(t, res.Errors, 9)
		assert.Equal(t, "查询校验失败: 字段 x7 不存在 (类型 Query)", res.Errors[7].Message)
		assert.Equal(t, "另有 92 个错误未列出", res.Errors[8].Message)
	})
}

func TestCapText(t *testing.T) {
	cases := []struct {
		name, in string
		budget   int
		want     string
	}{
		{"short text stays", "abc", 10, "abc"},
		{"exactly the budget stays", "0123456789", 10, "0123456789"},
		{"ascii is cut with a mark", strings.Repeat("a", 20), 10, "aaaaaaa…"},
		{"html escapes count six bytes", strings.Repeat("<", 5), 20, "<<…"},
		{"quotes count two", `"""""`, 8, `""…`},
		{"control characters count six", strings.Repeat("\x01", 4), 20, "\x01\x01…"},
		{"Chinese is cut between runes", "查询语法错误", 10, "查询…"},
		{"invalid UTF-8 counts as an escape", strings.Repeat("\xff", 4), 20, "\xff\xff…"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := capText(c.in, c.budget)
			assert.Equal(t, c.want, got)
			b, err := json.Marshal(got)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(b)-2, c.budget)
			if utf8.ValidString(c.in) {
				assert.True(t, utf8.ValidString(got))
			}
		})
	}
}
