// The lineage graph as the lineage page draws it: the two walks (upstream and downstream)
// merged into one graph, placed in layers by depth — upstream to the left of the entry,
// downstream to the right — and turned into an ECharts option. Positions are computed here,
// not by a force layout: at hundreds of nodes a force layout is slow and never settles into
// the reading order of a lineage graph.

// kindColors colour the node kinds (lineage's NodeKind); the legend names them in Chinese
// from the kindName the service sends.
const kindColors = {
  entry: '#1d5fa8',
  column: '#4b93d6',
  source: '#2e9d6b',
  scene: '#e0902a',
  business_item: '#8a5cc2',
  job: '#5f6b7a',
  dataset: '#9aa4b1',
  consumer: '#c2524a',
};
const otherColor = '#7d8b99';

// Thresholds of the drawing: above them the chart drops what costs most.
export const limits = {
  animation: 150, // nodes: animate below
  labels: 300, // nodes: label every node below, else on hover only
  crowded: 60, // nodes: above, labels that overlap are hidden and edges are named in the tooltip only
  edgeLabels: 40, // edges: name every edge below, else in the tooltip only
  perColumn: 36, // nodes of a layer stacked in one column before it wraps into another
};

// merge joins the upstream and downstream walks of one entry. A node's layer is its depth,
// negative upstream; the start (depth 0) is in both walks and kept once.
export function merge(up, down) {
  const nodes = new Map();
  const add = (g, sign) => {
    if (!g) return;
    for (const n of g.nodes) {
      if (!nodes.has(n.id)) nodes.set(n.id, Object.assign({}, n, { layer: sign * n.depth }));
    }
  };
  add(up, -1);
  add(down, 1);
  const seen = new Set();
  const edges = [];
  for (const g of [up, down]) {
    if (!g) continue;
    for (const e of g.edges) {
      const key = e.from + '\u0000' + e.to + '\u0000' + e.kind;
      if (seen.has(key) || !nodes.has(e.from) || !nodes.has(e.to)) continue;
      seen.add(key);
      edges.push(e);
    }
  }
  return {
    root: (up || down).root,
    nodes: [...nodes.values()],
    edges,
    hidden: (up ? up.hidden : 0) + (down ? down.hidden : 0),
    truncated: !!((up && up.truncated) || (down && down.truncated)),
  };
}

function compareNodes(a, b) {
  return (a.entry || '').localeCompare(b.entry || '') || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name, 'zh-CN');
}

// layout places each node: layers left to right, the nodes of a layer top to bottom, ordered by
// the mean place of their neighbours in the layer nearer the start (fewer crossings), and
// wrapped into more columns when a layer is tall. It answers a Map id -> {x, y}.
export function layout(graph, opts) {
  const o = Object.assign({ colGap: 340, subGap: 110, rowGap: 34, perColumn: limits.perColumn }, opts || {});
  const layers = new Map();
  for (const n of graph.nodes) {
    if (!layers.has(n.layer)) layers.set(n.layer, []);
    layers.get(n.layer).push(n);
  }
  const neighbours = new Map();
  const link = (a, b) => {
    if (!neighbours.has(a)) neighbours.set(a, []);
    neighbours.get(a).push(b);
  };
  for (const e of graph.edges) {
    link(e.from, e.to);
    link(e.to, e.from);
  }
  const layerOf = new Map(graph.nodes.map((n) => [n.id, n.layer]));
  const order = new Map(); // id -> index within its layer
  const place = (layer, inner) => {
    const list = layers.get(layer);
    if (!list) return;
    const key = new Map();
    for (const n of list) {
      let sum = 0;
      let k = 0;
      for (const m of neighbours.get(n.id) || []) {
        const idx = order.get(m);
        if (idx !== undefined && inner !== null && layerOf.get(m) === inner) {
          sum += idx;
          k++;
        }
      }
      key.set(n.id, k > 0 ? sum / k : Infinity);
    }
    list.sort((a, b) => (key.get(a.id) - key.get(b.id)) || compareNodes(a, b));
    list.forEach((n, i) => order.set(n.id, i));
  };
  place(0, null);
  const keys = [...layers.keys()];
  const maxUp = Math.max(0, ...keys.map((k) => -k));
  const maxDown = Math.max(0, ...keys);
  for (let d = 1; d <= maxUp; d++) place(-d, layers.has(-d + 1) ? -d + 1 : null);
  for (let d = 1; d <= maxDown; d++) place(d, layers.has(d - 1) ? d - 1 : null);

  // Columns: each layer takes as many as it needs, filled row by row so that the order from top
  // to bottom is kept across them; layers stand side by side.
  const pos = new Map();
  let x = 0;
  for (const layer of keys.sort((a, b) => a - b)) {
    const list = layers.get(layer);
    const cols = Math.max(1, Math.ceil(list.length / o.perColumn));
    const rows = Math.ceil(list.length / cols);
    list.forEach((n, i) => {
      const c = i % cols;
      const r = Math.floor(i / cols);
      pos.set(n.id, { x: x + c * o.subGap, y: (r - (rows - 1) / 2) * o.rowGap });
    });
    x += (cols - 1) * o.subGap + o.colGap;
  }
  return pos;
}

