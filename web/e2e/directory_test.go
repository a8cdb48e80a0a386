package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

func TestDirectorySearchAndEntry(t *testing.T) {
	tab := loggedIn(t, "demo-steward", "/ui/directory")
	waitText(t, tab, "#result-count", "共")

	do(t, tab,
		chromedp.SendKeys(chromedp.ID("search-text"), "空气质量\n"), // Enter submits
	)
	waitText(t, tab, "#result-count", "搜索“空气质量”")
	waitText(t, tab, "#results", "空气质量自动监测站小时数据")
	assert.Contains(t, eval[string](t, tab, `location.search`), "text=")

	// The facets count the hits; ticking a grade narrows the search to it.
	grades := waitJS[[]string](t, tab, `(() => { const l = [...document.querySelectorAll('input[id^="facet-grade-"]')].map((i) => i.value); return l.length ? l : null; })()`)
	assert.Contains(t, grades, "GENERAL_1")
	do(t, tab, chromedp.Click(chromedp.ID("facet-grade-GENERAL_1")))
	waitJS[bool](t, tab, `location.search.includes('grade=GENERAL_1')`)
	waitText(t, tab, "#results", "空气质量自动监测站小时数据")
	screenshot(t, tab, "02-directory")

	// The entry's detail: description, items with grades and masking, snapshots, runs.
	do(t, tab, chromedp.Click(chromedp.CSS(`#results a[href="/ui/entry?code=0101%2F000001"]`)))
	waitText(t, tab, "#entry-title", "空气质量自动监测站小时数据")
	waitText(t, tab, "#sec-items", "PM2.5")
	body := waitText(t, tab, "#entry", "当前")
	for _, want := range []string{"基本信息", "数据分级", "共享与开放", "快照", "归集批次", "历史记录", "一般数据1级", "无条件共享"} {
		assert.Contains(t, body, want)
	}
	assert.Equal(t, "/ui/lineage?entry=0101%2F000001", eval[string](t, tab, `document.querySelector('.actions a[href^="/ui/lineage"]').getAttribute('href')`))
	screenshot(t, tab, "03-entry")

	// An entry with personal information says which items are masked and how.
	do(t, tab, chromedp.Navigate(srv.Base+"/ui/entry?code=0102%2F000018"))
	waitText(t, tab, "#entry-title", "河长巡河记录")
	waitText(t, tab, "#sec-items", "脱敏：姓名")
}

// An entry graded above a login's clearance exists for it nowhere: not in the search, not as a
// detail page.
func TestDirectoryHidesEntriesAboveClearance(t *testing.T) {
	search := func(token string) string {
		tab := loggedIn(t, token, "/ui/directory?text=%E5%8D%B1%E9%99%A9%E5%BA%9F%E7%89%A9") // 危险废物
		waitText(t, tab, "#result-count", "搜索“危险废物”")
		return waitText(t, tab, "#results", "危险废物经营许可证")
	}
	public := search("demo-public")
	assert.NotContains(t, public, "危险废物利用处置设施能力与库存", "重要数据")
	assert.NotContains(t, public, "危险废物转移联单", "一般数据3级")
	steward := search("demo-steward")
	assert.Contains(t, steward, "危险废物利用处置设施能力与库存")
	assert.Contains(t, steward, "危险废物转移联单")

	tab := loggedIn(t, "demo-public", "/ui/entry?code=0501%2F000027")
	text := waitText(t, tab, "#entry", "不存在或无权查看")
	assert.NotContains(t, text, "危险废物利用处置设施能力与库存")
}
