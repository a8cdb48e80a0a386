package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/web/webtest"
)

// step opens the form of a workflow step on the entry page, types its note and confirms it.
func step(t *testing.T, tab *webtest.Tab, name, note string) {
	t.Helper()
	do(t, tab, chromedp.Click(chromedp.CSS(`#sec-workflow button[data-step="`+name+`"]`)))
	if note != "" {
		do(t, tab, chromedp.SendKeys(chromedp.ID("step-note-"+name), note))
	}
	do(t, tab, chromedp.Click(chromedp.CSS(`button[data-confirm="`+name+`"]`)))
}

// TestWorkflowStepsOnEntryPage: every step of the review workflow from an entry's page — the
// reviewer sends a new entry back (a comment is required), the steward reads the comment and
// submits it again, the reviewer approves it, the steward retires it with a reason and restores
// it, which waits for review again.
func TestWorkflowStepsOnEntryPage(t *testing.T) {
	data, err := srv.GraphQL(context.Background(), "demo-steward", `mutation($in: EntryInput!) { createEntry(input: $in) { resourceCode revision } }`,
		map[string]any{"in": map[string]any{"name": "施工工地扬尘在线监测", "category": "0101", "department": "DIV_AIR", "district": "500000",
			"providerName": "重庆市生态环境局", "providerCode": "11500000MB0000000X", "abstract": "施工工地扬尘颗粒物在线监测数据。",
			"formatType": "DATABASE", "shareMode": "TABLE", "openType": "CONDITIONAL", "openCondition": "依申请开放", "updateCycle": "DAILY",
			"sourceKind": "ONLINE_MONITORING", "domains": []any{"AIR"},
			"items": []any{
				map[string]any{"name": "工地编码", "field": "site_code", "type": "STRING", "length": 32, "isKey": true, "required": true, "grade": "GENERAL_1"},
				map[string]any{"name": "颗粒物浓度", "field": "tsp", "type": "FLOAT", "grade": "GENERAL_1"},
			}}})
	require.NoError(t, err)
	created := data["createEntry"].(map[string]any)
	code := created["resourceCode"].(string)
	_, err = srv.GraphQL(context.Background(), "demo-steward", `mutation($c: String!, $b: Long!) { submitEntry(code: $c, base: $b) { status } }`,
		map[string]any{"c": code, "b": created["revision"]})
	require.NoError(t, err)
	page := "/ui/entry?code=" + code

	rv := loggedIn(t, "demo-reviewer", page)
	waitText(t, rv, "#sec-pending", "新登记、尚未发布的目录")
	step(t, rv, "sendBackEntry", "")
	waitText(t, rv, ".step-result", "请填写审核意见")
	do(t, rv, chromedp.SendKeys(chromedp.ID("step-note-sendBackEntry"), "请补充监测频次说明"),
		chromedp.Click(chromedp.CSS(`button[data-confirm="sendBackEntry"]`)))
	waitText(t, rv, "#entry", "已退回修改")
	assert.Nil(t, eval[any](t, rv, `document.getElementById('sec-workflow')`), "a draft has no step for a reviewer")

	st := loggedIn(t, "demo-steward", page)
	waitText(t, st, "#sec-pending", "审核意见（退回修改）：请补充监测频次说明")
	step(t, st, "submitEntry", "已补充")
	waitText(t, st, "#entry", "已提交审核")
	assert.False(t, eval[bool](t, st, `!!document.querySelector('#sec-workflow button[data-step="approveEntry"]')`), "a steward does not review")

	do(t, rv, chromedp.Reload())
	step(t, rv, "approveEntry", "")
	waitText(t, rv, "#entry", "已审核通过并发布")
	waitText(t, rv, ".entry-badges", "已发布")

	// The steward grades it: evidence whose matrix proposes more than the entry's grade needs a
	// reason, or a grade as high; raising an item's grade takes effect at once.
	do(t, st, chromedp.Reload())
	waitText(t, st, ".entry-badges", "已发布")
	do(t, st,
		chromedp.Click(chromedp.CSS("#grade-edit summary")),
		chromedp.SetValue(chromedp.ID("grade-impact-object"), "ORGANISATION"),
		chromedp.SetValue(chromedp.ID("grade-impact-degree"), "MODERATE"),
		chromedp.Click(chromedp.ID("grade-factors-SCALE")),
		chromedp.SendKeys(chromedp.ID("grade-basis"), "工地扬尘数据涉及施工单位经营信息"),
		chromedp.Click(chromedp.ID("grade-submit")),
	)
	waitText(t, st, "#grade-reason-error", "定级矩阵建议一般数据2级")
	screenshot(t, st, "29-entry-grading")
	do(t, st,
		chromedp.SetValue(chromedp.ID("grade-item-tsp"), "GENERAL_2"),
		chromedp.Click(chromedp.ID("grade-submit")),
	)
	waitText(t, st, "#entry", "定级已保存，目录分级为一般数据2级")
	grading := waitText(t, st, "#sec-grading", "组织权益")
	for _, want := range []string{"一般数据2级", "一般危害", "规模", "工地扬尘数据涉及施工单位经营信息"} {
		assert.Contains(t, grading, want)
	}

	step(t, st, "retireEntry", "")
	waitText(t, st, ".step-result", "请填写下线原因")
	do(t, st, chromedp.SendKeys(chromedp.ID("step-note-retireEntry"), "工地已竣工"),
		chromedp.Click(chromedp.CSS(`button[data-confirm="retireEntry"]`)))
	waitText(t, st, "#entry", "已下线")
	waitText(t, st, ".entry-badges", "已下线")
	step(t, st, "restoreEntry", "新工地开工，恢复监测")
	waitText(t, st, "#entry", "已恢复，等待审核员审核后重新发布")
	history := waitText(t, st, "#sec-history", "恢复")
	for _, want := range []string{"下线", "工地已竣工", "退回修改", "请补充监测频次说明", "审核通过", "登记"} {
		assert.Contains(t, history, want)
	}
}
