package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/web/webtest"
)

// The demo directory has no derived entries; the lineage tests register two as the demo's
// steward, through the same GraphQL mutation a steward uses: one from the hourly air data
// (一般数据1级, like its input), one joining it with the outfall register and graded up to
// 一般数据2级, above demo-public's clearance.
var (
	derivedOnce          sync.Once
	derivedErr           error
	stationMean, joinedC string
)

const (
	stationMeanName = "站点颗粒物均值"
	joinedName      = "区县站点与排污口对照"
)

func derivedEntries(t *testing.T) (station, joined string) {
	t.Helper()
	derivedOnce.Do(func() {
		create := func(name, grade, sql string) (string, error) {
			in := map[string]any{"name": name, "category": "0101", "department": "DIV_AIR", "transform": sql}
			if grade != "" {
				in["gradeOverride"] = grade
			}
			data, err := srv.GraphQL(context.Background(), "demo-steward",
				`mutation($in: EntryInput!) { createEntry(input: $in, reason: "血缘界面测试") { resourceCode } }`,
				map[string]any{"in": in})
			if err != nil {
				return "", fmt.Errorf("create %s: %w", name, err)
			}
			return data["createEntry"].(map[string]any)["resourceCode"].(string), nil
		}
		stationMean, derivedErr = create(stationMeanName, "",
			"SELECT station_code, district_code, avg(pm25) AS pm25_mean FROM air_station_hourly GROUP BY station_code, district_code")
		if derivedErr == nil {
			joinedC, derivedErr = create(joinedName, "GENERAL_2",
				"SELECT a.district_code, count(DISTINCT a.station_code) AS stations, count(DISTINCT r.outfall_code) AS outfalls "+
					"FROM air_station_hourly a JOIN river_outfalls r ON a.district_code = r.district_code GROUP BY a.district_code")
		}
	})
	require.NoError(t, derivedErr)
	return stationMean, joinedC
}

// nodeCount is the number of distinct nodes of both walks from entry, as GraphQL answers them.
func nodeCount(t *testing.T, token, entry, level string) int {
	t.Helper()
	const q = `query($e: String!, $l: String) {
	  up: lineage(entry: $e, direction: "upstream", level: $l) { nodes { id } }
	  down: lineage(entry: $e, direction: "downstream", level: $l) { nodes { id } } }`
	data, err := srv.GraphQL(context.Background(), token, q, map[string]any{"e": entry, "l": level})
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, dir := range []string{"up", "down"} {
		for _, n := range data[dir].(map[string]any)["nodes"].([]any) {
			ids[n.(map[string]any)["id"].(string)] = true
		}
	}
	return len(ids)
}

const chartReady = `document.getElementById('lineage-chart').dataset.state === 'ready'`

// seriesOf reads the drawn graph back from the chart.
const seriesOf = `(() => { const s = echarts.getInstanceByDom(document.getElementById('lineage-chart')).getOption().series[0];
  return { nodes: s.data.map((d) => d.id), links: s.links.map((l) => l.value), animation: echarts.getInstanceByDom(document.getElementById('lineage-chart')).getOption().animation }; })()`

type drawn struct {
	Nodes     []string `json:"nodes"`
	Links     []string `json:"links"`
	Animation bool     `json:"animation"`
}

