package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var versionRE = regexp.MustCompile(`版本\s*(\d+)`)

// version returns the first version number an output names (the base of the next operation).
func version(t *testing.T, out string) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(out)
	require.NotNil(t, m, "no version in:\n%s", out)
	return m[1]
}

// stewardEntry is an entry document a steward writes: no resource code or table (the catalogue
// gives them), shared on conditions and not opened, linked to a business item.
const stewardEntry = `{
  "name": "区县地表水断面水质月报",
  "category_code": "0102",
  "provider_name": "重庆市生态环境局",
  "provider_code": "11500000MB1534567X",
  "abstract": "各区县地表水考核断面逐月水质监测结果（合成示例数据）",
  "format_type": "DATABASE",
  "share_type": "CONDITIONAL",
  "share_condition": "用于水环境管理",
  "share_mode": "TABLE",
  "open_type": "NOT_OPEN",
  "update_cycle": "MONTHLY",
  "department": "DIV_WATER",
  "district": "500000",
  "source_kind": "DISTRICT_SUBMISSION",
  "domains": ["WATER"],
  "business_items": ["YW_WATER_REPORT"],
  "items": [
    {"name": "区县", "field": "district_code", "type": "STRING", "required": true, "is_key": true, "grade": "GENERAL_1", "code_list": "districts"},
    {"name": "断面名称", "field": "section_name", "type": "STRING", "required": true, "is_key": true, "grade": "GENERAL_1"},
    {"name": "化学需氧量(mg/L)", "field": "cod_mg_l", "type": "FLOAT", "grade": "GENERAL_2"}
  ]
}`

