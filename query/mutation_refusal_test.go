package query

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// operations on an existing entry, each with the principal that would be entitled to it were the
// entry visible to it.
var entryOperations = []struct{ name, as, doc string }{
	{"editEntry", stewardLow, `mutation($c: String!) { editEntry(code: $c, base: 1, input: {abstract: "改"}) { name } }`},
	{"submitEntry", stewardLow, `mutation($c: String!) { submitEntry(code: $c, base: 1) { name } }`},
	{"approveEntry", reviewerLow, `mutation($c: String!) { approveEntry(code: $c, base: 1) { name } }`},
	{"sendBackEntry", reviewerLow, `mutation($c: String!) { sendBackEntry(code: $c, base: 1, comment: "退回") { name } }`},
	{"retireEntry", stewardLow, `mutation($c: String!) { retireEntry(code: $c, base: 1, reason: "停用") { name } }`},
	{"restoreEntry", stewardLow, `mutation($c: String!) { restoreEntry(code: $c, base: 1, reason: "恢复") { name } }`},
	{"gradeEntry", stewardLow, `mutation($c: String!) { gradeEntry(code: $c, base: 1, items: [{field: "pm25", grade: "GENERAL_1"}], reason: "降级") { pending } }`},
}

func TestMutationOnEntryAboveClearanceIsNotFound(t *testing.T) {
	f := newWorkflowFixture(t)
	const missing = "0101/999999"
	// airCode is 一般数据2级: it does not exist for a principal cleared for 1级 only, on every
	// operation, answered word for word as for an entry that does not exist at all.
	for _, op := range entryOperations {
		hidden := f.refused(op.as, "NOT_FOUND", op.doc, map[string]any{"c": airCode})
		absent := f.refused(op.as, "NOT_FOUND", op.doc, map[string]any{"c": missing})
		assert.Equal(t, strings.ReplaceAll(absent.Message, missing, airCode), hidden.Message, op.name)
		assert.NotContains(t, hidden.Message, "空气质量", op.name)
	}
	// Nothing was changed.
	e, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	assert.Equal(t, "PUBLISHED", e.Status)
	assert.Equal(t, "空气质量监测站小时数据数据", e.Abstract)

	// Reads: entry(code) is null, and nothing lists it.
	data := f.ok(stewardLow, `query($c: String!) { entry(code: $c) { name history { action } } }`, map[string]any{"c": airCode})
	assert.Nil(t, data["entry"])
	code := f.create(stewardAir, newEntryInput("细颗粒物站点明细")) // 一般数据2级
	f.ok(stewardAir, mSubmit, cb(code, f.rev(stewardAir, code)))
	assert.JSONEq(t, `[{"resourceCode":"`+code+`"}]`, jsonOf(t, at(f.ok(reviewerID, `{ pendingReview { resourceCode } }`, nil), "pendingReview")))
	assert.JSONEq(t, `[]`, jsonOf(t, at(f.ok(reviewerLow, `{ pendingReview { resourceCode } }`, nil), "pendingReview")))
}

func TestMutationByAnalystRefused(t *testing.T) {
	f := newWorkflowFixture(t)
	err := f.refused(analystID, "FORBIDDEN", mCreate, map[string]any{"in": newEntryInput("分析员登记")})
	assert.Contains(t, err.Message, "无权登记或修改目录")
	for _, doc := range []string{
		`mutation($c: String!, $b: Long!) { editEntry(code: $c, base: $b, input: {abstract: "改"}) { name } }`,
		`mutation($c: String!, $b: Long!) { retireEntry(code: $c, base: $b, reason: "停用") { name } }`,
		`mutation($c: String!, $b: Long!) { gradeEntry(code: $c, base: $b, items: [{field: "aqi", grade: "CORE"}]) { pending } }`,
		`mutation($c: String!, $b: Long!) { approveEntry(code: $c, base: $b) { name } }`,
	} {
		e := f.refused(analystID, "FORBIDDEN", doc, cb(airCode, f.rev(analystID, airCode)))
		assert.Contains(t, e.Message, "无权", doc)
	}
	e := f.refused(analystID, "FORBIDDEN", `mutation { putBusinessItem(input: {code: "YW_X", name: "某事项", department: "AIR_DIV"}) { code } }`, nil)
	assert.Contains(t, e.Message, "无权修改目录")
	assert.Empty(t, f.cat.View().BusinessItems())
	assert.Len(t, f.cat.View().Entries(), 4, "nothing registered")
}

