// The entry form: /ui/entry-edit?code=<resource code> edits an entry (a draft in place, a
// published one as a change request that waits for review), /ui/entry-edit registers a new one.
// Only the fields changed are sent (editEntry's input leaves the others as they are); the items
// are sent whole when any changed. What the catalogue refuses is shown next to each field, in
// its words; "保存并提交审核" saves and then submits the saved version for review.

import { ready } from './layout.js';
import { gql } from './api.js';
import { h, byId, replace, message } from './dom.js';
import { viewer, vocabulary } from './account.js';
import { setFlash } from './session.js';
import { sections, transformField, editFields, valueOf, fieldControl } from './entry-edit-fields.js';
import { itemsEditor } from './entry-edit-items.js';
import { clearProblems, showProblems, refusalBlock, parseField, control } from './forms.js';
import { runStep } from './entry-workflow.js';

const root = byId('entry-edit');

const editQuery = `query EntryEdit($code: String!) { entry(code: $code) { ${editFields} revision
  changeRequest { status statusName kindName proposed { ${editFields} } } } }`;

const createDoc = `mutation($in: EntryInput!, $r: String) { createEntry(input: $in, reason: $r) { resourceCode revision name } }`;
const editDoc = `mutation($c: String!, $b: Long!, $in: EntryInput!, $r: String) { editEntry(code: $c, base: $b, input: $in, reason: $r) { resourceCode revision name } }`;

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const filled = (v) => !(v === '' || v === null || v === false || (Array.isArray(v) && v.length === 0));

function entryURL(code) {
  return '/ui/entry?code=' + encodeURIComponent(code);
}

// stateNote says what saving does to a version in this state.
function stateNote(e) {
  if (!e) return '登记后为草稿，提交审核并经审核员审核通过后发布。';
  if (e.changeRequest) return '本目录已发布，正在编辑其变更申请（' + e.changeRequest.statusName + '）：发布版本保持不变，变更经审核通过后生效。';
  switch (e.status) {
    case 'PUBLISHED': return '本目录已发布：保存后生成变更申请，发布版本保持不变，变更提交审核并经审核通过后生效。';
    case 'PENDING_REVIEW': return '本目录正在审核：修改后退回草稿，须重新提交审核。';
    default: return '本目录为草稿：修改就地保存，提交审核并经审核通过后发布。';
  }
}

