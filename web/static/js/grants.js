// 数据授权: /ui/grants?entry=<resource code>. The requests this account may decide (a reviewer
// of the department owning the entry, an administrator: approve, or refuse with a reason), the
// account's own requests with their state (revocable while requested or approved), a request
// form (grant-request.js), and for curators and reviewers every grant they may see.

import { ready } from './layout.js';
import { gql } from './api.js';
import { h, byId, replace, table, message, formatTime, dash } from './dom.js';
import { gradeBadge } from './badges.js';
import { viewer } from './account.js';
import { refusalBlock } from './forms.js';
import { requestForm } from './grant-request.js';

const root = byId('grants-page');

const grantFields = `id entry { resourceCode name grade { id name rank } } grantee { id name } requestedBy { id name }
  decidedBy { id name } decisionNote itemNames unmaskedNames purpose expires mode modeName minGroupSize status statusName
  inForce revision createdAt updatedAt`;

const listQuery = `query($status: String) { grants(first: 500, status: $status) { total nodes { ${grantFields} } } }`;

const statusClass = { requested: 'warn', approved: 'ok', refused: 'stop', revoked: 'plain' };

const steps = {
  approveGrant: { title: '批准', label: '审批意见（可不填）', done: '已批准' },
  refuseGrant: { title: '驳回', label: '驳回原因（必填，将告知申请人）', required: true, done: '已驳回' },
  revokeGrant: { title: '撤销', label: '撤销原因（可不填）', done: '已撤销' },
};

function who(a) {
  return a ? (a.name ? a.name + '（' + a.id + '）' : a.id) : '—';
}

// expiresText shows an expiry at a Beijing midnight as the day it ends (2099-12-31 当日结束).
function expiresText(s) {
  const d = new Date(s);
  if (isNaN(d.getTime())) return formatTime(s);
  const hm = d.toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (hm !== '00:00:00') return formatTime(s);
  return new Date(d.getTime() - 1000).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }) + ' 当日结束';
}

function statusBadge(g) {
  return h('span', { class: 'badge badge--' + (statusClass[g.status] || 'plain') }, g.statusName + (g.status === 'approved' && !g.inForce ? '（已到期）' : ''));
}

function entryLink(g) {
  return [h('a', { href: '/ui/entry?code=' + encodeURIComponent(g.entry.resourceCode) }, g.entry.name), ' ',
    h('span', { class: 'mono muted' }, g.entry.resourceCode), ' ', gradeBadge(g.entry.grade)];
}

// grantCard shows one grant in full, with the steps offered on it.
function grantCard(g, offered, reload) {
  const panel = h('div', { class: 'step-panel' });
  const open = (step) => {
    const s = steps[step];
    const note = h('textarea', { id: 'note-' + step + '-' + g.id, rows: 2 });
    const out = h('div', { 'aria-live': 'polite' });
    const confirm = h('button', { type: 'submit', class: 'button button--primary', dataset: { confirm: step } }, '确认' + s.title);
    const form = h('form', { class: 'step-form card card--inset' },
      h('div', { class: 'field' }, h('label', { for: note.id }, s.label), note), out,
      h('div', { class: 'actions' }, confirm, h('button', { type: 'button', class: 'button', onclick: () => replace(panel) }, '取消')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const text = note.value.trim();
      if (s.required && !text) { replace(out, message('error', '请填写驳回原因')); note.focus(); return; }
      confirm.disabled = true;
      try {
        const type = s.required ? 'String!' : 'String';
        await gql(`mutation($id: String!, $b: Long!, $n: ${type}) { ${step}(id: $id, base: $b, note: $n) { id status } }`,
          { id: g.id, b: g.revision, n: text || (s.required ? '' : null) });
        reload('授权 ' + g.id + ' ' + s.done);
      } catch (err) {
        replace(out, refusalBlock(err, s.title + '未成功：'));
        confirm.disabled = false;
      }
    });
    replace(panel, form);
    note.focus();
  };
  const facts = [
    ['被授权账号', who(g.grantee)], ['申请人', who(g.requestedBy) + ' · ' + formatTime(g.createdAt)],
    ['方式', g.modeName + (g.minGroupSize ? '（最小分组 ' + g.minGroupSize + ' 行）' : '')],
    ['信息项', g.itemNames.length > 0 ? g.itemNames.join('、') : '全部'],
    ['明文个人信息', g.unmaskedNames.length > 0 ? g.unmaskedNames.join('、') : '无（脱敏）'],
    ['到期', expiresText(g.expires)], ['用途', g.purpose],
  ];
  if (g.decidedBy) facts.push(['审批', who(g.decidedBy) + (g.decisionNote ? '：' + g.decisionNote : '')]);
  return h('article', { class: 'grant-card', id: 'grant-' + g.id, dataset: { grant: g.id, status: g.status } },
    h('div', { class: 'grant-card__head' }, h('span', { class: 'mono grant-card__id' }, g.id), ' ', statusBadge(g), ' ', entryLink(g)),
    h('dl', { class: 'facts facts--compact' }, facts.map(([k, val]) => [h('dt', null, k), h('dd', null, val)])),
    offered.length > 0 ? h('div', { class: 'actions' }, offered.map((step) => h('button', { type: 'button',
      class: 'button' + (step === 'approveGrant' ? ' button--primary' : ''), dataset: { step, grant: g.id }, onclick: () => open(step) }, steps[step].title))) : null,
    panel);
}