func TestMutationUnknownCodeNamesFieldAndValidValues(t *testing.T) {
	f := newWorkflowFixture(t)
	in := newEntryInput("代码错误的目录")
	in["shareType"] = "SOMETIMES"
	in["domains"] = []any{"治气", "MARS"}
	in["items"].([]any)[1].(map[string]any)["grade"] = "TOP"
	err := f.refused(stewardAir, "INVALID", mCreate, map[string]any{"in": in})
	got := problemFields(err)
	assert.Len(t, got, 3, "%v", got)
	assert.Equal(t, "“SOMETIMES”不在代码表 share_types（共享类型）中（可选：UNCONDITIONAL、CONDITIONAL、NOT_SHARED）", got["shareType"])
	assert.Contains(t, got["domains[1]"], "“MARS”不在代码表 domains（治理领域）中（可选：WATER、AIR")
	assert.Contains(t, got["items[1].grade"], "“TOP”不在代码表 grades（数据分级）中（可选：GENERAL_1")
	assert.Contains(t, err.Message, "shareType: “SOMETIMES”不在代码表")

	// What the catalogue refuses is named the way the input names it too.
	in = newEntryInput("代码错误的目录")
	in["providerCode"] = "123"
	err = f.refused(stewardAir, "INVALID", mCreate, map[string]any{"in": in})
	assert.Contains(t, problemFields(err)["providerCode"], "不是 18 位统一社会信用代码")

	// A draft may be incomplete; submitting it names every missing field.
	// (district given: on this branch the entries table still indexes it without AllowMissing)
	code := f.create(stewardAir, map[string]any{"name": "未完成的目录", "category": "0101", "department": "AIR_DIV", "district": "重庆市"})
	err = f.refused(stewardAir, "INVALID", mSubmit, cb(code, f.rev(stewardAir, code)))
	got = problemFields(err)
	assert.Equal(t, "必填", got["providerName"])
	assert.Equal(t, "必填", got["abstract"])
	assert.Contains(t, got["updateCycle"], "必填")
	assert.Contains(t, got, "items")
	assert.Equal(t, []any{"submitEntry"}, err.Path)
	assert.Len(t, err.Extensions["problems"], 8, "extensions list at most 8 problems (Config.bound)")
}

