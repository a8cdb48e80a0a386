// 业务事项与场景: /ui/items. The business items (业务事项) and application scenes (应用场景: 一件事,
// 综合场景) the directory's entries serve, each listed with its department, revision and the
// entries this account sees serving it; "新建" registers one, "编辑" changes one on the revision
// shown (a change made meanwhile by someone else is refused with the catalogue's words). The menu
// offers the page to those who may edit the directory; the catalogue decides every save itself,
// and what it refuses is shown next to the fields it names, in Chinese.

import { ready } from './layout.js';
import { gql } from './api.js';
import { h, byId, replace, table, message, formatTime, dash } from './dom.js';
import { viewer } from './account.js';
import { control, select, clearProblems, showProblems } from './forms.js';

const root = byId('items-page');

const listQuery = `{ departments { code name }
  businessItems { code name department departmentName description retired mayEdit revision updatedAt updatedBy entries { resourceCode } }
  scenes { code name kind kindName department departmentName description accounts retired mayEdit revision updatedAt updatedBy entries { resourceCode } } }`;

const sceneKinds = [{ code: 'one_thing', name: '一件事' }, { code: 'composite', name: '综合场景' }];

// specs describe the two sections: what each lists, how its form is built and which mutation
// saves it. Field keys are the GraphQL input's, so the catalogue's problems find their fields.
const specs = {
  item: {
    what: '业务事项', rows: 'businessItems', prefix: 'bi',
    doc: `mutation($in: BusinessItemInput!, $b: Long) { putBusinessItem(input: $in, base: $b) { code name revision } }`,
    result: 'putBusinessItem',
    fields: [
      { key: 'code', label: '业务事项代码', kind: 'code', required: true, hint: '英文字母、数字或 _ . : -，以字母或数字开头，登记后不能修改' },
      { key: 'name', label: '名称', kind: 'text', required: true },
      { key: 'department', label: '责任处室', kind: 'department', required: true },
      { key: 'description', label: '说明', kind: 'textarea', wide: true },
      { key: 'retired', label: '已下线（保留记录，不再计入覆盖率，目录不能再关联）', kind: 'check', wide: true },
    ],
  },
  scene: {
    what: '应用场景', rows: 'scenes', prefix: 'sc',
    doc: `mutation($in: SceneInput!, $b: Long) { putScene(input: $in, base: $b) { code name revision } }`,
    result: 'putScene',
    fields: [
      { key: 'code', label: '场景代码', kind: 'code', required: true, hint: '英文字母、数字或 _ . : -，以字母或数字开头，登记后不能修改' },
      { key: 'name', label: '名称', kind: 'text', required: true },
      { key: 'kind', label: '类型', kind: 'kind', required: true },
      { key: 'department', label: '责任处室', kind: 'department', required: true },
      { key: 'accounts', label: '场景账号', kind: 'list', wide: true, hint: '应用通过这些账号查询（须为应用场景角色的账号 ID），以逗号分隔；近期有查询即算在用' },
      { key: 'description', label: '说明', kind: 'textarea', wide: true },
      { key: 'retired', label: '已下线（保留记录，目录不能再关联）', kind: 'check', wide: true },
    ],
  },
};

function splitList(s) {
  return s.split(/[,，、\s]+/).map((x) => x.trim()).filter((x) => x !== '');
}

// fieldInput builds the control of field f of a form, with its value in row (null: a new one)
// and a read() answering what is entered.
function fieldInput(spec, f, row, v, depts) {
  const id = spec.prefix + '-' + f.key;
  let input;
  let read;
  switch (f.kind) {
    case 'textarea':
      input = h('textarea', { id, name: f.key, rows: 3 });
      input.value = row ? row[f.key] || '' : '';
      read = () => input.value.trim();
      break;
    case 'check':
      input = h('input', { type: 'checkbox', id, name: f.key, checked: row ? row.retired : false });
      read = () => input.checked;
      break;
    case 'department': {
      const value = row ? row.department || '' : v.department || '';
      input = select(depts, value, '（请选择）', { id, name: f.key });
      read = () => input.value;
      break;
    }
    case 'kind':
      input = select(sceneKinds, row ? row.kind : 'one_thing', null, { id, name: f.key });
      read = () => input.value;
      break;
    case 'list':
      input = h('input', { type: 'text', id, name: f.key, value: row ? (row[f.key] || []).join(', ') : '' });
      read = () => splitList(input.value);
      break;
    default:
      input = h('input', { type: 'text', id, name: f.key, value: row ? row[f.key] || '' : '', autocomplete: 'off' });
      if (f.kind === 'code' && row) input.readOnly = true;
      read = () => input.value.trim();
  }
  const el = control(f.label, input, { key: f.key, hint: f.hint, wide: f.wide, required: f.required });
  return { f, input, el, read };
}

