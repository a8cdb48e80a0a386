// The cockpit (驾驶舱): the three management figures against their targets, their trend, the
// districts and departments ranked, the entries holding 数据归集率 back (each a link to its
// detail), and the business items and "一件事" behind the other two. Everything comes from the
// requests in static/graphql, computed by the service over what this account may see.

import { ready } from './layout.js';
import { gql, authHeaders, ApiError } from './api.js';
import { h, byId, replace, table, dash, message, formatNumber, formatTime } from './dom.js';

const historyDays = 90;
const colors = { collection: '#1456a8', coverage: '#1e6b45', oneThing: '#b3261e' };
const charts = [];

function pct(r) {
  return (Number(r) * 100).toFixed(1) + '%';
}

// day is a date in Beijing time, n days from today, as YYYY-MM-DD.
function day(n) {
  const d = new Date(Date.now() + n * 86400000);
  return d.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
}

async function queryText(name) {
  const resp = await fetch('/ui/static/graphql/' + name, { credentials: 'omit' });
  if (!resp.ok) throw new ApiError('无法载入驾驶舱查询 (HTTP ' + resp.status + ')', resp.status);
  return resp.text();
}

function kpi(id, f, unit, detail) {
  const met = f.meetsTarget;
  replace(byId(id).querySelector('.kpi__body'),
    h('p', { class: 'kpi__rate ' + (met ? 'kpi__rate--ok' : 'kpi__rate--stop') }, pct(f.rate)),
    h('p', { class: 'kpi__counts' }, formatNumber(f.numerator) + ' / ' + formatNumber(f.denominator) + ' ' + unit),
    h('div', { class: 'kpi__bar', role: 'presentation' },
      h('span', { class: 'kpi__fill' + (met ? '' : ' kpi__fill--stop'), dataset: { rate: String(f.rate) } }),
      h('span', { class: 'kpi__target', dataset: { rate: String(f.target) }, title: '目标 ' + pct(f.target) })),
    h('p', { class: 'kpi__target-text' }, '目标 ', h('strong', null, pct(f.target)), ' · ',
      h('span', { class: 'badge ' + (met ? 'badge--ok' : 'badge--stop') }, met ? '已达标' : '未达标')),
    detail ? h('p', { class: 'muted kpi__detail' }, detail) : null);
  // Widths are set from script (the page's policy allows no inline style attributes).
  for (const el of byId(id).querySelectorAll('[data-rate]')) {
    const r = Math.max(0, Math.min(1, Number(el.dataset.rate)));
    if (el.classList.contains('kpi__target')) el.style.left = (r * 100) + '%';
    else el.style.width = (r * 100) + '%';
  }
}

function chart(el, option) {
  const c = window.echarts.init(el, null, { renderer: 'canvas' });
  c.setOption(option);
  charts.push(c);
  return c;
}

// ranked draws a breakdown as horizontal bars from the lowest rate up, red below target; a
// click opens the directory filtered by the bar's key (filter: the directory's facet).
function ranked(el, rows, target, filter) {
  const sorted = rows.filter((r) => r.denominator > 0).slice().sort((a, b) => b.rate - a.rate || a.key.localeCompare(b.key));
  el.style.height = Math.max(220, sorted.length * 22 + 60) + 'px';
  const c = chart(el, {
    animation: sorted.length < 60,
    grid: { left: 8, right: 56, top: 8, bottom: 24, containLabel: true },
    xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v) => Math.round(v * 100) + '%' } },
    yAxis: { type: 'category', data: sorted.map((r) => r.name), axisTick: { show: false } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (ps) => { const r = sorted[ps[0].dataIndex]; return r.name + '<br>' + pct(r.rate) + '（' + r.numerator + ' / ' + r.denominator + '）'; } },
    series: [{
      type: 'bar', barMaxWidth: 16,
      data: sorted.map((r) => ({ value: r.rate, itemStyle: { color: r.rate >= target ? colors.collection : '#c62828' } })),
      label: { show: true, position: 'right', formatter: (p) => pct(p.value) },
      markLine: { symbol: 'none', lineStyle: { color: '#7a4a00', type: 'dashed' }, label: { formatter: '目标 ' + pct(target) }, data: [{ xAxis: target }] },
    }],
  });
  c.on('click', (p) => {
    const r = sorted[p.dataIndex];
    if (r) location.assign('/ui/directory?' + new URLSearchParams({ [filter]: r.key }).toString());
  });
}

function breakdownTable(title, rows) {
  return table([
    { title, cell: (r) => r.name },
    { title: '已归集 / 应归集', class: 'num', cell: (r) => r.numerator + ' / ' + r.denominator },
    { title: '归集率', class: 'num', cell: (r) => pct(r.rate) },
  ], rows, title);
}

