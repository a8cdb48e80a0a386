package query

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVisibility(t *testing.T) {
	f := newFixture(t)

	t.Run("entries", func(t *testing.T) {
		codes := func(id string) string {
			data := f.mustDo(id, `{ entries { resourceCode } }`)
			return jsonOf(t, data["entries"])
		}
		assert.JSONEq(t, `[{"resourceCode":"0101/000001"},{"resourceCode":"0102/000001"}]`, codes(lowPrincipal))
		assert.JSONEq(t, `[{"resourceCode":"0101/000001"},{"resourceCode":"0102/000001"},{"resourceCode":"07/000001"},{"resourceCode":"07/000002"}]`, codes(hiPrincipal))
	})

	t.Run("entry by code", func(t *testing.T) {
		q := `{ entry(code: "07/000001") { name grade { id name } items { field grade { id } } } }`
		data := f.mustDo(lowPrincipal, q)
		assert.Nil(t, data["entry"])
		data = f.mustDo(hiPrincipal, q)
		assert.JSONEq(t, `{"name":"企业行政处罚","grade":{"id":"IMPORTANT","name":"重要数据"},"items":[{"field":"company","grade":{"id":"GENERAL_2"}},{"field":"amount","grade":{"id":"IMPORTANT"}}]}`, jsonOf(t, data["entry"]))
	})

	t.Run("query fields", func(t *testing.T) {
		for _, q := range []string{`{ enterprise_penalty { company } }`, `{ enterprise_penalty_aggregate { count } }`} {
			errs := f.errors(lowPrincipal, q, nil)
			require.NotEmpty(t, errs)
			assert.Contains(t, errs[0].Message, "查询校验失败: 字段 enterprise_penalty")
			assert.Contains(t, errs[0].Extensions["graphql"], `Cannot query field "enterprise_penalty`)
		}
		data := f.mustDo(hiPrincipal, `{ enterprise_penalty(orderBy: [{field: amount, direction: DESC}]) { company amount } }`)
		assert.JSONEq(t, `[{"company":"某化工有限公司","amount":200000},{"company":"某建材有限公司","amount":50000}]`, jsonOf(t, data["enterprise_penalty"]))
	})

	t.Run("introspection", func(t *testing.T) {
		q := `{ __schema { types { name } queryType { fields { name } } } }`
		low := jsonOf(t, f.mustDo(lowPrincipal, q))
		high := jsonOf(t, f.mustDo(hiPrincipal, q))
		for _, name := range []string{"EnterprisePenalty", "enterprise_penalty", "企业行政处罚", "EnterprisePenaltyWhere"} {
			assert.NotContains(t, low, name)
		}
		assert.Contains(t, low, "AirStationHourly")
		assert.Contains(t, high, `"EnterprisePenalty"`)
		assert.Contains(t, high, `"enterprise_penalty_aggregate"`)
		typ := f.mustDo(lowPrincipal, `{ __type(name: "EnterprisePenalty") { name } }`)
		assert.Nil(t, typ["__type"])
	})

	t.Run("collection rate lagging", func(t *testing.T) {
		q := `{ collectionRate { numerator denominator rate lagging { entry name reason } byDepartment { key numerator denominator } } }`
		low := f.mustDo(lowPrincipal, q)["collectionRate"].(map[string]any)
		high := f.mustDo(hiPrincipal, q)["collectionRate"].(map[string]any)
		// The figure is computed over the entries that exist for the reader: hidden entries are in
		// neither count nor breakdown, so nothing about them can be inferred (a department's 1/2
		// would otherwise name its hidden lagging entry).
		assert.EqualValues(t, 2, high["numerator"])
		assert.EqualValues(t, 4, high["denominator"])
		assert.EqualValues(t, 1, low["numerator"])
		assert.EqualValues(t, 2, low["denominator"])
		assert.JSONEq(t, `[{"key":"AIR_DIV","numerator":1,"denominator":2}]`, jsonOf(t, low["byDepartment"]))
		assert.NotContains(t, jsonOf(t, low), "LAW_CORPS")
		assert.JSONEq(t, `[{"entry":"0102/000001","name":"地表水月报","reason":"NEVER_LOADED"}]`, jsonOf(t, low["lagging"]))
		assert.Contains(t, jsonOf(t, high["lagging"]), "噪声投诉秘密台账")
		assert.NotContains(t, jsonOf(t, low), "噪声投诉秘密台账")
	})
}

