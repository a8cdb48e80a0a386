package query

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestCodesComeWithLabels(t *testing.T) {
	f := newFixture(t)
	data := f.mustDo(hiPrincipal, `{ entry(code: "0101/000001") {
		category categoryName department departmentName district districtName domains domainNames
		shareType shareTypeName shareMode shareModeName openType openTypeName formatType formatTypeName
		updateCycle updateCycleName status statusName sourceKind sourceKindName grade { id name }
		items { field type typeName codeList codeListName piType piTypeName } } }`)
	e := data["entry"].(map[string]any)
	items := e["items"].([]any)
	delete(e, "items")
	assert.JSONEq(t, `{
		"category": "0101", "categoryName": "大气环境质量", "department": "AIR_DIV", "departmentName": "大气环境处",
		"district": "500000", "districtName": "重庆市", "domains": ["AIR"], "domainNames": ["治气"],
		"shareType": "UNCONDITIONAL", "shareTypeName": "无条件共享", "shareMode": "TABLE", "shareModeName": "库表",
		"openType": "UNCONDITIONAL", "openTypeName": "无条件开放", "formatType": "DATABASE", "formatTypeName": "数据库",
		"updateCycle": "DAILY", "updateCycleName": "每日", "status": "PUBLISHED", "statusName": "已发布",
		"sourceKind": "ONLINE_MONITORING", "sourceKindName": "在线监测", "grade": {"id": "GENERAL_2", "name": "一般数据2级"}
	}`, jsonOf(t, e))
	assert.JSONEq(t, `{"field": "district", "type": "STRING", "typeName": "字符串", "codeList": "districts", "codeListName": "区县", "piType": null, "piTypeName": null}`,
		jsonOf(t, items[1]))

	data = f.mustDo(hiPrincipal, `{ entry(code: "07/000002") { items { piType piTypeName } } }`)
	assert.JSONEq(t, `{"items": [{"piType": "CN_NAME", "piTypeName": "姓名"}]}`, jsonOf(t, data["entry"]))
}

func TestLabelsFollowReplacedCodeLists(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "share_types.csv"),
		[]byte("id,name\nUNCONDITIONAL,无条件共享(修订)\nCONDITIONAL,依申请共享\nNOT_SHARED,不予共享\n"), 0o644))
	set, err := schemas.LoadCodeLists(dir)
	require.NoError(t, err)
	require.NoError(t, f.cat.View().CheckCodeLists(set))
	prev := schemas.Current()
	t.Cleanup(func() { schemas.Install(prev) })
	schemas.Install(set)

	data := f.mustDo(hiPrincipal, `{ entry(code: "0101/000001") { shareType shareTypeName } directory(shareType: "无条件共享(修订)") { totalCount } }`)
	assert.JSONEq(t, `{"shareType": "UNCONDITIONAL", "shareTypeName": "无条件共享(修订)"}`, jsonOf(t, data["entry"]))
	assert.JSONEq(t, `{"totalCount": 4}`, jsonOf(t, data["directory"]), "a filter may name a code by its new label")
}

func TestDirectoryFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	codes := func(list any) []string {
		out := []string{}
		for _, n := range list.([]any) {
			out = append(out, n.(map[string]any)["resourceCode"].(string))
		}
		return out
	}
	cases := []struct {
		who, args string
		want      []string
	}{
		{hiPrincipal, ``, []string{"0101/000001", "0102/000001", "07/000001", "07/000002"}},
		{lowPrincipal, ``, []string{"0101/000001", "0102/000001"}}, // clearance: the 重要数据 entries do not exist for it
		{hiPrincipal, `(category: "01")`, []string{"0101/000001", "0102/000001"}},
		{hiPrincipal, `(category: "0102")`, []string{"0102/000001"}},
		{hiPrincipal, `(domain: "ENFORCEMENT")`, []string{"07/000001", "07/000002"}},
		{lowPrincipal, `(domain: "ENFORCEMENT")`, []string{}},
		{hiPrincipal, `(domain: "治水")`, []string{"0102/000001"}}, // a Chinese name is taken for its code
		{hiPrincipal, `(department: "AIR_DIV", grade: "GENERAL_2")`, []string{"0101/000001"}},
		{hiPrincipal, `(district: "重庆市", status: "PUBLISHED", shareType: "UNCONDITIONAL", updateCycle: "DAILY")`,
			[]string{"0101/000001", "0102/000001", "07/000001", "07/000002"}},
		{hiPrincipal, `(status: "DRAFT")`, []string{}},
	}
	for _, c := range cases {
		t.Run(c.who+c.args, func(t *testing.T) {
			data := f.mustDo(c.who, `{ directory`+c.args+` { totalCount nodes { resourceCode } pageInfo { hasNextPage } } }`)
			d := data["directory"].(map[string]any)
			assert.Equal(t, c.want, codes(d["nodes"]))
			assert.EqualValues(t, len(c.want), d["totalCount"])
			assert.Equal(t, false, d["pageInfo"].(map[string]any)["hasNextPage"])
		})
	}

	// Page by page, one entry at a time, following endCursor.
	var got []string
	q := `query($after: String) { directory(first: 1, after: $after) { totalCount nodes { resourceCode } pageInfo { endCursor hasNextPage } } }`
	vars := map[string]any{}
	for range 10 {
		data, errs := f.do(hiPrincipal, q, vars)
		require.Empty(t, errs)
		d := data["directory"].(map[string]any)
		assert.EqualValues(t, 4, d["totalCount"])
		got = append(got, codes(d["nodes"])...)
		pi := d["pageInfo"].(map[string]any)
		if pi["hasNextPage"] == false {
			break
		}
		assert.NotContains(t, pi["endCursor"], "/", "the cursor is opaque")
		vars["after"] = pi["endCursor"]
	}
	assert.Equal(t, []string{"0101/000001", "0102/000001", "07/000001", "07/000002"}, got)

	// entries pages by resource code.
	data := f.mustDo(hiPrincipal, `{ a: entries(first: 2) { resourceCode } b: entries(first: 2, after: "0102/000001") { resourceCode } all: entries { resourceCode } }`)
	assert.Equal(t, []string{"0101/000001", "0102/000001"}, codes(data["a"]))
	assert.Equal(t, []string{"07/000001", "07/000002"}, codes(data["b"]))
	assert.Len(t, codes(data["all"]), 4)
}

func TestDirectoryRefusesUnknownCodes(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ query, want string }{
		{`{ directory(shareType: "OPEN") { totalCount } }`,
			"参数 shareType: “OPEN”不在代码表 share_types (共享类型) 中 (可选: UNCONDITIONAL、CONDITIONAL、NOT_SHARED)"},
		{`{ directory(department: "NOPE") { totalCount } }`, "参数 department: “NOPE”不是处室代码 (可选: AIR_DIV、LAW_CORPS)"},
		{`{ directory(district: "成都市") { totalCount } }`, "参数 district: “成都市”不在代码表 districts (区县) 中 (可选: 500000、500101、"},
		{`{ directory(status: "GONE") { totalCount } }`, "参数 status: “GONE”不在代码表 entry_statuses (目录状态) 中 (可选: DRAFT、PENDING_REVIEW、PUBLISHED、RETIRED)"},
		{`{ directory(first: 0) { totalCount } }`, "参数 first 应在 1 到 500 之间, 而不是 0"},
		{`{ entries(first: 501) { name } }`, "参数 first 应在 1 到 500 之间, 而不是 501"},
		{`{ directory(after: "0101/000001") { totalCount } }`, "参数 after 不是有效的游标"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			_, errs := f.do(hiPrincipal, c.query, nil)
			require.Len(t, errs, 1)
			assert.Contains(t, errs[0], c.want)
		})
	}
}