// TestStewardDayWithTheCatalogCommands walks a steward's day through `ecolake catalog`: register
// an entry, have it reviewed (sent back once, then published), change it while published through
// a change request that its own author may not approve, read its history, raise a grade at once,
// lower it through review, and retire it, each step checked by exit code and Chinese output.
func TestStewardDayWithTheCatalogCommands(t *testing.T) {
	dir := t.TempDir()
	catalog := func(args ...string) (int, string) {
		t.Helper()
		return ecolake(t, append(append([]string{"catalog"}, args...), "--data", dir)...)
	}
	ok := func(args ...string) string {
		t.Helper()
		code, out := catalog(args...)
		require.Equal(t, 0, code, "%v:\n%s", args, out)
		return out
	}
	refused := func(want string, args ...string) {
		t.Helper()
		code, out := catalog(args...)
		assert.Equal(t, 2, code, "%v:\n%s", args, out)
		assert.Contains(t, out, want, args)
	}

	code, out := ecolake(t, "init", "--data", dir, "--name", "系统管理员")
	require.Equal(t, 0, code, out)
	for _, p := range [][]string{
		{"--id", "zhang", "--name", "张数据", "--role", "steward", "--clearance", "GENERAL_4", "--department", "DIV_WATER"},
		{"--id", "wang", "--name", "王数据", "--role", "steward", "--clearance", "GENERAL_4", "--department", "DIV_AIR"},
		{"--id", "li", "--name", "李审核", "--role", "reviewer", "--clearance", "GENERAL_4"},
		{"--id", "gone", "--name", "已离岗", "--role", "reviewer", "--clearance", "GENERAL_4"},
	} {
		code, out = ecolake(t, append([]string{"principal", "create", "--data", dir}, p...)...)
		require.Equal(t, 0, code, out)
	}
	code, out = ecolake(t, "principal", "disable", "--data", dir, "--id", "gone")
	require.Equal(t, 0, code, out)
	departments := writeFile(t, "departments.json", `{"departments": [{"code": "DIV_WATER", "name": "水生态环境处", "kind": "division"},
		{"code": "DIV_AIR", "name": "大气环境处", "kind": "division"}], "entries": []}`)
	code, out = ecolake(t, "entry", "import", "--data", dir, departments)
	require.Equal(t, 0, code, out)

	// The business item the entry serves, then the entry itself: a draft with a generated code.
	out = ok("business-item", "put", "--as", "zhang", "--code", "YW_WATER_REPORT", "--name", "地表水环境质量月度通报", "--department", "DIV_WATER")
	assert.Contains(t, out, "已登记业务事项 YW_WATER_REPORT 地表水环境质量月度通报")
	file := writeFile(t, "entry.json", stewardEntry)
	refused("账号 nobody 不存在", "create", file, "--as", "nobody")
	refused("账号 gone 已停用，不能以它的身份操作", "show", "0102/000001", "--as", "gone")
	refused("只能登记本处室（DIV_AIR）的目录", "create", file, "--as", "wang")
	out = ok("create", file, "--as", "zhang", "--reason", "新登记")
	assert.Contains(t, out, "已登记目录 0102/000001 区县地表水断面水质月报（草稿，版本 ")
	assert.Contains(t, out, "登记人 张数据（zhang）")
	const code1 = "0102/000001"

	out = ok("show", code1)
	for _, want := range []string{"目录 0102/000001 区县地表水断面水质月报", "状态              草稿", "共享类型          CONDITIONAL 有条件共享",
		"开放类型          NOT_OPEN 不予开放", "业务事项          YW_WATER_REPORT 地表水环境质量月度通报", "责任处室          DIV_WATER 水生态环境处",
		"分级              一般数据2级", "数据表名          res_0102_000001", "信息项（3）", "化学需氧量(mg/L)  cod_mg_l"} {
		assert.Contains(t, out, want)
	}
	base := version(t, out)

	// Review: sent back once with a comment, then submitted again and published by the reviewer.
	out = ok("submit", code1, "--as", "zhang", "--base", base, "--comment", "请审核")
	assert.Contains(t, out, "目录现为待审核")
	base = version(t, out)
	assert.Regexp(t, `0102/000001\s+区县地表水断面水质月报\s+新目录\s+张数据（zhang）\s+`+base, ok("pending", "--as", "li"))
	refused("退回须填写审核意见", "send-back", code1, "--as", "li", "--base", base)
	out = ok("send-back", code1, "--as", "li", "--base", base, "--comment", "摘要请写明断面范围")
	assert.Contains(t, out, "目录现为草稿")
	out = ok("show", code1, "--as", "zhang")
	assert.Contains(t, out, "审核意见          摘要请写明断面范围")
	out = ok("submit", code1, "--as", "zhang", "--base", version(t, out))
	base = version(t, out)
	refused("无权审核目录", "approve", code1, "--as", "zhang", "--base", base)
	refused("未能审核通过目录 0102/000001: 目录 0102/000001 已被", "approve", code1, "--as", "li", "--base", "1")
	out = ok("approve", code1, "--as", "li", "--base", base, "--comment", "同意发布")
	assert.Contains(t, out, "已审核通过: 目录 0102/000001 区县地表水断面水质月报，目录现为已发布")
	assert.Contains(t, out, "操作人 李审核（li）")

	// Editing the published entry is a change request; its author may not approve it.
	published := ok("show", code1)
	assert.Contains(t, published, "状态              已发布")
	edit := filepath.Join(t.TempDir(), "edit.json")
	doc := ok("show", code1, "--json")
	var e map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &e))
	e["name"] = "区县地表水断面水质月报（含氨氮）"
	e["items"] = append(e["items"].([]any), map[string]any{"name": "氨氮(mg/L)", "field": "nh3n_mg_l", "type": "FLOAT", "grade": "GENERAL_2"})
	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(edit, b, 0o644))
	refused("必须用 --base 给出修改所依据的版本", "edit", edit, "--as", "admin")
	out = ok("edit", edit, "--as", "admin", "--base", version(t, published), "--reason", "增加氨氮")
	assert.Contains(t, out, "修改成为变更申请（草稿")
	assert.Contains(t, out, "信息资源名称: “区县地表水断面水质月报” → “区县地表水断面水质月报（含氨氮）”")
	assert.Contains(t, out, "信息项: 新增 氨氮(mg/L)（nh3n_mg_l）")
	refused("已被系统管理员于", "edit", edit, "--as", "zhang", "--base", version(t, published))
	out = ok("show", code1)
	assert.Contains(t, out, "目录 0102/000001 区县地表水断面水质月报\n", "queries see the published version until approval")
	assert.Contains(t, out, "已发布（有草稿的变更申请）")
	out = ok("submit", code1, "--as", "admin", "--base", version(t, out))
	assert.Contains(t, out, "变更申请现为待审核")
	base = version(t, out)
	refused("不能审核自己修改或提交的目录 0102/000001", "approve", code1, "--as", "admin", "--base", base)
	out = ok("pending", "--as", "li")
	assert.Regexp(t, `0102/000001\s+区县地表水断面水质月报（含氨氮）\s+变更`, out)
	ok("approve", code1, "--as", "li", "--base", base, "--comment", "同意变更")
	out = ok("show", code1)
	assert.Contains(t, out, "目录 0102/000001 区县地表水断面水质月报（含氨氮）\n")
	assert.Contains(t, out, "信息项（4）")

	out = ok("history", code1)
	for _, want := range []string{"审核通过  李审核（li）  → 已发布", "说明: 同意变更", "修改  系统管理员（admin）  → 草稿", "说明: 增加氨氮",
		"信息资源名称: “区县地表水断面水质月报” → “区县地表水断面水质月报（含氨氮）”", "信息项: 新增 氨氮(mg/L)（nh3n_mg_l）",
		"退回修改  李审核（li）  → 草稿", "说明: 摘要请写明断面范围", "登记  张数据（zhang）  → 草稿", "说明: 新登记"} {
		assert.Contains(t, out, want)
	}

	// An upgrade takes effect at once, with its evidence and the matrix's proposal.
	base = version(t, ok("show", code1))
	out = ok("grade", code1, "--as", "zhang", "--base", base, "--item", "cod_mg_l=一般数据3级",
		"--impact-object", "组织权益", "--impact-degree", "严重危害", "--factor", "领域,区域", "--basis", "可推断排污单位的排放情况")
	assert.Contains(t, out, "定级已生效: 目录 0102/000001 分级 一般数据2级 → 一般数据3级（已发布")
	assert.Contains(t, out, "定级矩阵建议: 一般数据3级（影响对象 组织权益，影响程度 严重危害）")
	out = ok("show", code1)
	for _, want := range []string{"分级              一般数据3级", "影响对象      ORGANISATION 组织权益", "定级矩阵建议  一般数据3级",
		"定级要素      DOMAIN 领域、REGION 区域", "依据说明      可推断排污单位的排放情况", "定级人        张数据（zhang）"} {
		assert.Contains(t, out, want)
	}
	// A downgrade needs a reason and waits for a reviewer; the published grade stays meanwhile.
	base = version(t, out)
	refused("降低已发布目录的分级须填写原因", "grade", code1, "--as", "zhang", "--base", base, "--item", "cod_mg_l=GENERAL_2")
	out = ok("grade", code1, "--as", "zhang", "--base", base, "--item", "cod_mg_l=GENERAL_2", "--reason", "复核: 数据已按区县汇总")
	assert.Contains(t, out, "降级待审核: 目录 0102/000001 已发布版本的分级仍为一般数据3级；降为一般数据2级须审核员审核通过后生效")
	base = version(t, out)
	out = ok("show", code1)
	assert.Contains(t, out, "分级              一般数据3级")
	assert.Contains(t, out, "变更申请: 降级，待审核")
	assert.Contains(t, out, "信息项“化学需氧量(mg/L)”的分级: 一般数据3级 → 一般数据2级")
	assert.Regexp(t, `0102/000001\s+\S+\s+降级\s+张数据（zhang）\s+`+base, ok("pending", "--as", "li"))
	ok("approve", code1, "--as", "li", "--base", base)
	assert.Contains(t, ok("show", code1), "分级              一般数据2级")

	// Retiring needs a reason, which the history keeps.
	base = version(t, ok("show", code1))
	refused("下线须填写原因", "retire", code1, "--as", "zhang", "--base", base)
	out = ok("retire", code1, "--as", "zhang", "--base", base, "--reason", "断面调整，改由新目录登记")
	assert.Contains(t, out, "已下线: 目录 0102/000001")
	assert.Contains(t, out, "目录现为已下线")
	out = ok("history", code1, "--limit", "3")
	assert.Contains(t, out, "下线  张数据（zhang）  → 已下线\n  说明: 断面调整，改由新目录登记")
	assert.Contains(t, out, "最近 3 个版本")
	assert.Contains(t, ok("business-item", "list"), "YW_WATER_REPORT  地表水环境质量月度通报")
}