func TestLineageGraph(t *testing.T) {
	station, joined := derivedEntries(t)
	tab := loggedIn(t, "demo-steward", "/ui/lineage?entry=0101/000001")
	waitJS[bool](t, tab, chartReady)
	assert.True(t, eval[bool](t, tab, `document.querySelector('#lineage-chart canvas') !== null`))
	n := nodeCount(t, "demo-steward", "0101/000001", "table")
	summary := waitText(t, tab, "#lineage-summary", fmt.Sprintf("共 %d 个节点", n))
	assert.Contains(t, summary, "空气质量自动监测站小时数据")

	g := eval[drawn](t, tab, seriesOf)
	assert.Len(t, g.Nodes, n)
	assert.Contains(t, g.Nodes, "entry:"+station)
	assert.Contains(t, g.Nodes, "entry:"+joined)
	assert.Contains(t, g.Links, "加工输入", "edges carry their Chinese kind")
	legend := eval[[]string](t, tab, `echarts.getInstanceByDom(document.getElementById('lineage-chart')).getOption().legend[0].data`)
	assert.Subset(t, legend, []string{"目录", "数据来源", "应用场景"})
	assert.Empty(t, eval[string](t, tab, `document.getElementById('lineage-notes').innerText`), "the steward sees everything")
	screenshot(t, tab, "04-lineage")

	// Clicking the derived entry's node re-centres the graph on it: its input is upstream now.
	// The node's place is read after the chart is scrolled into view; a click that lands while
	// the page still moves is made again, from the place read anew.
	nodeXY := fmt.Sprintf(`(() => {
	  const el = document.getElementById('lineage-chart');
	  el.scrollIntoView({block: 'center'});
	  const c = echarts.getInstanceByDom(el);
	  const d = c.getOption().series[0].data.find((x) => x.id === %q);
	  const p = c.convertToPixel({seriesIndex: 0}, [d.x, d.y]);
	  const r = el.getBoundingClientRect();
	  return [r.left + p[0], r.top + p[1]]; })()`, "entry:"+station)
	recentred := fmt.Sprintf(`new URLSearchParams(location.search).get('entry') === %q`, station)
	for attempt := 0; ; attempt++ {
		xy := eval[[]float64](t, tab, nodeXY)
		do(t, tab, chromedp.MouseClickXY(xy[0], xy[1]))
		if _, err := webtest.WaitJS[bool](tab, recentred, 3*time.Second); err == nil {
			break
		} else if attempt == 4 {
			t.Fatalf("clicking the node of %s did not re-centre the graph: %v", station, err)
		}
	}
	waitText(t, tab, "#lineage-summary", stationMeanName)
	waitJS[bool](t, tab, chartReady)
	do(t, tab, chromedp.Click(chromedp.CSS("#lineage-list summary"))) // the list of nodes opens
	waitText(t, tab, "#lineage-table", "上游第 1 层")
	assert.Equal(t, station, eval[string](t, tab, `document.getElementById('lineage-entry').value`))

	// Column level: the items and how each is made from its input's items.
	do(t, tab, chromedp.Navigate(srv.Base+"/ui/lineage?entry="+station+"&level=column"))
	waitJS[bool](t, tab, chartReady)
	n = nodeCount(t, "demo-steward", station, "column")
	waitText(t, tab, "#lineage-summary", fmt.Sprintf("字段级血缘：共 %d 个节点", n))
	g = eval[drawn](t, tab, seriesOf)
	assert.Contains(t, g.Links, "汇总", "pm25_mean aggregates pm25")
	assert.Contains(t, g.Nodes, "column:"+station+".pm25_mean")
	screenshot(t, tab, "05-lineage-column")
}

// An entry a login may not see is counted, not shown, and not walked through.
func TestLineageCountsHiddenEntries(t *testing.T) {
	station, joined := derivedEntries(t)
	tab := loggedIn(t, "demo-public", "/ui/lineage?entry=0101/000001")
	waitJS[bool](t, tab, chartReady)
	waitText(t, tab, "#lineage-notes", "另有 1 个无权查看的关联目录未展开")
	g := eval[drawn](t, tab, seriesOf)
	assert.Contains(t, g.Nodes, "entry:"+station)
	assert.NotContains(t, g.Nodes, "entry:"+joined)
	assert.NotContains(t, eval[string](t, tab, `document.getElementById('lineage-table').textContent`), joinedName)
}

// A graph cut at its node bound says so, and how to see the rest; the bound comes from the page's
// address (nodes=) and reaches the service's lineage query.
func TestLineageTruncationNote(t *testing.T) {
	derivedEntries(t)
	full := nodeCount(t, "demo-steward", "0101/000001", "table")
	require.Greater(t, full, 4, "a graph larger than the bound below")
	tab := loggedIn(t, "demo-steward", "/ui/lineage?entry=0101/000001&nodes=2")
	waitJS[bool](t, tab, chartReady)
	note := waitText(t, tab, "#lineage-truncated", "节点数达到上限")
	assert.Contains(t, note, "减少层数")
	g := eval[drawn](t, tab, seriesOf)
	assert.LessOrEqual(t, len(g.Nodes), 3, "two nodes each way, the start shared")
	assert.Less(t, len(g.Nodes), full)
	screenshot(t, tab, "04b-lineage-truncated")

	// Without the bound the whole graph is drawn and no note is shown.
	do(t, tab, chromedp.Navigate(srv.Base+"/ui/lineage?entry=0101/000001"))
	waitJS[bool](t, tab, chartReady)
	waitText(t, tab, "#lineage-summary", fmt.Sprintf("共 %d 个节点", full))
	assert.False(t, eval[bool](t, tab, `!!document.getElementById('lineage-truncated')`))
}