function allTable(nodes) {
  return h('div', { class: 'table-wrap' }, table([
    { title: '编号', class: 'mono', cell: (g) => g.id },
    { title: '目录', cell: entryLink },
    { title: '被授权账号', cell: (g) => who(g.grantee) },
    { title: '方式', cell: (g) => g.modeName },
    { title: '状态', class: 'nowrap', cell: statusBadge },
    { title: '到期', class: 'nowrap', cell: (g) => expiresText(g.expires) },
    { title: '审批', cell: (g) => (g.decidedBy ? who(g.decidedBy) + (g.decisionNote ? '：' + g.decisionNote : '') : '—') },
  ], nodes, '授权记录'));
}

function section(id, title, ...body) {
  return h('section', { class: 'card', id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), body);
}

async function render(v, notice) {
  const code = new URLSearchParams(location.search).get('entry') || '';
  const reload = (text) => render(v, text);
  let all;
  try {
    all = (await gql(listQuery, { status: null })).grants.nodes;
  } catch (err) {
    replace(root, message('error', '加载失败：' + err.message));
    return;
  }
  const mine = all.filter((g) => g.grantee.id === v.id || g.requestedBy.id === v.id);
  const toDecide = v.decidesGrants ? all.filter((g) => g.status === 'requested' && g.grantee.id !== v.id && g.requestedBy.id !== v.id) : [];
  const sees = v.decidesGrants || v.requestsGrantsForOthers || v.reviewsDirectory;
  replace(root,
    notice ? message('info', notice) : null,
    v.decidesGrants ? section('sec-decide', '待我审批（' + toDecide.length + '）',
      toDecide.length === 0 ? message('info', '没有待审批的授权申请') : toDecide.map((g) => grantCard(g, ['approveGrant', 'refuseGrant'], reload))) : null,
    section('sec-request', '申请授权', requestForm(v, code, () => render(v, '已提交授权申请，等待审批'))),
    section('sec-mine', '我的申请（' + mine.length + '）',
      mine.length === 0 ? message('info', '本账号还没有授权申请') : mine.map((g) => grantCard(g,
        (g.status === 'requested' || g.status === 'approved') && (g.grantee.id === v.id || v.decidesGrants) ? ['revokeGrant'] : [], reload))),
    sees ? section('sec-all', '全部授权（本账号可见，' + all.length + '）', all.length === 0 ? message('info', '暂无授权') : allTable(all)) : null);
}

async function main() {
  try {
    render(await viewer(), '');
  } catch (err) {
    replace(root, message('error', '加载失败：' + err.message));
  }
}

if (ready) main();
