// The directory page: full-text search with facets over the entries this account may see,
// a result table and pages. The search itself is directory-search.js.

import { ready } from './layout.js';
import { h, byId, replace, table, dash, message } from './dom.js';
import { gradeBadge, shareBadge, statusBadge } from './badges.js';
import { facets, search, stateFromURL, stateToURL } from './directory-search.js';

const pageSize = 20;
const facetShown = 8; // codes of a facet shown before “展开全部”

const form = byId('search-form');
const textInput = byId('search-text');
const facetBox = byId('facets');
const results = byId('results');
const count = byId('result-count');
const pager = byId('pager');

let state = stateFromURL(new URLSearchParams(location.search));
let cursors = ['']; // the after of each page seen, for going back
let expanded = {};
let inflight = null;

// resultColumns are the columns of the result table; a page that lists entries differently
// passes its own to renderResults.
export const resultColumns = [
  { title: '信息资源代码', class: 'nowrap', cell: (e) => h('a', { href: '/ui/entry?code=' + encodeURIComponent(e.resourceCode) }, e.resourceCode) },
  { title: '信息资源名称', cell: (e) => h('a', { href: '/ui/entry?code=' + encodeURIComponent(e.resourceCode), class: 'entry-name' }, e.name) },
  { title: '责任处室', cell: (e) => dash(e.departmentName) },
  { title: '分类', cell: (e) => dash(e.categoryName) },
  { title: '数据分级', class: 'nowrap', cell: (e) => gradeBadge(e.grade) },
  { title: '共享类型', class: 'nowrap', cell: (e) => shareBadge(e.shareType, e.shareTypeName) },
  { title: '状态', class: 'nowrap', cell: (e) => statusBadge(e.status, e.statusName) },
  { title: '更新周期', cell: (e) => dash(e.updateCycleName) },
  { title: '血缘', class: 'nowrap', cell: (e) => h('a', { href: '/ui/lineage?entry=' + encodeURIComponent(e.resourceCode), 'aria-label': e.name + ' 的血缘' }, '查看') },
];

export function renderResults(res, columns) {
  if (res.hits.length === 0) {
    replace(results, message('info', '没有符合条件的目录'));
    return;
  }
  replace(results, table(columns || resultColumns, res.hits.map((hit) => hit.entry), '目录搜索结果'));
}

function renderFacets(res) {
  const groups = facets.map((f) => {
    const selected = state.filters[f.key] || [];
    const counts = (res && res.facets[f.key]) || [];
    const known = new Set(counts.map((c) => c.code));
    // A selected code with no hit left stays on screen, so that it can be unticked.
    const all = counts.concat(selected.filter((c) => !known.has(c)).map((c) => ({ code: c, name: c, count: 0 })));
    if (all.length === 0) return null;
    const shown = expanded[f.key] ? all : all.slice(0, facetShown);
    const boxes = shown.map((c) => {
      const id = 'facet-' + f.key + '-' + c.code.replace(/[^A-Za-z0-9_-]/g, '_');
      const input = h('input', { type: 'checkbox', id, value: c.code, checked: selected.includes(c.code),
        onchange: (ev) => toggle(f.key, c.code, ev.target.checked) });
      return h('li', null, input, h('label', { for: id }, c.name, ' ', h('span', { class: 'count' }, '(' + c.count + ')')));
    });
    const more = all.length > facetShown
      ? h('button', { type: 'button', class: 'link-button', 'aria-expanded': String(!!expanded[f.key]),
        onclick: () => { expanded[f.key] = !expanded[f.key]; renderFacets(res); } },
      expanded[f.key] ? '收起' : '展开全部 (' + all.length + ')')
      : null;
    return h('fieldset', { class: 'facet' }, h('legend', null, f.label), h('ul', null, boxes), more);
  });
  replace(facetBox, h('h2', { class: 'facets__title' }, '筛选条件'), groups);
}

function renderPager(res) {
  const page = cursors.length;
  const prev = h('button', { type: 'button', class: 'button', disabled: page <= 1,
    onclick: () => { cursors.pop(); state.after = cursors[cursors.length - 1]; run(false); } }, '上一页');
  const next = h('button', { type: 'button', class: 'button', disabled: !res.nextCursor,
    onclick: () => { cursors.push(res.nextCursor); state.after = res.nextCursor; run(false); } }, '下一页');
  replace(pager, prev, h('span', { class: 'pager__page' }, '第 ' + page + ' 页'), next);
}

function toggle(key, code, on) {
  const list = (state.filters[key] || []).filter((c) => c !== code);
  if (on) list.push(code);
  if (list.length > 0) state.filters[key] = list; else delete state.filters[key];
  restart();
}

// restart goes back to the first page of a changed search and records it in the address.
function restart() {
  state.after = '';
  cursors = [''];
  history.replaceState(null, '', location.pathname + stateToURL(state));
  run(true);
}

async function run(refreshFacets) {
  if (inflight) inflight.abort();
  const ctl = new AbortController();
  inflight = ctl;
  count.textContent = '正在搜索…';
  results.setAttribute('aria-busy', 'true');
  try {
    const res = await search(state, pageSize, ctl.signal);
    if (ctl.signal.aborted) return;
    // A word thousands of entries' texts hold is verified in part per search: the count is then
    // the verified ones, and the facet counts too.
    count.textContent = (res.totalExact ? '共 ' + res.total + ' 条目录' : '已核实 ' + res.total + ' 条目录，至多 ' + res.totalAtMost + ' 条（其余翻页时核实，分面计数为已核实的）')
      + (state.text ? '，搜索“' + state.text + '”' : '');
    renderResults(res);
    if (refreshFacets) renderFacets(res);
    renderPager(res);
  } catch (e) {
    if (e.name === 'AbortError') return;
    count.textContent = '';
    replace(results, message('error', '搜索失败：' + e.message));
    replace(pager);
  } finally {
    if (inflight === ctl) inflight = null;
    results.removeAttribute('aria-busy');
  }
}

if (ready) {
  textInput.value = state.text;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.text = textInput.value.trim();
    restart();
  });
  byId('search-reset').addEventListener('click', () => {
    textInput.value = '';
    state = { text: '', filters: {}, after: '' };
    restart();
  });
  renderFacets(null);
  run(true);
}