func TestCollectionRate(t *testing.T) {
	f := newFixture(t)
	want := f.cat.View().CollectionRate(fixedNow)
	data := f.mustDo(hiPrincipal, `{ collectionRate { rate numerator denominator itemRate itemNumerator itemDenominator
		byDomain { key name numerator denominator rate } bySourceKind { key name } byDistrict { key name } lagging { entry reasonText since lastLoad } } }`)
	got := data["collectionRate"].(map[string]any)
	assert.EqualValues(t, 2, got["numerator"])
	assert.EqualValues(t, want.Numerator, got["numerator"])
	assert.EqualValues(t, want.Denominator, got["denominator"])
	assert.InDelta(t, want.Rate, got["rate"], 1e-9)
	assert.EqualValues(t, want.ItemNumerator, got["itemNumerator"])
	assert.EqualValues(t, want.ItemDenominator, got["itemDenominator"])
	assert.Len(t, got["byDomain"], len(want.ByDomain))
	assert.Len(t, got["lagging"], 2)
	assert.Contains(t, jsonOf(t, got["byDomain"]), "治气")

	// Time moves on: the daily entries become stale and the figure says since when.
	f.now = fixedNow.AddDate(0, 0, 5)
	data = f.mustDo(hiPrincipal, `{ collectionRate { numerator lagging { entry reason since lastLoad } } }`)
	got = data["collectionRate"].(map[string]any)
	assert.EqualValues(t, 0, got["numerator"])
	assert.Contains(t, jsonOf(t, got["lagging"]), `"reason":"STALE"`)
}

// TestCollectionRateLaggingPages: the lagging list comes a page at a time in resource-code
// order, after the last code of the page before, with its count beside it; a page larger than
// the cap is refused in Chinese.
func TestCollectionRateLaggingPages(t *testing.T) {
	f := newFixture(t)
	entries := func(v any) []string {
		var out []string
		for _, l := range v.([]any) {
			out = append(out, l.(map[string]any)["entry"].(string))
		}
		return out
	}
	all := f.mustDo(hiPrincipal, `{ collectionRate { numerator denominator laggingCount lagging { entry } } }`)["collectionRate"].(map[string]any)
	want := entries(all["lagging"])
	require.Len(t, want, 2)
	assert.EqualValues(t, 2, all["laggingCount"])
	assert.Equal(t, all["denominator"].(float64)-all["numerator"].(float64), all["laggingCount"])
	assert.IsIncreasing(t, want, "in resource-code order")

	first := f.mustDo(hiPrincipal, `{ collectionRate { lagging(first: 1) { entry } } }`)["collectionRate"].(map[string]any)
	assert.Equal(t, want[:1], entries(first["lagging"]))
	next := f.mustDo(hiPrincipal, fmt.Sprintf(`{ collectionRate { lagging(first: 1, after: %q) { entry } } }`, want[0]))["collectionRate"].(map[string]any)
	assert.Equal(t, want[1:], entries(next["lagging"]))
	last := f.mustDo(hiPrincipal, fmt.Sprintf(`{ collectionRate { lagging(first: 1, after: %q) { entry } } }`, want[1]))["collectionRate"].(map[string]any)
	assert.Empty(t, last["lagging"], "nothing after the last lagging entry")

	// The low-clearance reader's count and list hold only its own entries.
	low := f.mustDo(lowPrincipal, `{ collectionRate { laggingCount lagging(first: 500) { entry } } }`)["collectionRate"].(map[string]any)
	assert.EqualValues(t, 1, low["laggingCount"])
	assert.Equal(t, []string{"0102/000001"}, entries(low["lagging"]))

	for q, msg := range map[string]string{
		`{ collectionRate { lagging(first: 501) { entry } } }`: "参数 first 应在 1 到 500 之间, 而不是 501",
		`{ collectionRate { lagging(first: 0) { entry } } }`:   "参数 first 应在 1 到 500 之间, 而不是 0",
	} {
		_, errs := f.do(hiPrincipal, q, nil)
		require.Len(t, errs, 1, q)
		assert.Contains(t, errs[0], msg)
	}
}

func TestHandler(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler())
	defer srv.Close()
	post := func(token, body string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp, b.String()
	}
	body := `{"query":"query($c: String!) { entry(code: $c) { name } }","variables":{"c":"0101/000001"}}`

	resp, text := post("", body)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.JSONEq(t, `{"errors":[{"message":"未认证: 缺少 Bearer 令牌"}]}`, text)
	resp, text = post("wrong-token", body)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, text, "未认证")

	resp, text = post(lowToken, body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"data":{"entry":{"name":"空气质量监测站小时数据"}}}`, text)

	resp, text = post(lowToken, `{"query": 42}`)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, text, "请求无效")

	req, err := http.NewRequest(http.MethodGet, srv.URL+"?query="+url.QueryEscape(`{ entries { table } }`), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+lowToken)
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer r2.Body.Close()
	assert.Equal(t, http.StatusOK, r2.StatusCode)

	// The audit line names the user and the fields asked for.
	assert.Contains(t, f.logBuf.String(), `"user":"app-low"`)
	assert.Contains(t, f.logBuf.String(), `"fields":["entries"]`)
}

func TestDoRefusesAndTimesOut(t *testing.T) {
	f := newFixture(t)
	p := f.principal(lowPrincipal)
	p.Disabled = true
	res := f.svc.Do(f.ctx, p, Request{Query: `{ entries { table } }`})
	require.Len(t, res.Errors, 1)
	assert.Contains(t, res.Errors[0].Message, "未认证")
	assert.Nil(t, res.Data)

	f.svc.cfg.Timeout = time.Nanosecond
	res = f.svc.Do(f.ctx, f.principal(lowPrincipal), Request{Query: `{ air_station_hourly { station } }`})
	require.Len(t, res.Errors, 1)
	assert.Contains(t, res.Errors[0].Message, "查询超时")
}
