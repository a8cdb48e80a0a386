// The lineage page: /ui/lineage?entry=<resource code or table>[&level=column][&field=…][&depth=…].
// Both walks of GraphQL `lineage` (upstream and downstream) are drawn as one graph; clicking a
// node of another entry re-centres the graph on that entry.

import { ready } from './layout.js';
import { gql } from './api.js';
import { h, byId, replace, table, dash, message } from './dom.js';
import { merge, option, sideOf } from './lineage-graph.js';

const form = byId('lineage-form');
const entryInput = byId('lineage-entry');
const levelInput = byId('lineage-level');
const fieldInput = byId('lineage-field');
const depthInput = byId('lineage-depth');
const summary = byId('lineage-summary');
const notes = byId('lineage-notes');
const chartEl = byId('lineage-chart');
const tableEl = byId('lineage-table');

const lineageQuery = `query Lineage($entry: String!, $level: String, $field: String, $depth: Int, $maxNodes: Int) {
  start: entry(code: $entry) { name }
  up: lineage(entry: $entry, direction: "upstream", level: $level, field: $field, depth: $depth, maxNodes: $maxNodes) { ...G }
  down: lineage(entry: $entry, direction: "downstream", level: $level, field: $field, depth: $depth, maxNodes: $maxNodes) { ...G }
}
fragment G on LineageGraph {
  root hidden truncated
  nodes { id kind kindName entry field name depth snapshot }
  edges { from to kind kindName }
}`;

let chart = null;
let current = null; // the request drawn: {entry, level, field, depth}
let nodeById = new Map(); // the nodes drawn
let drawnGraph = null;

function sizeOf() {
  return { width: chartEl.clientWidth, height: chartEl.clientHeight };
}
let seq = 0;

function paramsFromURL() {
  const p = new URLSearchParams(location.search);
  const depth = parseInt(p.get('depth') || '5', 10);
  const nodes = parseInt(p.get('nodes') || '0', 10); // each direction's bound; 0 the service's default
  return {
    entry: (p.get('entry') || '').trim(),
    level: p.get('level') === 'column' ? 'column' : 'table',
    field: (p.get('field') || '').trim(),
    depth: depth >= 1 && depth <= 20 ? depth : 5,
    nodes: nodes >= 1 && nodes <= 10000 ? nodes : 0,
  };
}

function urlOf(req) {
  const p = new URLSearchParams({ entry: req.entry });
  if (req.level !== 'table') p.set('level', req.level);
  if (req.field) p.set('field', req.field);
  if (req.depth !== 5) p.set('depth', String(req.depth));
  if (req.nodes) p.set('nodes', String(req.nodes));
  return location.pathname + '?' + p.toString();
}

function fillForm(req) {
  entryInput.value = req.entry;
  levelInput.value = req.level;
  fieldInput.value = req.field;
  depthInput.value = String(req.depth);
}

// go draws req and records it in the history, so that the browser's back returns to the
// entry before.
function go(req) {
  history.pushState(null, '', urlOf(req));
  fillForm(req);
  draw(req);
}

function nodeTable(graph) {
  const rows = graph.nodes.slice().sort((a, b) => a.layer - b.layer || a.name.localeCompare(b.name, 'zh-CN'));
  return table([
    { title: '名称', cell: (n) => n.name },
    { title: '类型', cell: (n) => n.kindName },
    { title: '位置', class: 'nowrap', cell: (n) => sideOf(n) },
    { title: '信息资源代码', class: 'nowrap', cell: (n) => (n.entry && n.entry !== current.entry
      ? h('a', { href: urlOf(Object.assign({}, current, { entry: n.entry, field: '' })), 'data-entry': n.entry,
        onclick: (ev) => { ev.preventDefault(); recentre(n.entry); } }, n.entry)
      : dash(n.entry)) },
  ], rows, '血缘节点');
}

function recentre(code) {
  go(Object.assign({}, current, { entry: code, field: '' }));
}

function showNotes(graph) {
  const items = [];
  if (graph.hidden > 0) items.push(h('li', { class: 'note note--warn', id: 'lineage-hidden' }, '另有 ' + graph.hidden + ' 个无权查看的关联目录未展开'));
  if (graph.truncated) items.push(h('li', { class: 'note note--warn', id: 'lineage-truncated' }, '节点数达到上限，部分节点未列出；可减少层数，或在字段级只看某一信息项'));
  replace(notes, items);
}

function ensureChart() {
  if (!chart) {
    chart = window.echarts.init(chartEl, null, { renderer: 'canvas' });
    chart.on('click', (p) => {
      if (p.dataType !== 'node' || !current) return;
      const n = p.data && p.data.id && nodeById.get(p.data.id);
      if (n && n.entry && n.entry !== current.entry) recentre(n.entry);
    });
    // The graph is shaped to the chart's size (lineage-graph.js fit): a new size, a new shape.
    let pending = 0;
    window.addEventListener('resize', () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => {
        chart.resize();
        if (drawnGraph) chart.setOption(option(drawnGraph, sizeOf()), true);
      });
    });
  }
  return chart;
}

async function draw(req) {
  const mine = ++seq;
  current = req;
  chartEl.dataset.state = 'loading';
  summary.textContent = '正在加载血缘…';
  replace(notes);
  try {
    const data = await gql(lineageQuery, { entry: req.entry, level: req.level, field: req.field || null, depth: req.depth,
      maxNodes: req.nodes || null });
    if (mine !== seq) return;
    const graph = merge(data.up, data.down);
    nodeById = new Map(graph.nodes.map((n) => [n.id, n]));
    const rootName = data.start ? data.start.name : req.entry; // a table name finds no entry by code
    const up = graph.nodes.filter((n) => n.layer < 0).length;
    const down = graph.nodes.filter((n) => n.layer > 0).length;
    summary.textContent = '“' + rootName + '”的' + (req.level === 'column' ? '字段级' : '表级') + '血缘：共 ' +
      graph.nodes.length + ' 个节点、' + graph.edges.length + ' 条关系（上游 ' + up + ' 个，下游 ' + down + ' 个）';
    showNotes(graph);
    const c = ensureChart();
    // Ready once the chart has drawn the graph (after its animation, when it has one).
    const done = () => {
      c.off('finished', done);
      if (mine === seq) chartEl.dataset.state = 'ready';
    };
    c.on('finished', done);
    drawnGraph = graph;
    c.setOption(option(graph, sizeOf()), true);
    replace(tableEl, nodeTable(graph));
    chartEl.dataset.nodes = String(graph.nodes.length);
  } catch (e) {
    if (mine !== seq) return;
    summary.textContent = '';
    replace(notes, h('li', null, message('error', '加载血缘失败：' + e.message)));
    if (chart) chart.clear();
    replace(tableEl);
    chartEl.dataset.state = 'error';
  }
}

if (ready) {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const depth = parseInt(depthInput.value, 10);
    const req = {
      entry: entryInput.value.trim(),
      level: levelInput.value === 'column' ? 'column' : 'table',
      field: fieldInput.value.trim(),
      depth: depth >= 1 && depth <= 20 ? depth : 5,
    };
    if (req.entry === '') {
      entryInput.focus();
      return;
    }
    go(req);
  });
  window.addEventListener('popstate', () => {
    const req = paramsFromURL();
    fillForm(req);
    if (req.entry) draw(req);
  });
  const req = paramsFromURL();
  fillForm(req);
  if (req.entry) {
    draw(req);
  } else {
    summary.textContent = '请输入信息资源代码或数据表名，查看它的上游来源与下游依赖';
    entryInput.focus();
  }
}
