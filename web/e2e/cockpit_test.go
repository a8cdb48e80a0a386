package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countsOf reads "N / D 个目录" off the collection figure's card.
func countsOf(t *testing.T, text string) (int, int) {
	t.Helper()
	m := regexp.MustCompile(`([\d,]+) / ([\d,]+)`).FindStringSubmatch(text)
	require.NotNil(t, m, text)
	n, err1 := strconv.Atoi(regexp.MustCompile(`,`).ReplaceAllString(m[1], ""))
	d, err2 := strconv.Atoi(regexp.MustCompile(`,`).ReplaceAllString(m[2], ""))
	require.NoError(t, err1)
	require.NoError(t, err2)
	return n, d
}

const cockpitLoaded = `document.querySelector('#kpi-collection .kpi__counts') !== null && document.querySelectorAll('#district-chart canvas').length > 0`

// TestCockpit: the manager's cockpit shows the three figures against their targets, the
// districts ranked and the entries holding 数据归集率 back; a derived entry registered, approved
// and then materialised moves the figure (one more due, then one more collected); a lagging
// entry's link opens its detail; a low-clearance login sees nothing graded above it.
func TestCockpit(t *testing.T) {
	ctx := context.Background()
	tab := loggedIn(t, "demo-manager", "/ui/cockpit")
	waitJS[bool](t, tab, cockpitLoaded)
	n0, d0 := countsOf(t, eval[string](t, tab, `document.querySelector('#kpi-collection .kpi__counts').innerText`))
	for _, id := range []string{"kpi-collection", "kpi-coverage", "kpi-onething"} {
		assert.Regexp(t, `目标 \d+\.\d%`, eval[string](t, tab, fmt.Sprintf(`document.querySelector('#%s').innerText`, id)), id)
	}
	assert.Contains(t, eval[string](t, tab, `document.querySelector('#lagging-count').innerText`), "个目录未按时归集")
	screenshot(t, tab, "10-cockpit")

	// A steward registers a derived entry, a reviewer publishes it: due, not yet collected.
	data, err := srv.GraphQL(ctx, "demo-steward", `mutation($in: EntryInput!) { createEntry(input: $in, reason: "驾驶舱测试") { resourceCode } }`,
		map[string]any{"in": map[string]any{"name": "驾驶舱测试日均值", "category": "0101", "department": "DIV_AIR",
			"providerName": "重庆市生态环境局", "providerCode": "11500000MB1534567X", "abstract": "站点颗粒物日均值",
			"formatType": "DATABASE", "shareMode": "TABLE", "updateCycle": "DAILY", "district": "500000",
			"sourceKind": "LOCAL_SYSTEM", "domains": []any{"AIR"},
			"transform": "SELECT station_code, avg(pm25) AS pm25_mean FROM air_station_hourly GROUP BY station_code"}})
	require.NoError(t, err)
	code := data["createEntry"].(map[string]any)["resourceCode"].(string)
	step := func(token, op string) {
		t.Helper()
		rev, err := srv.GraphQL(ctx, token, `query($c: String!) { entry(code: $c) { revision } }`, map[string]any{"c": code})
		require.NoError(t, err)
		_, err = srv.GraphQL(ctx, token, fmt.Sprintf(`mutation($c: String!, $b: Long!) { %s(code: $c, base: $b, comment: "驾驶舱测试") { status } }`, op),
			map[string]any{"c": code, "b": rev["entry"].(map[string]any)["revision"]})
		require.NoError(t, err, op)
	}
	step("demo-steward", "submitEntry")
	step("demo-reviewer", "approveEntry")
	do(t, tab, chromedp.Reload())
	waitJS[bool](t, tab, cockpitLoaded)
	n1, d1 := countsOf(t, eval[string](t, tab, `document.querySelector('#kpi-collection .kpi__counts').innerText`))
	assert.Equal(t, [2]int{n0, d0 + 1}, [2]int{n1, d1}, "published: due, not collected")

	// Materialised: collected.
	req, _ := http.NewRequest(http.MethodPost, srv.Base+"/api/v1/entries/"+url.PathEscape(code)+"/materialise", nil)
	req.Header.Set("Authorization", "Bearer demo-steward")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	do(t, tab, chromedp.Reload())
	waitJS[bool](t, tab, cockpitLoaded)
	n2, d2 := countsOf(t, eval[string](t, tab, `document.querySelector('#kpi-collection .kpi__counts').innerText`))
	assert.Equal(t, [2]int{n0 + 1, d0 + 1}, [2]int{n2, d2}, "after the load")

	// Drill-down: the first lagging entry opens its detail.
	first := eval[string](t, tab, `document.querySelector('#lagging-table a').getAttribute('href')`)
	do(t, tab, chromedp.Click(`#lagging-table a`))
	waitJS[bool](t, tab, `location.pathname === '/ui/entry'`)
	assert.Equal(t, first, eval[string](t, tab, `location.pathname + location.search`))

	// demo-public (一般数据1级) is shown only what it may see: no entry graded above it appears
	// in its hold-back list, and its figure counts fewer entries.
	hidden, err := srv.GraphQL(ctx, "demo-steward", `{ collectionRate { lagging(first: 500) { entry name } } }`, nil)
	require.NoError(t, err)
	pub := loggedIn(t, "demo-public", "/ui/cockpit")
	waitJS[bool](t, pub, cockpitLoaded)
	_, dp := countsOf(t, eval[string](t, pub, `document.querySelector('#kpi-collection .kpi__counts').innerText`))
	assert.Less(t, dp, d2)
	visible, err := srv.GraphQL(ctx, "demo-public", `{ collectionRate { lagging(first: 500) { entry } } }`, nil)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, l := range visible["collectionRate"].(map[string]any)["lagging"].([]any) {
		seen[l.(map[string]any)["entry"].(string)] = true
	}
	page := eval[string](t, pub, `document.querySelector('main').innerText`)
	checked := 0
	for _, l := range hidden["collectionRate"].(map[string]any)["lagging"].([]any) {
		l := l.(map[string]any)
		if !seen[l["entry"].(string)] {
			assert.NotContains(t, page, l["entry"].(string))
			checked++
		}
	}
	assert.Positive(t, checked, "the demo has lagging entries above 一般数据1级")
}