// columnLabels writes an item's label as its name over its entry's: a column node is named
// "<entry name>.<item name>", and the entry's part is the longest prefix ending in a dot that
// the entry's columns in the graph share (an entry with one column there: up to its first dot).
function columnLabels(nodes) {
  const byEntry = new Map();
  for (const n of nodes) {
    if (n.kind !== 'column' || !n.entry) continue;
    if (!byEntry.has(n.entry)) byEntry.set(n.entry, []);
    byEntry.get(n.entry).push(n);
  }
  const out = new Map();
  for (const cols of byEntry.values()) {
    let prefix = cols[0].name;
    for (const c of cols) {
      while (!c.name.startsWith(prefix)) prefix = prefix.slice(0, -1);
    }
    let cut = cols.length > 1 ? prefix.lastIndexOf('.') : cols[0].name.indexOf('.');
    if (cut <= 0) continue;
    for (const c of cols) out.set(c.id, c.name.slice(cut + 1) + '\n' + c.name.slice(0, cut));
  }
  return out;
}

// side names where a node stands relative to the start.
export function sideOf(n) {
  if (n.layer < 0) return '上游第 ' + -n.layer + ' 层';
  if (n.layer > 0) return '下游第 ' + n.layer + ' 层';
  return '起点';
}

// margins of the drawing inside the chart: the legend above, the labels right of the last layer.
const margin = { top: 60, bottom: 20, left: 24, right: 200, rightBig: 24 };

// fit shapes the placed graph to the chart's drawing area and answers the box the chart should
// draw it in. The chart maps the box of the positions onto that box; when the two differ in
// shape it stretches one axis more than the other, and round nodes turn into ellipses. So the
// positions are first spread (up to three times) along the axis that is short for the area, and
// the box is then given the positions' exact shape, centred.
function fit(pos, area, big) {
  const W = Math.max(100, area.width - margin.left - (big ? margin.rightBig : margin.right));
  const H = Math.max(100, area.height - margin.top - margin.bottom);
  const ps = [...pos.values()];
  const bounds = () => {
    const xs = ps.map((p) => p.x);
    const ys = ps.map((p) => p.y);
    let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    // As the chart does: an axis with no extent gets one unit either side.
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 === y0) { y0 -= 1; y1 += 1; }
    return { w: x1 - x0, h: y1 - y0 };
  };
  let b = bounds();
  const want = W / H;
  if (b.w / b.h < want) {
    const f = Math.min(3, want / (b.w / b.h));
    ps.forEach((p) => { p.x *= f; });
  } else if (ps.some((p) => p.y !== ps[0].y)) {
    const f = Math.min(3, (b.w / b.h) / want);
    ps.forEach((p) => { p.y *= f; });
  }
  b = bounds();
  const a = b.w / b.h;
  const bw = a > want ? W : H * a;
  const bh = a > want ? W / a : H;
  return { left: margin.left + (W - bw) / 2, top: margin.top + (H - bh) / 2, width: bw, height: bh };
}

