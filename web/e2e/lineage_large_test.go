package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// largeGraph draws a 500-node, 7-layer graph (3 layers upstream, 3 downstream) with the page's
// own module into the page's chart and answers how it went. The graph is built in the page: no
// directory holds one this size, and the layout and drawing are what is measured here.
const largeGraph = `(async () => {
  const m = await import('/ui/static/js/lineage-graph.js');
  const kinds = [['entry', '目录'], ['column', '信息项'], ['scene', '应用场景'], ['source', '数据来源']];
  const perLayer = [40, 70, 90, 1, 110, 100, 89];
  const nodes = [], edges = [];
  const layers = [];
  perLayer.forEach((count, li) => {
    const layer = li - 3, ids = [];
    for (let i = 0; i < count; i++) {
      const [kind, kindName] = layer === 0 ? kinds[0] : kinds[(i + li) % kinds.length];
      const id = 'n' + layer + '_' + i;
      nodes.push({ id, kind, kindName, entry: 'E' + layer + '/' + i, field: null, name: '节点 ' + layer + '-' + i, depth: Math.abs(layer), snapshot: null, side: layer });
      ids.push(id);
    }
    layers.push(ids);
  });
  // Edges point downstream, between neighbouring layers, two for most nodes.
  for (let li = 0; li + 1 < layers.length; li++) {
    const a = layers[li], b = layers[li + 1];
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      edges.push({ from: a[i % a.length], to: b[i % b.length], kind: 'derived', kindName: '加工输入' });
      if (i % 3 === 0) edges.push({ from: a[(i * 7) % a.length], to: b[(i * 5) % b.length], kind: 'derived', kindName: '加工输入' });
    }
  }
  const up = { root: 'n0_0', nodes: nodes.filter((x) => x.side <= 0), edges, hidden: 0, truncated: false };
  const down = { root: 'n0_0', nodes: nodes.filter((x) => x.side >= 0), edges, hidden: 0, truncated: false };
  const graph = m.merge(up, down);
  const t0 = performance.now();
  const pos = m.layout(graph);
  const layoutMs = performance.now() - t0;
  const el = document.getElementById('lineage-chart');
  el.scrollIntoView({ block: 'start' });
  const chart = echarts.getInstanceByDom(el) || echarts.init(el);
  const opt = m.option(graph, { width: el.clientWidth, height: el.clientHeight });
  const t1 = performance.now();
  await new Promise((resolve) => { chart.on('finished', resolve); chart.setOption(opt, true); });
  const drawMs = performance.now() - t1;
  const distinct = new Set([...pos.values()].map((p) => p.x + ',' + p.y)).size;
  // Upstream stands left of the start, downstream right, layer by layer.
  const xs = (layer) => graph.nodes.filter((x) => x.layer === layer).map((x) => pos.get(x.id).x);
  let ordered = true;
  for (let l = -3; l < 3; l++) if (Math.max(...xs(l)) >= Math.min(...xs(l + 1))) ordered = false;
  return { nodes: graph.nodes.length, edges: graph.edges.length, distinct, ordered, layoutMs, drawMs,
    animation: opt.animation, labels: opt.series[0].label.show, edgeLabels: opt.series[0].edgeLabel.show };
})()`

type largeResult struct {
	Nodes      int     `json:"nodes"`
	Edges      int     `json:"edges"`
	Distinct   int     `json:"distinct"`
	Ordered    bool    `json:"ordered"`
	LayoutMs   float64 `json:"layoutMs"`
	DrawMs     float64 `json:"drawMs"`
	Animation  bool    `json:"animation"`
	Labels     bool    `json:"labels"`
	EdgeLabels bool    `json:"edgeLabels"`
}

func TestLineageLargeGraph(t *testing.T) {
	tab := loggedIn(t, "demo-steward", "/ui/lineage")
	do(t, tab, chromedp.WaitVisible(chromedp.ID("lineage-chart")))
	r := eval[largeResult](t, tab, largeGraph)
	t.Logf("500-node graph: layout %.1f ms, drawn in %.1f ms", r.LayoutMs, r.DrawMs)
	assert.Equal(t, 500, r.Nodes)
	assert.Equal(t, 500, r.Distinct, "no two nodes share a place")
	assert.True(t, r.Ordered, "layers stand left to right by depth")
	assert.False(t, r.Animation, "no animation at this size")
	assert.False(t, r.EdgeLabels, "edge kinds in the tooltip only at this size")
	// The times are logged, not asserted: timing belongs to benchmarks, and headless Chromium
	// draws on a shared CPU.
	screenshot(t, tab, "06-lineage-500")
}