func TestMutationOversizedInputRefused(t *testing.T) {
	f := newWorkflowFixture(t)
	long := strings.Repeat("长", 201)
	many := make([]any, 501)
	for i := range many {
		many[i] = map[string]any{"name": fmt.Sprintf("项%d", i), "field": fmt.Sprintf("f%d", i), "type": "STRING", "grade": "GENERAL_1"}
	}
	domains := make([]any, 101)
	for i := range domains {
		domains[i] = "AIR"
	}
	for _, c := range []struct {
		field string
		set   func(map[string]any)
		want  string
	}{
		{"name", func(in map[string]any) { in["name"] = long }, "长度 201 字, 超过上限 200 字"},
		{"abstract", func(in map[string]any) { in["abstract"] = strings.Repeat("摘", 4001) }, "长度 4001 字, 超过上限 4000 字"},
		{"items", func(in map[string]any) { in["items"] = many }, "共 501 个信息项, 超过上限 500 个"},
		{"domains", func(in map[string]any) { in["domains"] = domains }, "共 101 项, 超过上限 100 项"},
		{"items[0].description", func(in map[string]any) {
			in["items"].([]any)[0].(map[string]any)["description"] = strings.Repeat("说", 2001)
		}, "长度 2001 字, 超过上限 2000 字"},
	} {
		in := newEntryInput("超长输入")
		c.set(in)
		err := f.refused(stewardAir, "INVALID", mCreate, map[string]any{"in": in})
		assert.Equal(t, map[string]string{c.field: c.want}, problemFields(err), c.field)
	}
	err := f.refused(stewardAir, "INVALID", `mutation($r: String) { createEntry(input: {name: "x"}, reason: $r) { name } }`,
		map[string]any{"r": strings.Repeat("因", 2001)})
	assert.Equal(t, map[string]string{"reason": "长度 2001 字, 超过上限 2000 字"}, problemFields(err))
	assert.Len(t, f.cat.View().Entries(), 4, "nothing registered")

	// Each mutation is a journal write: their number in one request is bounded.
	var b strings.Builder
	b.WriteString("mutation {")
	for i := range 21 {
		fmt.Fprintf(&b, ` m%d: createEntry(input: {name: "批量%d", category: "0101", department: "AIR_DIV"}) { name }`, i, i)
	}
	b.WriteString(" }")
	err = f.refused(stewardAir, codeTooComplex, b.String(), nil)
	assert.Equal(t, "修改操作过多: 一次请求 21 个, 上限 20 个", err.Message)
	assert.Equal(t, "maxMutations", err.Extensions["limit"])
	assert.Len(t, f.cat.View().Entries(), 4, "refused before any write")
}

func TestMutationDocumentsOverHTTP(t *testing.T) {
	f := newWorkflowFixture(t)
	srv := httptest.NewServer(f.svc.Handler())
	defer srv.Close()
	call := func(method, doc, op string) map[string]any {
		var req *http.Request
		var err error
		if method == http.MethodGet {
			req, err = http.NewRequest(method, srv.URL+"?query="+url.QueryEscape(doc)+"&operationName="+op, nil)
		} else {
			body, _ := json.Marshal(map[string]any{"query": doc})
			req, err = http.NewRequest(method, srv.URL, strings.NewReader(string(body)))
		}
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+highToken)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return out
	}
	const create = `mutation { createEntry(input: {name: "经 GET 登记", category: "0101", department: "AIR_DIV"}) { name } }`
	got := call(http.MethodGet, create, "")
	assert.Equal(t, "修改操作须以 POST 请求提交, GET 请求只能查询", at(got, "errors", 0, "message"))
	assert.Equal(t, codeBadInput, at(got, "errors", 0, "extensions", "code"))
	// The same document POSTed reaches the catalogue, which decides: this steward has no department.
	got = call(http.MethodPost, create, "")
	assert.Equal(t, "FORBIDDEN", at(got, "errors", 0, "extensions", "code"))
	assert.Contains(t, at(got, "errors", 0, "message"), "本账号未指定所属处室")
	// A GET document may hold a mutation beside the query it runs, but not run it.
	both := `query Q { entry(code: "` + airCode + `") { name } } ` + strings.Replace(create, "mutation", "mutation M", 1)
	got = call(http.MethodGet, both, "Q")
	assert.JSONEq(t, `{"data":{"entry":{"name":"空气质量监测站小时数据"}}}`, jsonOf(t, got))
	got = call(http.MethodGet, both, "M")
	assert.Equal(t, codeBadInput, at(got, "errors", 0, "extensions", "code"))
	assert.Len(t, f.cat.View().Entries(), 4)

	// A mutation reaches no data: the tables are fields of Query only.
	err := f.refused(stewardAir, codeValidation, `mutation { air_station_hourly { station } }`, nil)
	assert.Equal(t, "查询校验失败: 字段 air_station_hourly 不存在 (类型 Mutation)", err.Message)

	// Subscriptions are no operation of this service.
	err = f.refused(stewardAir, codeValidation, `subscription { entries { name } }`, nil)
	assert.Equal(t, "查询校验失败: 不支持订阅 (subscription) 操作", err.Message)
}

