// The entry detail page: /ui/entry?code=<resource code>. Read-only: the entry's description,
// its items with their grades and masking, sharing and opening, history, snapshots and runs.

import { ready } from './layout.js';
import { h, byId, replace, table, dash, message, formatTime, formatNumber, formatBytes } from './dom.js';
import { gradeBadge, shareBadge, statusBadge } from './badges.js';
import { loadEntry, runStatusNames, runKindNames } from './entry-query.js';

const root = byId('entry');

// facts renders label/value pairs as a description list; empty values show a dash.
function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? '—' : v)]));
}

function section(id, title, ...body) {
  return h('section', { class: 'card', id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), body);
}

function list(values) {
  return values && values.length > 0 ? values.join('、') : '—';
}

function itemsTable(items) {
  return table([
    { title: '序号', class: 'num', cell: (i) => i.id },
    { title: '信息项名称', cell: (i) => i.name },
    { title: '字段', class: 'mono', cell: (i) => i.field },
    { title: '类型', cell: (i) => dash(i.typeName) + (i.length ? ' (' + i.length + ')' : '') },
    { title: '主键', cell: (i) => (i.isKey ? '是' : '') },
    { title: '必填', cell: (i) => (i.required ? '是' : '') },
    { title: '代码表', cell: (i) => dash(i.codeListName) },
    { title: '分级', class: 'nowrap', cell: (i) => gradeBadge(i.grade) },
    { title: '脱敏', class: 'nowrap', cell: (i) => (i.piType ? h('span', { class: 'badge badge--warn' }, '脱敏：' + (i.piTypeName || i.piType)) : '不脱敏') },
    { title: '说明', cell: (i) => dash(i.description) },
  ], items, '信息项');
}

function historyTable(history) {
  if (history.length === 0) return message('info', '暂无历史记录');
  return table([
    { title: '时间', class: 'nowrap', cell: (x) => formatTime(x.at) },
    { title: '操作', cell: (x) => x.actionName },
    { title: '操作人', cell: (x) => dash(x.actor && (x.actor.name || x.actor.id)) },
    { title: '状态', cell: (x) => dash(x.statusName) },
    { title: '变更', cell: (x) => (x.changes.length === 0 ? '—' : h('ul', { class: 'changes' }, x.changes.map((c) => h('li', null, c.label + '：' + dash(c.old) + ' → ' + dash(c.new))))) },
    { title: '说明', cell: (x) => dash(x.note) },
  ], history, '历史记录');
}

function snapshotsTable(e) {
  if (e.snapshots.length === 0) return message('info', '尚无快照：本目录还没有归集数据');
  return table([
    { title: '快照', class: 'mono', cell: (s) => [s.id, s.id === e.currentSnapshot ? h('span', { class: 'badge badge--ok' }, '当前') : null] },
    { title: '提交时间', class: 'nowrap', cell: (s) => formatTime(s.committedAt) },
    { title: '行数', class: 'num', cell: (s) => formatNumber(s.rows) },
    { title: '文件', class: 'num', cell: (s) => formatNumber(s.files) },
    { title: '大小', class: 'num', cell: (s) => formatBytes(s.bytes) },
    { title: '归集批次', class: 'mono', cell: (s) => dash(s.run) },
  ], e.snapshots, '快照');
}

function runsTable(runs) {
  if (runs.length === 0) return message('info', '暂无归集批次');
  return table([
    { title: '批次', class: 'mono', cell: (r) => r.id },
    { title: '方式', cell: (r) => runKindNames[r.kind] || dash(r.kind) },
    { title: '状态', cell: (r) => runStatusNames[r.status] || r.status },
    { title: '开始', class: 'nowrap', cell: (r) => formatTime(r.startedAt) },
    { title: '结束', class: 'nowrap', cell: (r) => formatTime(r.finishedAt) },
    { title: '读取', class: 'num', cell: (r) => formatNumber(r.rowsRead) },
    { title: '接收', class: 'num', cell: (r) => formatNumber(r.rowsAccepted) },
    { title: '拒收', class: 'num', cell: (r) => formatNumber(r.rowsRejected) },
    { title: '错误', cell: (r) => dash(r.error) },
  ], runs, '归集批次');
}

