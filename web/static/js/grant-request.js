// The grant request form of the grants page: an entry, how its data is to be read (rows or
// aggregates only), which items and which personal information in clear, why and until when.
// The catalogue checks the request; its refusals are shown next to the fields.

import { gql } from './api.js';
import { h, replace, message } from './dom.js';
import { control, select, clearProblems, showProblems, refusalBlock, parseField } from './forms.js';

const entryQuery = `query($c: String!) { entry(code: $c) { resourceCode name status statusName shareType shareTypeName shareCondition
  items { field name piType piTypeName grade { name } } } }`;

const requestDoc = `mutation($in: GrantInput!) { requestGrant(input: $in) { id status statusName } }`;

const modes = [{ code: 'rows', name: '明细数据' }, { code: 'aggregates', name: '仅汇总统计' }];

function inDays(n) {
  const d = new Date(Date.now() + n * 86400000);
  return d.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }); // YYYY-MM-DD
}

function checks(name, items, label) {
  return h('fieldset', { class: 'multi', id: 'grant-' + name }, h('legend', { class: 'visually-hidden' }, label),
    h('ul', null, items.map((it) => {
      const id = 'grant-' + name + '-' + it.field;
      return h('li', null, h('input', { type: 'checkbox', id, value: it.field }), ' ',
        h('label', { for: id }, it.name + (it.piTypeName ? '（' + it.piTypeName + '）' : '')));
    })));
}

// requestForm builds the form; code prefills the entry; onDone(grant) is called once a request
// is recorded.
export function requestForm(v, code, onDone) {
  const entry = h('input', { type: 'text', id: 'grant-entry', value: code || '', placeholder: '如 0201/000004', class: 'mono' });
  const load = h('button', { type: 'button', class: 'button', id: 'grant-load' }, '载入目录');
  const detail = h('div', { id: 'grant-detail' });
  const status = h('div', { id: 'grant-status', 'aria-live': 'polite', tabindex: '-1' });
  const wraps = new Map();
  const entryCtl = control('目录（信息资源代码）', entry, { key: 'entry', required: true });
  wraps.set('entry', entryCtl);
  let current = null;

  const fill = (e) => {
    current = e;
    const mode = select(modes, 'rows', null, { id: 'grant-mode' });
    const minGroup = h('input', { type: 'number', id: 'grant-min-group', min: 5, placeholder: '默认值' });
    const pi = e.items.filter((it) => it.piType);
    const purpose = h('textarea', { id: 'grant-purpose', rows: 2 });
    const expires = h('input', { type: 'date', id: 'grant-expires', value: inDays(90) });
    const grantee = v.requestsGrantsForOthers ? h('input', { type: 'text', id: 'grant-grantee', placeholder: '账号标识，不填为本账号' }) : null;
    const ctl = (key, label, input, opts) => {
      const c = control(label, input, Object.assign({ key }, opts || {}));
      wraps.set(key, c);
      return c;
    };
    const minCtl = ctl('minGroupSize', '最小分组行数', minGroup, { hint: '仅汇总统计时可设，不小于 5' });
    minCtl.hidden = true;
    mode.addEventListener('change', () => { minCtl.hidden = mode.value !== 'aggregates'; });
    const itemsBox = checks('items', e.items, '授权的信息项');
    const itemsWrap = h('div', { class: 'field field--wide', dataset: { key: 'items' } }, h('span', { class: 'field__label' }, '授权的信息项（不选为全部）'), itemsBox,
      h('p', { class: 'field__error', hidden: true }));
    wraps.set('items', itemsWrap);
    const piBox = pi.length > 0 ? checks('unmasked', pi, '明文读取的个人信息项') : null;
    const piWrap = piBox ? h('div', { class: 'field field--wide', dataset: { key: 'unmasked' } }, h('span', { class: 'field__label' }, '申请明文读取的个人信息项（不选则脱敏）'), piBox,
      h('p', { class: 'field__error', hidden: true })) : null;
    if (piWrap) wraps.set('unmasked', piWrap);
    replace(detail,
      h('p', { class: 'muted' }, e.name + ' · ' + e.shareTypeName + (e.shareCondition ? '：' + e.shareCondition : '') + (e.status !== 'PUBLISHED' ? ' · ' + e.statusName : '')),
      h('div', { class: 'form-grid' },
        ctl('mode', '方式', mode, { required: true }), minCtl,
        ctl('expires', '到期日期', expires, { required: true, hint: '当日结束时到期（北京时间）' }),
        grantee ? ctl('grantee', '被授权账号', grantee, { hint: '数据管理员可代其他账号申请' }) : null,
        itemsWrap, piWrap,
        ctl('purpose', '用途', purpose, { required: true, wide: true })),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button--primary', id: 'grant-submit' }, '提交授权申请')));
    current.read = () => {
      const input = { entry: e.resourceCode, mode: mode.value, purpose: purpose.value.trim(), expires: expires.value };
      const items = [...itemsBox.querySelectorAll('input:checked')].map((b) => b.value);
      if (items.length > 0) input.items = items;
      const unmasked = piBox ? [...piBox.querySelectorAll('input:checked')].map((b) => b.value) : [];
      if (unmasked.length > 0) input.unmasked = unmasked;
      if (mode.value === 'aggregates' && minGroup.value !== '') input.minGroupSize = parseInt(minGroup.value, 10);
      if (grantee && grantee.value.trim()) input.grantee = grantee.value.trim();
      return input;
    };
  };

  const loadEntry = async () => {
    clearProblems(form);
    replace(status);
    const c = entry.value.trim();
    if (!c) { replace(detail); current = null; return; }
    replace(detail, message('info', '正在载入目录 ' + c + '…'));
    try {
      const d = await gql(entryQuery, { c });
      if (!d.entry) { current = null; replace(detail, message('error', '目录 ' + c + ' 不存在或无权查看')); return; }
      fill(d.entry);
    } catch (err) {
      replace(detail, message('error', '载入失败：' + err.message));
    }
  };
  load.addEventListener('click', loadEntry);
  entry.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); loadEntry(); } });

  const form = h('form', { id: 'grant-form', novalidate: true },
    h('div', { class: 'grant-entry-row' }, entryCtl, load), detail, status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current || !current.read) return;
    clearProblems(form);
    const button = form.querySelector('#grant-submit');
    button.disabled = true;
    try {
      const g = (await gql(requestDoc, { in: current.read() })).requestGrant;
      replace(status, message('info', '已提交授权申请 ' + g.id + '（' + g.statusName + '），等待目录责任处室的审核员审批'));
      onDone(g);
    } catch (err) {
      showProblems(err.problems, (f) => wraps.get(parseField(f).base) || null);
      replace(status, refusalBlock(err, '授权申请未成功：'));
      status.focus();
    } finally {
      button.disabled = false;
    }
  });
  if (code) loadEntry();
  return form;
}
