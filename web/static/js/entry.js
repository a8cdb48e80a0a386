// The entry detail page: /ui/entry?code=<resource code>. The entry's description, its items
// with their grades and masking, sharing and opening, grading evidence; the change under way
// with its differences and the workflow steps the account may take (entry-workflow.js); the
// snapshots with their profiles and the runs with their rejected rows (entry-data.js); the
// history with each version's differences (entry-history.js).

import { ready } from './layout.js';
import { h, byId, replace, table, dash, message, formatTime } from './dom.js';
import { gradeBadge, shareBadge, statusBadge } from './badges.js';
import { loadEntry } from './entry-query.js';
import { viewer, vocabulary } from './account.js';
import { takeFlash } from './session.js';
import { stepButtons, mayEdit } from './entry-workflow.js';
import { pendingBlock, historyList } from './entry-history.js';
import { snapshotsBlock, runsTable } from './entry-data.js';
import { gradingForm } from './entry-grading.js';

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

// actionLinks are the pages an account may go on to from the entry.
function actionLinks(e, v) {
  const code = encodeURIComponent(e.resourceCode);
  const links = [];
  if (mayEdit(e, v) && e.status !== 'RETIRED') links.push(h('a', { class: 'button', href: '/ui/entry-edit?code=' + code, id: 'edit-entry' }, e.changeRequest ? '继续编辑变更' : '编辑'));
  const loads = v.role === 'steward' || v.role === 'admin' || v.role === 'district';
  if (loads && e.status === 'PUBLISHED' && !e.secret && !e.transform) links.push(h('a', { class: 'button', href: '/ui/submit?entry=' + code }, '报送数据'));
  const grantable = e.shareType === 'CONDITIONAL' || e.shareType === 'UNCONDITIONAL' && e.items.some((it) => it.piType);
  if (e.status === 'PUBLISHED' && !e.secret && grantable) links.push(h('a', { class: 'button', href: '/ui/grants?entry=' + code }, '申请授权'));
  links.push(h('a', { class: 'button', href: '/ui/lineage?entry=' + code }, '查看血缘'));
  links.push(h('a', { class: 'button', href: '/ui/graphiql' }, '在 GraphiQL 中查询'));
  return links;
}

function render(e, v, vocab, flash) {
  document.title = e.name + ' - 重庆市生态环境数据资源一本账';
  const g = e.grading;
  const steps = stepButtons(e, v);
  replace(root,
    h('div', { class: 'page-head' },
      h('p', { class: 'breadcrumb' }, h('a', { href: '/ui/directory' }, '数据资源目录'), ' / ', e.resourceCode),
      h('h1', { id: 'entry-title' }, e.name),
      h('p', { class: 'entry-badges' }, gradeBadge(e.grade), ' ', shareBadge(e.shareType, e.shareTypeName), ' ', statusBadge(e.status, e.statusName),
        e.secret ? h('span', { class: 'badge badge--stop' }, '涉密') : null),
      h('p', { class: 'actions' }, actionLinks(e, v))),
    flash ? message('info', flash) : null,
    steps ? h('section', { class: 'card', id: 'sec-workflow', 'aria-labelledby': 'sec-workflow-title' },
      h('h2', { id: 'sec-workflow-title' }, '审核流程'), steps) : null,
    pendingBlock(e),
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
    ]), mayEdit(e, v) && e.status !== 'RETIRED' && vocab ? gradingForm(e, vocab) : null),
    section('sec-sharing', '共享与开放', facts([
      ['共享类型', shareBadge(e.shareType, e.shareTypeName)], ['共享方式', e.shareModeName], ['共享条件', e.shareCondition],
      ['法律依据', e.sharingBasis], ['开放类型', e.openTypeName], ['开放条件', e.openCondition],
    ])),
    section('sec-items', '信息项 (' + e.items.length + ')', h('div', { class: 'table-wrap' }, itemsTable(e.items))),
    e.transform ? section('sec-transform', '加工 SQL', h('pre', { class: 'code' }, e.transform)) : null,
    section('sec-snapshots', '快照与数据概况', snapshotsBlock(e, vocab)),
    section('sec-runs', '归集批次', h('div', { class: 'table-wrap' }, runsTable(e.runs))),
    section('sec-history', '历史记录', historyList(e.history, vocab)),
  );
}

async function main() {
  const code = new URLSearchParams(location.search).get('code') || '';
  if (code === '') {
    replace(root, message('error', '请从目录中选择一条目录资源'));
    return;
  }
  const flash = takeFlash();
  try {
    const [e, v, vocab] = await Promise.all([loadEntry(code), viewer(), vocabulary().catch(() => null)]);
    if (!e) {
      replace(root, h('h1', null, '目录详情'), message('error', '目录 ' + code + ' 不存在或无权查看'));
      return;
    }
    render(e, v, vocab, flash);
  } catch (err) {
    replace(root, h('h1', null, '目录详情'), message('error', '加载失败：' + err.message));
  }
}

if (ready) main();
