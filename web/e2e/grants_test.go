package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGrantRequestApprovedAndRefused: 巴渝治气应用 asks for a grant on a 有条件共享 entry of
// 大气处 (its refusal of an empty purpose shown next to the field); 大气处's reviewer finds it
// among the requests it may decide and approves it, and refuses another with a reason; the
// application sees both decisions among its own requests.
func TestGrantRequestApprovedAndRefused(t *testing.T) {
	ctx := context.Background()
	const code = "0201/000004" // 涉气企业应急减排清单: 有条件共享, 大气处, 一般数据3级
	app := loggedIn(t, "demo-air-app", "/ui/grants?entry=0201%2F000004")
	waitText(t, app, "#grant-detail", "涉气企业应急减排清单")

	do(t, app, chromedp.Click(chromedp.ID("grant-submit")))
	waitText(t, app, "#grant-purpose-error", "必填")
	waitText(t, app, "#grant-status", "授权申请未成功")

	do(t, app,
		chromedp.SendKeys(chromedp.ID("grant-purpose"), "重污染天气应急减排清单核查"),
		chromedp.Click(chromedp.ID("grant-unmasked-contact_phone")),
		chromedp.Click(chromedp.ID("grant-submit")),
	)
	waitText(t, app, "#grants-page", "已提交授权申请")
	id := waitJS[string](t, app, `(() => { const a = [...document.querySelectorAll('#sec-mine article[data-grant]')].find((x) => x.innerText.includes('重污染天气应急减排清单核查'));
	  return a ? a.dataset.grant : ''; })()`)
	mine := eval[string](t, app, fmt.Sprintf(`document.querySelector('#sec-mine article[data-grant=%q]').innerText`, id))
	assert.Contains(t, mine, "待审批")
	assert.Contains(t, mine, "联系电话")
	screenshot(t, app, "24-grants-request")

	// A second request, for aggregates only, made through GraphQL: the reviewer refuses it.
	data, err := srv.GraphQL(ctx, "demo-air-app", `mutation($in: GrantInput!) { requestGrant(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"entry": code, "mode": "aggregates", "purpose": "按区县统计减排企业", "expires": "2099-12-31"}})
	require.NoError(t, err)
	refused := data["requestGrant"].(map[string]any)["id"].(string)

	rv := loggedIn(t, "demo-reviewer", "/ui/grants")
	decide := waitText(t, rv, "#sec-decide", id)
	assert.Contains(t, decide, refused)
	assert.Contains(t, decide, "重污染天气应急减排清单核查")
	card := func(g string) string { return fmt.Sprintf(`#sec-decide article[data-grant=%q]`, g) }
	do(t, rv,
		chromedp.Click(chromedp.CSS(card(id)+` button[data-step="approveGrant"]`)),
		chromedp.SendKeys(chromedp.ID("note-approveGrant-"+id), "同意，限应急期间使用"),
	)
	screenshot(t, rv, "25-grants-decide")
	do(t, rv, chromedp.Click(chromedp.CSS(card(id)+` button[data-confirm="approveGrant"]`)))
	waitText(t, rv, "#grants-page", "授权 "+id+" 已批准")

	// Refusing needs a reason.
	do(t, rv,
		chromedp.Click(chromedp.CSS(card(refused)+` button[data-step="refuseGrant"]`)),
		chromedp.Click(chromedp.CSS(card(refused)+` button[data-confirm="refuseGrant"]`)),
	)
	waitText(t, rv, card(refused), "请填写驳回原因")
	do(t, rv,
		chromedp.SendKeys(chromedp.ID("note-refuseGrant-"+refused), "汇总统计可直接使用已发布的区县数量目录"),
		chromedp.Click(chromedp.CSS(card(refused)+` button[data-confirm="refuseGrant"]`)),
	)
	waitText(t, rv, "#grants-page", "授权 "+refused+" 已驳回")
	for _, g := range []string{id, refused} {
		assert.False(t, eval[bool](t, rv, fmt.Sprintf(`document.querySelector(%q) !== null`, card(g))), "%s is decided", g)
	}

	// The application sees both decisions.
	do(t, app, chromedp.Reload())
	approved := waitText(t, app, fmt.Sprintf(`#sec-mine article[data-grant=%q]`, id), "已批准")
	assert.Contains(t, approved, "同意，限应急期间使用")
	assert.Contains(t, waitText(t, app, fmt.Sprintf(`#sec-mine article[data-grant=%q]`, refused), "已驳回"), "汇总统计可直接使用已发布的区县数量目录")
	data, err = srv.GraphQL(ctx, "demo-air-app", `query($id: String!) { grant(id: $id) { status inForce } }`, map[string]any{"id": id})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"status": "approved", "inForce": true}, data["grant"])
}