func TestMutationBusinessItemsAndScenes(t *testing.T) {
	f := newWorkflowFixture(t)
	const putItem = `mutation($in: BusinessItemInput!, $b: Long) { putBusinessItem(input: $in, base: $b) {
		code name department departmentName description retired revision updatedBy } }`
	data := f.ok(stewardAir, putItem, map[string]any{"in": map[string]any{"code": "YW_AIR_REPORT", "name": "空气质量月度通报", "department": "大气环境处"}})
	item := at(data, "putBusinessItem")
	assert.JSONEq(t, `{"code":"YW_AIR_REPORT","name":"空气质量月度通报","department":"AIR_DIV","departmentName":"大气环境处",
		"description":null,"retired":false,"updatedBy":"数据员甲"}`, jsonOf(t, without(item, "revision")))
	rev := int64(at(item, "revision").(float64))

	// A stale change is refused naming who changed it; fields left out keep their value.
	err := f.refused(stewardAir2, "CONFLICT", putItem, map[string]any{"in": map[string]any{"code": "YW_AIR_REPORT", "description": "乙"}, "b": 0})
	assert.Contains(t, err.Message, "已被数据员甲于")
	data = f.ok(stewardAir2, putItem, map[string]any{"in": map[string]any{"code": "YW_AIR_REPORT", "description": "每月通报"}, "b": rev})
	assert.Equal(t, "空气质量月度通报", at(data, "putBusinessItem", "name"))
	assert.Equal(t, "每月通报", at(data, "putBusinessItem", "description"))

	data = f.ok(stewardAir, `mutation { putScene(input: {code: "YJS_OZONE", name: "臭氧污染应对", kind: "一件事", department: "AIR_DIV"}) { code kind kindName } }`, nil)
	assert.JSONEq(t, `{"code":"YJS_OZONE","kind":"one_thing","kindName":"一件事"}`, jsonOf(t, at(data, "putScene")))
	e := f.refused(stewardAir, "INVALID", `mutation { putScene(input: {code: "YJS_X", name: "某场景", kind: "大型", department: "AIR_DIV"}) { code } }`, nil)
	assert.Contains(t, problemFields(e)["kind"], "one_thing（一件事）")

	// An entry serving both is listed under them for whoever it exists for, and for nobody else.
	in := newEntryInput("臭氧通报数据")
	in["businessItems"], in["scenes"] = []any{"YW_AIR_REPORT"}, []any{"YJS_OZONE"}
	code := f.create(stewardAir, in)
	const lists = `{ businessItems { code entries { resourceCode } } scenes { code entries { resourceCode } } }`
	assert.JSONEq(t, `{"businessItems":[{"code":"YW_AIR_REPORT","entries":[{"resourceCode":"`+code+`"}]}],
		"scenes":[{"code":"YJS_OZONE","entries":[{"resourceCode":"`+code+`"}]}]}`, jsonOf(t, f.ok(analystID, lists, nil)))
	assert.JSONEq(t, `{"businessItems":[{"code":"YW_AIR_REPORT","entries":[]}],"scenes":[{"code":"YJS_OZONE","entries":[]}]}`,
		jsonOf(t, f.ok(stewardLow, lists, nil)), "一般数据2级 does not exist for a 1级 principal")

	// A link to a business item that is not registered is refused naming it.
	in = newEntryInput("链接错误")
	in["businessItems"] = []any{"YW_NONE"}
	e = f.refused(stewardAir, "INVALID", mCreate, map[string]any{"in": in})
	assert.Contains(t, problemFields(e)["businessItems[0]"], "业务事项“YW_NONE”不存在")
}
