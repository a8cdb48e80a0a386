package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/web/webtest"
)

// clear empties the form control id, as selecting its text and deleting it would.
func clear(t *testing.T, tab *webtest.Tab, id string) {
	t.Helper()
	eval[bool](t, tab, fmt.Sprintf(`(() => { const el = document.getElementById(%q); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, id))
}

// TestEditSubmitAndApprove: the steward edits a published entry of its department in the
// browser; the catalogue's refusal of a field is shown next to it; fixed, the change is saved
// and submitted; the reviewer finds it under 待我审核 with its differences and approves it; the
// entry's history then shows the change field by field.
func TestEditSubmitAndApprove(t *testing.T) {
	ctx := context.Background()
	const code = "0203/000010" // 露天焚烧火点监测, 大气处, published
	const newAbstract = "卫星遥感发现的露天焚烧火点及其处置情况（经界面修改）。"
	const newDescription = "火点是否已完成现场处置"
	tab := loggedIn(t, "demo-steward", "/ui/entry?code=0203%2F000010")
	waitText(t, tab, "#entry-title", "露天焚烧火点监测")
	do(t, tab, chromedp.Click(chromedp.ID("edit-entry")))
	waitText(t, tab, "#edit-title", "编辑目录：露天焚烧火点监测")
	assert.Contains(t, eval[string](t, tab, `document.getElementById('entry-edit').innerText`), "保存后生成变更申请")

	// A provider code that is none is refused by the catalogue, next to its field, in Chinese.
	descID := waitJS[string](t, tab, `(() => { const r = [...document.querySelectorAll('.item-row')].find((x) => x.querySelector('.item-name').value === '已处置');
	  return r ? r.querySelector('input[id$="-description"]').id : ''; })()`)
	clear(t, tab, "in-providerCode")
	clear(t, tab, "in-abstract")
	do(t, tab,
		chromedp.SendKeys(chromedp.ID("in-providerCode"), "123"),
		chromedp.SendKeys(chromedp.ID("in-abstract"), newAbstract),
		chromedp.SendKeys(chromedp.ID(descID), newDescription),
		chromedp.SendKeys(chromedp.ID("in-retainSnapshots"), "5"),
		chromedp.SendKeys(chromedp.ID("in-reason"), "补充处置说明"),
		chromedp.Click(chromedp.ID("save")),
	)
	refused := waitText(t, tab, "#in-providerCode-error", "统一社会信用代码")
	assert.Contains(t, refused, "123")
	assert.Equal(t, "true", eval[string](t, tab, `document.getElementById('in-providerCode').getAttribute('aria-invalid')`))
	waitText(t, tab, "#edit-status", "未能保存")
	assert.Contains(t, eval[string](t, tab, `document.getElementById('edit-status').innerText`), "提供方统一社会信用代码")
	screenshot(t, tab, "20-entry-edit-refused")

	// Fixed, saved and submitted: the entry shows the change under review against the published version.
	clear(t, tab, "in-providerCode")
	do(t, tab,
		chromedp.SendKeys(chromedp.ID("in-providerCode"), "11500000MB0000000X"),
		chromedp.Click(chromedp.ID("save-submit")),
	)
	waitJS[bool](t, tab, `location.pathname === '/ui/entry'`)
	waitText(t, tab, "#entry", "已保存并提交审核")
	pending := waitText(t, tab, "#sec-pending", newAbstract)
	assert.Contains(t, pending, "待审核")
	assert.Contains(t, pending, "信息项“已处置”的说明")
	assert.Contains(t, pending, newDescription)
	assert.Contains(t, pending, "快照保留个数")
	assert.NotContains(t, pending, "提供方代码", "the provider code is as it was")
	data, err := srv.GraphQL(ctx, "demo-steward", `query($c: String!) { entry(code: $c) { abstract changeRequest { status } } }`, map[string]any{"c": code})
	require.NoError(t, err)
	entry := data["entry"].(map[string]any)
	assert.NotEqual(t, newAbstract, entry["abstract"], "the published version is unchanged until approved")
	assert.Equal(t, "PENDING_REVIEW", entry["changeRequest"].(map[string]any)["status"])

	// The reviewer finds it under 待我审核 with its differences, and approves it.
	rv := loggedIn(t, "demo-reviewer", "/ui/review")
	item := fmt.Sprintf(`article[data-code=%q]`, code)
	waitText(t, rv, "#review-list", "露天焚烧火点监测")
	do(t, rv, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-open=%q]`, code))))
	detail := waitText(t, rv, item, newDescription)
	assert.Contains(t, detail, newAbstract)
	assert.Contains(t, detail, "变更申请")
	screenshot(t, rv, "21-review")
	do(t, rv,
		chromedp.Click(chromedp.CSS(item+` button[data-step="approveEntry"]`)),
		chromedp.SendKeys(chromedp.ID("step-note-approveEntry"), "同意补充处置说明"),
		chromedp.Click(chromedp.CSS(`button[data-confirm="approveEntry"]`)),
	)
	waitText(t, rv, "#review-status", "已审核通过并发布")
	assert.False(t, eval[bool](t, rv, fmt.Sprintf(`document.querySelector(%q) !== null`, item)))

	// The history shows the approval with the change field by field.
	do(t, rv, chromedp.Navigate(srv.Base+"/ui/entry?code=0203%2F000010"))
	first := waitText(t, rv, "#sec-history .history__item", "审核通过")
	assert.Contains(t, first, "同意补充处置说明")
	assert.Contains(t, first, "信息资源摘要")
	assert.Contains(t, first, newAbstract)
	assert.Contains(t, first, newDescription)
	assert.Nil(t, eval[any](t, rv, `document.getElementById('sec-pending')`), "nothing is under way any more")
	screenshot(t, rv, "22-entry-history")
	data, err = srv.GraphQL(ctx, "demo-public", `query($c: String!) { entry(code: $c) { abstract retainSnapshots } }`, map[string]any{"c": code})
	require.NoError(t, err)
	assert.Equal(t, newAbstract, data["entry"].(map[string]any)["abstract"], "published")
	assert.EqualValues(t, 5, data["entry"].(map[string]any)["retainSnapshots"], "the retention set in the form is published with the change")
}

