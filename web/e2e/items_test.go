package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBusinessItemsAndScenesForms: the steward registers a business item of its department in
// the browser, a code the catalogue refuses being shown next to the code field; the item is
// listed with its department and revision, is renamed on that revision, and an edit made on a
// revision someone else has since replaced is refused with the catalogue's words; a 一件事 is
// registered with a scene account; the manager finds no menu item, and what it tries to save
// there is refused by the catalogue, in Chinese.
func TestBusinessItemsAndScenesForms(t *testing.T) {
	ctx := context.Background()
	const code = "YW_UI_AIR_PATROL"
	tab := loggedIn(t, "demo-steward", "/ui/items")
	waitText(t, tab, "#bi-list", "空气质量监测")
	waitText(t, tab, "#sc-list", "污染天应对")
	assert.Equal(t, "事项场景", eval[string](t, tab, `document.querySelector('.main-nav a[aria-current="page"]').textContent`))

	// A code with a space and Chinese characters is refused next to the code field.
	do(t, tab, chromedp.Click(chromedp.ID("new-bi")))
	waitJS[bool](t, tab, `document.activeElement && document.activeElement.id === 'bi-code'`)
	assert.Equal(t, "DIV_AIR", eval[string](t, tab, `document.getElementById('bi-department').value`), "the steward's own department")
	assert.True(t, eval[bool](t, tab, `[...document.querySelectorAll('#bi-form input, #bi-form select, #bi-form textarea')]
		.every((el) => el.labels && el.labels.length > 0)`), "every control has its label")
	do(t, tab,
		chromedp.SendKeys(chromedp.ID("bi-code"), "YW 巡查"),
		chromedp.SendKeys(chromedp.ID("bi-name"), "大气污染源巡查"),
		chromedp.SendKeys(chromedp.ID("bi-description"), "界面登记的业务事项"),
		chromedp.Click(chromedp.ID("bi-save")),
	)
	refused := waitText(t, tab, "#bi-code-error", "英文字母")
	assert.Contains(t, refused, "YW 巡查")
	assert.Equal(t, "true", eval[string](t, tab, `document.getElementById('bi-code').getAttribute('aria-invalid')`))
	assert.Contains(t, waitText(t, tab, "#bi-form-status", "未能登记"), "业务事项代码")
	screenshot(t, tab, "40-items-refused")

	// Fixed, registered and listed with its department and revision.
	clear(t, tab, "bi-code")
	do(t, tab, chromedp.SendKeys(chromedp.ID("bi-code"), code), chromedp.Click(chromedp.ID("bi-save")))
	waitText(t, tab, "#bi-status", "已登记业务事项 "+code)
	row := fmt.Sprintf(`#bi-list tr[data-code=%q]`, code)
	listed := waitText(t, tab, row, "大气污染源巡查")
	assert.Contains(t, listed, "大气处")
	item := func() map[string]any {
		t.Helper()
		data, err := srv.GraphQL(ctx, "demo-steward", `{ businessItems { code name department description retired revision } }`, nil)
		require.NoError(t, err)
		for _, b := range data["businessItems"].([]any) {
			if m := b.(map[string]any); m["code"] == code {
				return m
			}
		}
		t.Fatalf("business item %s is not registered", code)
		return nil
	}
	got := item()
	assert.Equal(t, []any{"大气污染源巡查", "DIV_AIR", "界面登记的业务事项", false}, []any{got["name"], got["department"], got["description"], got["retired"]})
	assert.Contains(t, listed, fmt.Sprint(got["revision"]))

	// Renamed on the revision shown.
	do(t, tab, chromedp.Click(chromedp.CSS(row+` button[data-edit]`)))
	waitJS[bool](t, tab, `document.activeElement && document.activeElement.id === 'bi-name'`)
	assert.True(t, eval[bool](t, tab, `document.getElementById('bi-code').readOnly`))
	clear(t, tab, "bi-name")
	do(t, tab, chromedp.SendKeys(chromedp.ID("bi-name"), "大气污染源日常巡查"), chromedp.Click(chromedp.ID("bi-save")))
	waitText(t, tab, "#bi-status", "已保存业务事项 "+code)
	waitText(t, tab, row, "大气污染源日常巡查")
	renamed := item()
	assert.Equal(t, "大气污染源日常巡查", renamed["name"])
	assert.NotEqual(t, got["revision"], renamed["revision"])

	// An edit on a revision replaced meanwhile is refused with the catalogue's words.
	do(t, tab, chromedp.Click(chromedp.CSS(row+` button[data-edit]`)))
	waitJS[bool](t, tab, `document.activeElement && document.activeElement.id === 'bi-name'`)
	_, err := srv.GraphQL(ctx, "demo-steward", `mutation($in: BusinessItemInput!, $b: Long) { putBusinessItem(input: $in, base: $b) { revision } }`,
		map[string]any{"in": map[string]any{"code": code, "description": "他人同时修改的说明"}, "b": renamed["revision"]})
	require.NoError(t, err)
	clear(t, tab, "bi-name")
	do(t, tab, chromedp.SendKeys(chromedp.ID("bi-name"), "过时的名称"), chromedp.Click(chromedp.ID("bi-save")))
	stale := waitText(t, tab, "#bi-form-status", "请刷新后重新操作")
	assert.Contains(t, stale, "未能保存")
	assert.Equal(t, "大气污染源日常巡查", item()["name"], "the stale edit changed nothing")

	// Retired through the form, so that the bureau's figures are left as they were.
	do(t, tab, chromedp.Click(chromedp.ID("bi-cancel")), chromedp.Navigate(srv.Base+"/ui/items"))
	waitText(t, tab, row, "大气污染源日常巡查")
	do(t, tab, chromedp.Click(chromedp.CSS(row+` button[data-edit]`)))
	waitJS[bool](t, tab, `document.activeElement && document.activeElement.id === 'bi-name'`)
	do(t, tab, chromedp.Click(chromedp.ID("bi-retired")), chromedp.Click(chromedp.ID("bi-save")))
	waitText(t, tab, row, "已下线")
	assert.Equal(t, true, item()["retired"])

	// A 一件事 with a scene account; an account that is no scene account is refused next to its field.
	const scene = "YJS_UI_ODOUR"
	do(t, tab, chromedp.Click(chromedp.ID("new-sc")))
	waitJS[bool](t, tab, `document.activeElement && document.activeElement.id === 'sc-code'`)
	assert.Equal(t, []string{"一件事", "综合场景"}, eval[[]string](t, tab, `[...document.querySelectorAll('#sc-kind option')].map((o) => o.textContent)`))
	do(t, tab,
		chromedp.SendKeys(chromedp.ID("sc-code"), scene),
		chromedp.SendKeys(chromedp.ID("sc-name"), "异味投诉快速处置"),
		chromedp.SetValue(chromedp.ID("sc-kind"), "one_thing"),
		chromedp.SendKeys(chromedp.ID("sc-accounts"), "air-app, reviewer"),
		chromedp.Click(chromedp.ID("sc-save")),
	)
	assert.Contains(t, waitText(t, tab, "#sc-accounts-error", "reviewer"), "不是应用场景账号")
	clear(t, tab, "sc-accounts")
	do(t, tab, chromedp.SendKeys(chromedp.ID("sc-accounts"), "air-app"), chromedp.Click(chromedp.ID("sc-save")))
	waitText(t, tab, "#sc-status", "已登记应用场景 "+scene)
	srow := waitText(t, tab, fmt.Sprintf(`#sc-list tr[data-code=%q]`, scene), "异味投诉快速处置")
	assert.Contains(t, srow, "一件事")
	assert.Contains(t, srow, "air-app")
	screenshot(t, tab, "41-items-scene")
	data, err := srv.GraphQL(ctx, "demo-steward", `{ scenes { code name kind department accounts retired } }`, nil)
	require.NoError(t, err)
	var found map[string]any
	for _, s := range data["scenes"].([]any) {
		if m := s.(map[string]any); m["code"] == scene {
			found = m
		}
	}
	assert.Equal(t, map[string]any{"code": scene, "name": "异味投诉快速处置", "kind": "one_thing", "department": "DIV_AIR",
		"accounts": []any{"air-app"}, "retired": false}, found)
	_, err = srv.GraphQL(ctx, "demo-steward", `mutation($in: SceneInput!, $b: Long) { putScene(input: $in, base: $b) { retired } }`,
		map[string]any{"in": map[string]any{"code": scene, "retired": true}, "b": mustRevision(t, ctx, scene)})
	require.NoError(t, err)

	// The manager: no menu item; the page says it may not, and the catalogue refuses a save.
	mg := loggedIn(t, "demo-manager", "/ui/items")
	waitText(t, mg, "#items-page", "不能登记或修改")
	waitJS[bool](t, mg, `document.querySelectorAll('button[data-edit]').length > 0`)
	assert.True(t, eval[bool](t, mg, `(() => { const bs = [...document.querySelectorAll('button[data-edit]')]; return bs.length > 0 && bs.every((b) => b.disabled); })()`),
		"the catalogue lets the manager change no row: every 编辑 is disabled")
	// The steward of 大气处 may change its own department's rows, not the others'.
	st := loggedIn(t, "demo-steward", "/ui/items")
	waitJS[bool](t, st, `document.querySelectorAll('button[data-edit]').length > 0`)
	counts := eval[map[string]int](t, st, `(() => { const bs = [...document.querySelectorAll('button[data-edit]')];
	  return { on: bs.filter((b) => !b.disabled).length, off: bs.filter((b) => b.disabled && b.title.includes('只能修改本处室')).length }; })()`)
	assert.Positive(t, counts["on"], "its own department's rows")
	assert.Positive(t, counts["off"], "other departments' rows, saying why")
	assert.True(t, eval[bool](t, mg, `getComputedStyle(document.querySelector('.main-nav li[data-needs="editsDirectory"]')).display === 'none'`))
	do(t, mg, chromedp.Click(chromedp.ID("new-bi")))
	waitJS[bool](t, mg, `document.activeElement && document.activeElement.id === 'bi-code'`)
	do(t, mg,
		chromedp.SendKeys(chromedp.ID("bi-code"), "YW_UI_MANAGER"),
		chromedp.SendKeys(chromedp.ID("bi-name"), "领导登记的事项"),
		chromedp.SetValue(chromedp.ID("bi-department"), "DIV_AIR"),
		chromedp.Click(chromedp.ID("bi-save")),
	)
	waitText(t, mg, "#bi-form-status", "无权修改目录")
	data, err = srv.GraphQL(ctx, "demo-steward", `{ businessItems { code } }`, nil)
	require.NoError(t, err)
	assert.NotContains(t, fmt.Sprint(data["businessItems"]), "YW_UI_MANAGER")
}

func mustRevision(t *testing.T, ctx context.Context, scene string) any {
	t.Helper()
	data, err := srv.GraphQL(ctx, "demo-steward", `{ scenes { code revision } }`, nil)
	require.NoError(t, err)
	for _, s := range data["scenes"].([]any) {
		if m := s.(map[string]any); m["code"] == scene {
			return m["revision"]
		}
	}
	t.Fatalf("scene %s is not registered", scene)
	return nil
}
