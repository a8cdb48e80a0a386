package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hiddenName is an entry graded 一般数据3级 (涉气企业应急减排清单, 0201/000004), above
// demo-public's 一般数据1级 and demo-wanzhou's 一般数据2级.
const (
	hiddenCode = "0201/000004"
	hiddenName = "涉气企业应急减排清单"
)

// TestConsoleHidesEntriesAboveClearance: with a change of the 一般数据3级 entry under review and
// a grant requested on it, the steward's pages name it; demo-public's review, grants, submission
// and entry pages never do, nor does 万州区's search for an entry to submit to.
func TestConsoleHidesEntriesAboveClearance(t *testing.T) {
	ctx := context.Background()
	// A change under review and a grant request on the hidden entry.
	rev, err := srv.GraphQL(ctx, "demo-steward", `query($c: String!) { entry(code: $c) { revision } }`, map[string]any{"c": hiddenCode})
	require.NoError(t, err)
	edited, err := srv.GraphQL(ctx, "demo-steward", `mutation($c: String!, $b: Long!) { editEntry(code: $c, base: $b, input: {shareCondition: "仅限生态环境部门应急减排管理及核查使用"}) { revision } }`,
		map[string]any{"c": hiddenCode, "b": rev["entry"].(map[string]any)["revision"]})
	require.NoError(t, err)
	submitted, err := srv.GraphQL(ctx, "demo-steward", `mutation($c: String!, $b: Long!) { submitEntry(code: $c, base: $b) { revision } }`,
		map[string]any{"c": hiddenCode, "b": edited["editEntry"].(map[string]any)["revision"]})
	require.NoError(t, err)
	t.Cleanup(func() { // sent back, so that it waits for no reviewer
		_, err := srv.GraphQL(ctx, "demo-reviewer", `mutation($c: String!, $b: Long!) { sendBackEntry(code: $c, base: $b, comment: "测试结束") { status } }`,
			map[string]any{"c": hiddenCode, "b": submitted["submitEntry"].(map[string]any)["revision"]})
		assert.NoError(t, err)
	})
	g, err := srv.GraphQL(ctx, "demo-air-app", `mutation($in: GrantInput!) { requestGrant(input: $in) { id revision } }`,
		map[string]any{"in": map[string]any{"entry": hiddenCode, "mode": "rows", "purpose": "密级测试", "expires": "2099-12-31"}})
	require.NoError(t, err)
	t.Cleanup(func() { // the request is withdrawn, so that it waits for no one's decision
		g := g["requestGrant"].(map[string]any)
		_, err := srv.GraphQL(ctx, "demo-air-app", `mutation($id: String!, $b: Long!) { revokeGrant(id: $id, base: $b, note: "测试结束") { status } }`,
			map[string]any{"id": g["id"], "b": g["revision"]})
		assert.NoError(t, err)
	})

	// The steward's pages name it: the checks below would see it.
	steward := loggedIn(t, "demo-steward", "/ui/grants")
	waitText(t, steward, "#sec-all", hiddenName)
	reviewer := loggedIn(t, "demo-reviewer", "/ui/review")
	waitText(t, reviewer, "#review-list", hiddenName)

	pub := loggedIn(t, "demo-public", "/ui/review")
	for _, c := range []struct{ page, ready, want string }{
		{"/ui/review", "#review-list", "不审核目录"},
		{"/ui/grants", "#sec-mine", "本账号还没有授权申请"},
		{"/ui/grants?entry=0201%2F000004", "#grant-detail", "不存在或无权查看"},
		{"/ui/submit?entry=0201%2F000004", "#submit-page", "不报送数据"},
		{"/ui/entry?code=0201%2F000004", "#entry", "不存在或无权查看"},
		{"/ui/entry-edit?code=0201%2F000004", "#entry-edit", "不能登记或修改目录"},
	} {
		do(t, pub, chromedp.Navigate(srv.Base+c.page))
		waitText(t, pub, c.ready, c.want)
		text := eval[string](t, pub, `document.body.innerText`)
		assert.NotContains(t, text, hiddenName, c.page)
		assert.NotContains(t, text, "危险废物利用处置设施能力与库存", c.page) // 重要数据
	}

	// 万州区 (一般数据2级) looks for an entry to submit to: the 一般数据1级 one is found, not the
	// 一般数据3级 one, nor may it be opened by its code.
	wz := loggedIn(t, "demo-wanzhou", "/ui/submit")
	waitText(t, wz, "#entry-results", "共") // the first page of every entry it may submit to
	do(t, wz, chromedp.SendKeys(chromedp.ID("entry-search"), "减排\n"))
	found := waitText(t, wz, "#entry-results", "搜索“减排”")
	assert.Contains(t, found, "区县涉气企业减排清单数量")
	assert.NotContains(t, found, hiddenName)
	screenshot(t, wz, "26-submit-choose")
	do(t, wz, chromedp.Navigate(srv.Base+"/ui/submit?entry=0201%2F000004"))
	waitText(t, wz, "#submit-page", "不存在或无权查看")
	assert.NotContains(t, eval[string](t, wz, `document.body.innerText`), hiddenName)
}