// TestRegisterEntryWithItems: the steward registers an entry with two items in the browser; a
// field identifier the catalogue refuses is shown in its item's row; fixed, the draft is saved,
// and submitting it names in Chinese, next to each field, what publishing still needs.
func TestRegisterEntryWithItems(t *testing.T) {
	tab := loggedIn(t, "demo-steward", "/ui/entry-edit")
	waitText(t, tab, "#edit-title", "登记新目录")
	assert.Equal(t, "DIV_AIR", eval[string](t, tab, `document.getElementById('in-department').value`), "the steward's own department")
	do(t, tab,
		chromedp.SendKeys(chromedp.ID("in-name"), "餐饮油烟在线监测数据"),
		chromedp.SetValue(chromedp.ID("in-category"), "0101"),
		chromedp.Click(chromedp.ID("add-item")),
		chromedp.Click(chromedp.ID("add-item")),
	)
	rowInput := func(i int, key string) string {
		return eval[string](t, tab, fmt.Sprintf(`document.querySelectorAll('.item-row')[%d].querySelector('input[id$="-%s"], select[id$="-%s"]').id`, i, key, key))
	}
	do(t, tab,
		chromedp.SendKeys(chromedp.ID(rowInput(0, "name")), "监测点编码"),
		chromedp.SendKeys(chromedp.ID(rowInput(0, "field")), "site_code"),
		chromedp.Click(chromedp.ID(rowInput(0, "isKey"))),
		chromedp.SendKeys(chromedp.ID(rowInput(1, "name")), "油烟浓度"),
		chromedp.SendKeys(chromedp.ID(rowInput(1, "field")), "1fume"), // an identifier begins with a letter
		chromedp.SetValue(chromedp.ID(rowInput(1, "type")), "FLOAT"),
		chromedp.Click(chromedp.ID("save")),
	)
	fieldErr := rowInput(1, "field") + "-error"
	refusal := waitText(t, tab, "#"+fieldErr, "1fume")
	assert.NotEmpty(t, refusal)
	assert.Contains(t, eval[string](t, tab, `document.getElementById('edit-status').innerText`), "信息项第 2 项")
	screenshot(t, tab, "27-entry-register-refused")

	clear(t, tab, rowInput(1, "field"))
	do(t, tab,
		chromedp.SendKeys(chromedp.ID(rowInput(1, "field")), "fume_mg"),
		chromedp.Click(chromedp.ID("save-submit")),
	)
	// Saved as a draft; submitting it is refused for what a published entry needs.
	waitText(t, tab, "#edit-status", "已保存为草稿，但未能提交审核")
	code := waitJS[string](t, tab, `new URLSearchParams(location.search).get('code') || ''`)
	waitText(t, tab, "#in-providerName-error", "必填")
	assert.True(t, eval[bool](t, tab, `!document.getElementById('in-abstract-error').hidden`))
	data, err := srv.GraphQL(context.Background(), "demo-steward", `query($c: String!) { entry(code: $c) { name status items { field name isKey } } }`, map[string]any{"c": code})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"name": "餐饮油烟在线监测数据", "status": "DRAFT", "items": []any{
		map[string]any{"field": "site_code", "name": "监测点编码", "isKey": true},
		map[string]any{"field": "fume_mg", "name": "油烟浓度", "isKey": false},
	}}, data["entry"])
}