// option builds the ECharts option of graph for a chart of size {width, height} (pixels).
export function option(graph, size) {
  const pos = layout(graph);
  const kinds = [];
  const kindIndex = new Map();
  for (const n of graph.nodes) {
    if (!kindIndex.has(n.kind)) {
      kindIndex.set(n.kind, kinds.length);
      kinds.push({ name: n.kindName, itemStyle: { color: kindColors[n.kind] || otherColor } });
    }
  }
  const many = graph.nodes.length;
  const big = many > limits.labels;
  const box = fit(pos, size || { width: 1200, height: 500 }, big);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const labels = columnLabels(graph.nodes);
  const data = graph.nodes.map((n) => {
    const p = pos.get(n.id);
    const isRoot = n.layer === 0 && (n.id === graph.root || n.kind === 'column');
    return {
      id: n.id,
      name: n.name,
      x: p.x,
      y: p.y,
      category: kindIndex.get(n.kind),
      symbolSize: isRoot ? 22 : (n.kind === 'column' ? 10 : 15) * (big ? 0.7 : 1),
      itemStyle: isRoot ? { borderColor: '#0b2f5b', borderWidth: 3 } : undefined,
      value: n.id,
    };
  });
  // Edges bow by different amounts, so that two crossing at their middles keep their names apart.
  const bows = [0.05, -0.09, 0.13, -0.17];
  const links = graph.edges.map((e, i) => ({ source: e.from, target: e.to, value: e.kindName,
    lineStyle: big ? undefined : { curveness: bows[i % bows.length] } }));
  return {
    animation: many <= limits.animation,
    legend: [{ data: kinds.map((k) => k.name), top: 4, left: 'center', textStyle: { fontSize: 13 } }],
    tooltip: {
      renderMode: 'richText', // plain text drawn by the chart: nothing the service sends becomes markup
      confine: true,
      formatter: (p) => {
        if (p.dataType === 'edge') {
          const from = byId.get(p.data.source);
          const to = byId.get(p.data.target);
          return (from ? from.name : p.data.source) + ' → ' + (to ? to.name : p.data.target) + '\n关系：' + p.data.value;
        }
        const n = byId.get(p.data.id);
        if (!n) return p.name;
        const lines = [n.name, '类型：' + n.kindName, '位置：' + sideOf(n)];
        if (n.entry) lines.push('信息资源代码：' + n.entry);
        if (n.field) lines.push('字段：' + n.field);
        if (n.snapshot) lines.push('快照：' + n.snapshot);
        return lines.join('\n');
      },
    },
    series: [{
      type: 'graph',
      layout: 'none',
      left: box.left,
      top: box.top,
      width: box.width,
      height: box.height,
      roam: true,
      nodeScaleRatio: 0.5,
      draggable: false,
      categories: kinds,
      data,
      links,
      edgeSymbol: ['none', 'arrow'],
      edgeSymbolSize: 7,
      lineStyle: { color: 'source', opacity: big ? 0.35 : 0.6, width: 1.2, curveness: big ? 0 : 0.05 },
      label: { show: !big, position: 'right', fontSize: 12, color: '#1b2a3a', width: 180, overflow: 'truncate', lineHeight: 15,
        formatter: (p) => labels.get(p.data.id) || p.name },
      // Hiding overlaps misplaces the chart's edge labels, so it comes with the edges unnamed.
      labelLayout: many > limits.crowded ? { hideOverlap: true } : undefined,
      edgeLabel: { show: many <= limits.crowded && graph.edges.length <= limits.edgeLabels, formatter: (p) => p.data.value, fontSize: 11, color: '#4a5868' },
      emphasis: { focus: 'adjacency', label: { show: true }, edgeLabel: { show: true }, lineStyle: { width: 2.4, opacity: 0.9 } },
    }],
  };
}