function render(e, v, vocab) {
  let code = e ? e.resourceCode : '';
  let base = e ? e.revision : 0;
  const work = e ? (e.changeRequest ? e.changeRequest.proposed : e) : { department: v.department || '', district: '500000', writeMode: 'append', items: [] };
  const creating = () => code === '';
  const controls = [];
  const wraps = new Map();
  const cards = sections.map((sec) => h('section', { class: 'card form-section' }, h('h2', null, sec.title),
    h('div', { class: 'form-grid' }, sec.fields.filter((f) => creating() || !f.createOnly).map((f) => {
      const c = fieldControl(f, valueOf(work, f), vocab);
      controls.push({ f, c, orig: valueOf(work, f) });
      wraps.set(f.key, c.el);
      return c.el;
    }))));
  if (work.transform) {
    const c = fieldControl(transformField, valueOf(work, transformField), vocab);
    controls.push({ f: transformField, c, orig: valueOf(work, transformField) });
    wraps.set('transform', c.el);
    cards.push(h('section', { class: 'card form-section' }, h('h2', null, '加工 SQL'), c.el));
  }
  const items = itemsEditor(work.items, vocab);
  const reason = h('textarea', { id: 'in-reason', rows: 2 });
  const reasonCtl = control(e ? '修改原因' : '登记原因', reason, { key: 'reason', wide: true, hint: '记入历史记录，供审核员参考' });
  wraps.set('reason', reasonCtl);
  const statusBox = h('div', { id: 'edit-status', tabindex: '-1', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'button', id: 'save', dataset: { submit: 'false' } }, e ? '保存' : '登记（保存草稿）');
  const saveSubmit = h('button', { type: 'submit', class: 'button button--primary', id: 'save-submit', dataset: { submit: 'true' } }, '保存并提交审核');
  const form = h('form', { id: 'entry-form', class: 'entry-form', novalidate: true },
    cards,
    h('section', { class: 'card form-section', id: 'sec-items' }, h('h2', null, '信息项'), items.el),
    h('section', { class: 'card form-section' }, reasonCtl),
    h('div', { class: 'form-actions' }, save, saveSubmit,
      h('a', { class: 'button', href: e ? entryURL(code) : '/ui/directory' }, '取消')));

  const find = (field) => {
    const p = parseField(field);
    if (p.base === 'items') return p.index !== null ? items.find(p.index, p.sub) : items.el;
    return wraps.get(p.base) || null;
  };

  // input collects what changed (registering: everything filled in).
  const input = () => {
    const out = {};
    for (const { f, c, orig } of controls) {
      const val = c.read();
      if (creating() ? filled(val) : !same(val, orig) && !(f.kind === 'number' && val === null)) out[f.key] = val;
    }
    if (creating() ? items.value().length > 0 : items.changed()) out.items = items.value();
    return out;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const submit = ev.submitter && ev.submitter.dataset.submit === 'true';
    clearProblems(form);
    const changes = input();
    const r = reason.value.trim() || null;
    if (!creating() && Object.keys(changes).length === 0 && !submit) {
      replace(statusBox, message('info', '没有修改的内容'));
      return;
    }
    save.disabled = saveSubmit.disabled = true;
    replace(statusBox, message('info', '正在保存…'));
    let saved = false;
    try {
      if (creating() || Object.keys(changes).length > 0) {
        const d = creating() ? (await gql(createDoc, { in: changes, r })).createEntry : (await gql(editDoc, { c: code, b: base, in: changes, r })).editEntry;
        code = d.resourceCode;
        base = d.revision;
        saved = true;
        for (const ctl of controls) ctl.orig = ctl.c.read();
        items.commit();
        history.replaceState(null, '', '/ui/entry-edit?code=' + encodeURIComponent(code));
      }
      if (submit) {
        await runStep('submitEntry', code, base, r);
        setFlash(saved ? '已保存并提交审核，等待审核员审核' : '已提交审核，等待审核员审核');
      } else {
        setFlash(e && e.status === 'PUBLISHED' ? '已保存变更申请（草稿）：提交审核并经审核通过后生效' : '已保存');
      }
      location.assign(entryURL(code));
    } catch (err) {
      const rest = showProblems(err.problems, find);
      const prefix = saved ? '已保存为草稿，但未能提交审核：' : (submit && !creating() && Object.keys(changes).length === 0 ? '未能提交审核：' : '未能保存：');
      replace(statusBox, refusalBlock(err, prefix),
        rest.length < (err.problems || []).length ? h('p', { class: 'muted' }, '各项问题已标注在对应字段旁。') : null);
      statusBox.focus();
      save.disabled = saveSubmit.disabled = false;
    }
  });

  replace(root,
    h('div', { class: 'page-head' },
      h('p', { class: 'breadcrumb' }, h('a', { href: '/ui/directory' }, '数据资源目录'), ' / ',
        e ? [h('a', { href: entryURL(code) }, code), ' / 编辑'] : '登记新目录'),
      h('h1', { id: 'edit-title' }, e ? '编辑目录：' + work.name : '登记新目录'),
      h('p', { class: 'muted' }, stateNote(e))),
    statusBox, form);
}

async function main() {
  const code = new URLSearchParams(location.search).get('code') || '';
  try {
    const [v, vocab, data] = await Promise.all([viewer(), vocabulary(), code ? gql(editQuery, { code }) : null]);
    if (!v.editsDirectory) {
      replace(root, h('h1', null, code ? '编辑目录' : '登记新目录'),
        message('error', '本账号（' + v.roleName + '）不能登记或修改目录：只有系统管理员与数据管理员可以。'));
      return;
    }
    const e = data ? data.entry : null;
    if (code && !e) {
      replace(root, h('h1', null, '编辑目录'), message('error', '目录 ' + code + ' 不存在或无权查看'));
      return;
    }
    if (e && v.role === 'steward' && e.department !== v.department) {
      replace(root, h('h1', null, '编辑目录：' + e.name), message('error', '本目录属于其他处室，只能修改本处室（' + (v.departmentName || '未指定处室') + '）的目录。'),
        h('p', null, h('a', { href: entryURL(code) }, '返回目录详情')));
      return;
    }
    if (e && e.status === 'RETIRED') {
      replace(root, h('h1', null, '编辑目录：' + e.name), message('warn', '本目录已下线，请先在目录详情页恢复后再修改。'),
        h('p', null, h('a', { href: entryURL(code) }, '返回目录详情')));
      return;
    }
    document.title = (e ? '编辑 ' + e.name : '登记新目录') + ' - 重庆市生态环境数据资源一本账';
    render(e, v, vocab);
  } catch (err) {
    replace(root, h('h1', null, '编辑目录'), message('error', '加载失败：' + err.message));
  }
}

if (ready) main();