// refusal shows what the catalogue refused: its message, and each problem with its field's
// Chinese name.
function refusal(err, prefix, labels) {
  const problems = (err && err.problems) || [];
  if (problems.length === 0) return message('error', prefix + ((err && err.message) || String(err)));
  return h('div', { class: 'message message--error refusal', role: 'alert' },
    h('p', { class: 'refusal__title' }, prefix + '请修改以下 ' + problems.length + ' 处：'),
    h('ul', { class: 'refusal__list' }, problems.map((p) => h('li', { dataset: { field: p.field } },
      h('strong', null, labels[String(p.field).replace(/\[.*$/, '')] || p.field), '：', p.message))));
}

// form builds the register or edit form of spec for row (null: a new one).
function form(spec, row, v, depts, done, cancel) {
  const ctls = spec.fields.map((f) => fieldInput(spec, f, row, v, depts));
  const labels = Object.fromEntries(spec.fields.map((f) => [f.key, f.label]));
  const out = h('div', { id: spec.prefix + '-form-status', tabindex: '-1' });
  const save = h('button', { type: 'submit', class: 'button button--primary', id: spec.prefix + '-save' }, row ? '保存修改' : '登记');
  const title = row ? '编辑' + spec.what + '：' + row.name : '新建' + spec.what;
  const el = h('form', { class: 'card card--inset item-form', id: spec.prefix + '-form', novalidate: true, 'aria-labelledby': spec.prefix + '-form-title' },
    h('h3', { id: spec.prefix + '-form-title' }, title),
    row ? h('p', { class: 'muted item-form__base' }, '基于版本 ' + row.revision + '（' + dash(row.updatedBy) + ' 于 ' + formatTime(row.updatedAt) + ' 修改）') : null,
    h('div', { class: 'form-grid' }, ctls.map((c) => c.el)),
    out,
    h('div', { class: 'form-actions' }, save, h('button', { type: 'button', class: 'button', id: spec.prefix + '-cancel', onclick: cancel }, '取消')));
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblems(el);
    replace(out);
    const input = {};
    for (const c of ctls) input[c.f.key] = c.read();
    save.disabled = true;
    try {
      const d = (await gql(spec.doc, { in: input, b: row ? row.revision : null }))[spec.result];
      done(spec, (row ? '已保存' : '已登记') + spec.what + ' ' + d.code + '（' + d.name + '，版本 ' + d.revision + '）');
    } catch (err) {
      const byKey = new Map(ctls.map((c) => [c.f.key, c.el]));
      showProblems(err.problems, (field) => byKey.get(String(field).replace(/\[.*$/, '')) || null);
      replace(out, refusal(err, row ? '未能保存：' : '未能登记：', labels));
      out.focus();
      save.disabled = false;
    }
  });
  return { el, focus: () => ctls[row ? 1 : 0].input.focus() };
}

function state(r) {
  return r.retired ? h('span', { class: 'badge badge--plain' }, '已下线') : h('span', { class: 'badge badge--ok' }, '在用');
}

// section lists spec's rows with the buttons that open the form.
function section(spec, rows, v, depts, notice, done) {
  const panel = h('div', { class: 'item-form-panel' });
  const status = h('div', { id: spec.prefix + '-status', tabindex: '-1', 'aria-live': 'polite' }, notice ? message('info', notice) : null);
  let opener = null;
  const close = () => { replace(panel); if (opener) opener.focus(); };
  const open = (row, button) => {
    opener = button;
    replace(status);
    const f = form(spec, row, v, depts, done, close);
    replace(panel, f.el);
    f.focus();
  };
  const newButton = h('button', { type: 'button', class: 'button button--primary', id: 'new-' + spec.prefix }, '新建' + spec.what);
  newButton.addEventListener('click', () => open(null, newButton));
  const columns = [
    { title: '代码', class: 'mono', cell: (r) => r.code },
    { title: '名称', cell: (r) => r.name },
  ];
  if (spec.rows === 'scenes') {
    columns.push({ title: '类型', class: 'nowrap', cell: (r) => r.kindName });
    columns.push({ title: '场景账号', cell: (r) => (r.accounts.length > 0 ? r.accounts.join('、') : '—') });
  }
  columns.push(
    { title: '责任处室', cell: (r) => dash(r.departmentName || r.department) },
    { title: '服务的目录', class: 'num', cell: (r) => String(r.entries.length) },
    { title: '版本', class: 'num', cell: (r) => String(r.revision) },
    { title: '状态', class: 'nowrap', cell: state },
    { title: '操作', class: 'nowrap', cell: (r) => {
      // The catalogue says which rows this account may change (mayEdit): a steward its own
      // department's, an administrator any; the others' button is shown disabled, saying why.
      const b = h('button', { type: 'button', class: 'button button--small', dataset: { edit: r.code }, 'aria-label': '编辑' + spec.what + ' ' + r.name,
        disabled: !r.mayEdit, title: r.mayEdit ? null : '只能修改本处室的' + spec.what }, '编辑');
      b.addEventListener('click', () => open(r, b));
      return b;
    } },
  );
  const list = rows.length === 0 ? message('info', '还没有登记' + spec.what)
    : h('div', { class: 'table-wrap' }, table(columns, rows, spec.what + '列表'));
  list.id = spec.prefix + '-list';
  for (const tr of list.querySelectorAll('tbody tr')) {
    const b = tr.querySelector('button[data-edit]');
    if (b) tr.dataset.code = b.dataset.edit;
  }
  return h('section', { class: 'card form-section', id: 'sec-' + spec.prefix, 'aria-labelledby': 'sec-' + spec.prefix + '-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'sec-' + spec.prefix + '-title' }, spec.what + '（' + rows.length + '）'), newButton),
    status, panel, list);
}

async function render(v, saved) {
  let d;
  try {
    d = await gql(listQuery);
  } catch (err) {
    replace(root, message('error', '加载失败：' + err.message));
    return;
  }
  const done = (spec, text) => render(v, { spec, text });
  const note = (spec) => (saved && saved.spec === spec ? saved.text : '');
  replace(root,
    v.editsDirectory ? null : message('error', '本账号（' + v.roleName + '）不能登记或修改业务事项与应用场景：只有系统管理员与数据管理员可以。'),
    section(specs.item, d.businessItems, v, d.departments, note(specs.item), done),
    section(specs.scene, d.scenes, v, d.departments, note(specs.scene), done));
  if (saved) byId(saved.spec.prefix + '-status').focus();
}

async function main() {
  try {
    render(await viewer(), null);
  } catch (err) {
    replace(root, message('error', '加载失败：' + err.message));
  }
}

if (ready) main();