function render(e) {
  document.title = e.name + ' - 重庆市生态环境数据资源一本账';
  const g = e.grading;
  replace(root,
    h('div', { class: 'page-head' },
      h('p', { class: 'breadcrumb' }, h('a', { href: '/ui/directory' }, '数据资源目录'), ' / ', e.resourceCode),
      h('h1', { id: 'entry-title' }, e.name),
      h('p', { class: 'entry-badges' }, gradeBadge(e.grade), ' ', shareBadge(e.shareType, e.shareTypeName), ' ', statusBadge(e.status, e.statusName),
        e.secret ? h('span', { class: 'badge badge--stop' }, '涉密') : null),
      h('p', { class: 'actions' },
        h('a', { class: 'button', href: '/ui/lineage?entry=' + encodeURIComponent(e.resourceCode) }, '查看血缘'),
        ' ',
        h('a', { class: 'button', href: '/ui/graphiql' }, '在 GraphiQL 中查询'))),
    e.changeRequest ? message('warn', '有未完成的变更申请：' + e.changeRequest.kindName + ' (' + e.changeRequest.statusName + ')' + (e.changeRequest.reason ? '，' + e.changeRequest.reason : '')) : null,
    section('sec-basic', '基本信息', facts([
      ['信息资源代码', e.resourceCode], ['数据表', h('code', null, e.table)], ['信息资源摘要', e.abstract],
      ['信息资源分类', e.categoryName], ['治理领域', list(e.domainNames)], ['责任处室', e.departmentName],
      ['区县', e.districtName], ['信息资源提供方', e.providerName], ['提供方统一社会信用代码', e.providerCode],
      ['资源格式', e.formatTypeName], ['来源类型', e.sourceKindName], ['更新周期', e.updateCycleName],
      ['写入方式', e.writeModeName], ['登记时间', formatTime(e.createdAt)], ['最后修改', formatTime(e.updatedAt)],
      ['发布时间', formatTime(e.publishDate)], ['服务的业务事项', list(e.businessItemNames)], ['服务的应用场景', list(e.sceneNames)],
      ['关联资源', list(e.relatedCodes)], ['分区列', list(e.partitions)],
      ['不予归集', e.exempt ? '是' + (e.exemptReason ? '：' + e.exemptReason : '') : '否'],
    ])),
    section('sec-grading', '数据分级', facts([
      ['分级', gradeBadge(e.grade)], ['人工调整的分级', e.gradeOverride && e.gradeOverride.name],
      ['定级依据', g && g.basis], ['定级要素', g && list(g.factorNames)], ['影响对象', g && g.impactObjectName],
      ['影响程度', g && g.impactDegreeName], ['建议分级', g && g.proposed && g.proposed.name],
      ['定级时间', g && formatTime(g.gradedAt)], ['定级人', g && g.gradedBy && (g.gradedBy.name || g.gradedBy.id)],
    ])),
    section('sec-sharing', '共享与开放', facts([
      ['共享类型', shareBadge(e.shareType, e.shareTypeName)], ['共享方式', e.shareModeName], ['共享条件', e.shareCondition],
      ['法律依据', e.sharingBasis], ['开放类型', e.openTypeName], ['开放条件', e.openCondition],
    ])),
    section('sec-items', '信息项 (' + e.items.length + ')', h('div', { class: 'table-wrap' }, itemsTable(e.items))),
    e.transform ? section('sec-transform', '加工 SQL', h('pre', { class: 'code' }, e.transform)) : null,
    section('sec-snapshots', '快照', h('div', { class: 'table-wrap' }, snapshotsTable(e))),
    section('sec-runs', '归集批次', h('div', { class: 'table-wrap' }, runsTable(e.runs))),
    section('sec-history', '历史记录', h('div', { class: 'table-wrap' }, historyTable(e.history))),
  );
}

async function main() {
  const code = new URLSearchParams(location.search).get('code') || '';
  if (code === '') {
    replace(root, message('error', '请从目录中选择一条目录资源'));
    return;
  }
  try {
    const e = await loadEntry(code);
    if (!e) {
      replace(root, h('h1', null, '目录详情'), message('error', '目录 ' + code + ' 不存在或无权查看'));
      return;
    }
    render(e);
  } catch (err) {
    replace(root, h('h1', null, '目录详情'), message('error', '加载失败：' + err.message));
  }
}

if (ready) main();