function renderFigures(d) {
  const c = d.collectionRate, cov = d.coverageRate, one = d.oneThingRate;
  kpi('kpi-collection', c, '个目录', '信息项归集率 ' + pct(c.itemRate) + '（' + formatNumber(c.itemNumerator) + ' / ' + formatNumber(c.itemDenominator) + '）');
  kpi('kpi-coverage', cov, '个业务事项', null);
  kpi('kpi-onething', one, '件“一件事”', null);
  byId('cockpit-asof').textContent = '截至 ' + formatTime(new Date().toISOString()) + '，按本账号可查看的目录计算';

  ranked(byId('district-chart'), c.byDistrict, c.target, 'district');
  ranked(byId('department-chart'), c.byDepartment, c.target, 'department');
  replace(byId('domain-table'), breakdownTable('治理领域', c.byDomain), breakdownTable('来源类型', c.bySourceKind));

  byId('lagging-count').textContent = c.laggingCount === 0 ? '没有未归集的目录' :
    '共 ' + formatNumber(c.laggingCount) + ' 个目录未按时归集' + (c.laggingCount > c.lagging.length ? '，下表为前 ' + c.lagging.length + ' 个（按信息资源代码），完整清单见月度报表' : '');
  replace(byId('lagging-table'), c.lagging.length === 0 ? null : table([
    { title: '信息资源', cell: (l) => h('a', { href: '/ui/entry?code=' + encodeURIComponent(l.entry) }, l.entry + ' ' + l.name) },
    { title: '责任处室', cell: (l) => dash(l.departmentName) },
    { title: '区县', cell: (l) => dash(l.districtName) },
    { title: '原因', cell: (l) => h('span', { title: l.reasonText }, l.reasonName) },
    { title: '已拖延', class: 'num', cell: (l) => l.heldDays + ' 天' },
  ], c.lagging, '未归集清单'));

  replace(byId('coverage-table'), cov.items.length === 0 ? message('info', '尚未登记业务事项') : table([
    { title: '业务事项', cell: (i) => i.name },
    { title: '责任处室', cell: (i) => dash(i.departmentName) },
    { title: '已归集 / 关联目录', class: 'num', cell: (i) => i.collected + ' / ' + i.entries },
    { title: '覆盖', cell: (i) => h('span', { class: 'badge ' + (i.covered ? 'badge--ok' : 'badge--stop') }, i.covered ? '已覆盖' : '未覆盖') },
  ], cov.items.slice().sort((a, b) => Number(a.covered) - Number(b.covered)), '业务事项覆盖'));

  replace(byId('scenes-table'), one.scenes.length === 0 ? message('info', '尚未登记“一件事”') : table([
    { title: '“一件事”', cell: (s) => s.name },
    { title: '所需目录已归集', class: 'num', cell: (s) => s.collected + ' / ' + s.required },
    { title: '最近查询', cell: (s) => formatTime(s.lastUsed) },
    { title: '状态', cell: (s) => h('span', { class: 'badge ' + (s.running ? 'badge--ok' : 'badge--stop') }, s.running ? '运行中' : '未运行') },
    { title: '原因', cell: (s) => dash(s.reason) },
  ], one.scenes.slice().sort((a, b) => Number(a.running) - Number(b.running)), '“一件事”运行情况'));
}

function renderTrend(days, targets) {
  const note = byId('trend-note');
  if (days.length === 0) {
    byId('trend-chart').hidden = true;
    note.textContent = '尚无逐日记录：服务每天零时后记录前一天的指标，首次启动时按归集记录补算此前的日子。';
    return;
  }
  const backfilled = days.filter((d) => d.backfilled).length;
  note.textContent = '共 ' + days.length + ' 天' + (backfilled > 0 ? '，其中 ' + backfilled + ' 天由归集记录补算' : '') + '；虚线为目标。';
  const series = [
    ['数据归集率', 'collection'], ['业务事项覆盖率', 'coverage'], ['“一件事”上线运行率', 'oneThing'],
  ].map(([name, key]) => ({
    name, type: 'line', showSymbol: days.length < 40, color: colors[key],
    data: days.map((d) => d[key].rate),
    markLine: { symbol: 'none', silent: true, lineStyle: { type: 'dashed', color: colors[key] }, label: { show: false }, data: [{ yAxis: targets[key] }] },
  }));
  chart(byId('trend-chart'), {
    animation: false,
    legend: { top: 0 },
    grid: { left: 48, right: 24, top: 36, bottom: 28 },
    tooltip: { trigger: 'axis', valueFormatter: (v) => pct(v) },
    xAxis: { type: 'category', data: days.map((d) => d.day) },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v) => Math.round(v * 100) + '%' } },
    series,
  });
}

async function exportReport(button) {
  button.disabled = true;
  try {
    const resp = await fetch('/api/v1/figures.xlsx', { headers: authHeaders(), credentials: 'omit' });
    if (!resp.ok) {
      let msg = '导出失败 (HTTP ' + resp.status + ')';
      try { const j = await resp.json(); if (j && j.error) msg = j.error; } catch (e) { /* not JSON */ }
      throw new ApiError(msg, resp.status);
    }
    const url = URL.createObjectURL(await resp.blob());
    const a = h('a', { href: url, download: '管理指标月度报表-' + day(0) + '.xlsx' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    replace(byId('cockpit-error'), message('error', e.message || String(e)));
  } finally {
    button.disabled = false;
  }
}

async function load() {
  const [figures, history] = await Promise.all([queryText('cockpit.graphql'), queryText('cockpit-history.graphql')]);
  const data = await gql(figures);
  renderFigures(data);
  const targets = { collection: data.collectionRate.target, coverage: data.coverageRate.target, oneThing: data.oneThingRate.target };
  try {
    const h = await gql(history, { from: day(-historyDays), to: day(-1) });
    renderTrend(h.figureHistory, targets);
  } catch (e) {
    byId('trend-chart').hidden = true;
    byId('trend-note').textContent = e.message || String(e); // district accounts are given no history
  }
}

if (ready) {
  byId('export-report').addEventListener('click', (ev) => exportReport(ev.currentTarget));
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
  load().catch((e) => {
    byId('cockpit-asof').textContent = '';
    replace(byId('cockpit-error'), message('error', e.message || String(e)));
  });
}
