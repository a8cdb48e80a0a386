// Form helpers: labelled controls with a place for the catalogue's refusal of that field, and
// the refusal's problems (GraphQL extensions.problems, the REST doors' problems) put next to the
// fields they name, in Chinese.

import { h, replace, message } from './dom.js';

// fieldLabels are the Chinese names of the fields of an entry and of the workflow's arguments,
// as GraphQL names them.
export const fieldLabels = {
  resourceCode: '信息资源代码', name: '信息资源名称', table: '数据表名', abstract: '信息资源摘要', category: '信息资源分类',
  department: '责任处室', district: '区县', domains: '治理领域', providerName: '信息资源提供方', providerCode: '提供方统一社会信用代码',
  formatType: '资源格式', shareType: '共享类型', shareCondition: '共享条件', shareMode: '共享方式', openType: '开放类型',
  openCondition: '开放条件', sharingBasis: '共享开放的法律依据', updateCycle: '更新周期', sourceKind: '数据来源', writeMode: '写入方式',
  secret: '涉密', exempt: '不予归集', exemptReason: '不予归集理由', gradeOverride: '人工调整的分级', businessItems: '服务的业务事项',
  scenes: '服务的应用场景', relatedCodes: '关联资源代码', rules: '校验规则', partitions: '分区列', maxRejectedPercent: '拒收行数上限',
  retainSnapshots: '快照保留个数', retainDays: '快照保留天数',
  transform: '加工 SQL', items: '信息项', reason: '原因', comment: '审核意见', base: '版本号',
  entry: '目录', grantee: '被授权账号', purpose: '用途', expires: '到期时间', mode: '方式', minGroupSize: '最小分组行数',
  unmasked: '明文信息项', note: '意见', evidence: '定级', override: '人工调整的分级',
  impactObject: '影响对象', impactDegree: '影响程度', factors: '定级要素', basis: '定级依据',
};

export const itemLabels = {
  name: '信息项名称', field: '字段标识', type: '数据类型', length: '长度', isKey: '主键', required: '必填', grade: '分级',
  codeList: '代码表', piType: '个人信息类型', min: '取值下限', max: '取值上限', description: '说明', id: '编号',
};

// parseField reads a problem's field: "shareType", "domains[1]", "items[2].grade",
// "items[2] (pm25).piType" or "items.pm25" (how a grading names an item).
export function parseField(field) {
  const m = /^([A-Za-z]+)(?:\[(\d+)\])?(?:\s*\(([^)]*)\))?(?:\.([A-Za-z_][A-Za-z0-9_]*))?/.exec(field || '');
  if (!m) return { base: field || '', index: null, ident: '', sub: '' };
  return { base: m[1], index: m[2] === undefined ? null : Number(m[2]), ident: m[3] || '', sub: m[4] || '' };
}

// problemLabel names a problem's field in Chinese.
export function problemLabel(field) {
  const p = parseField(field);
  if (p.base === 'items' && p.index !== null) {
    return '信息项第 ' + (p.index + 1) + ' 项' + (p.ident ? '（' + p.ident + '）' : '') + (p.sub ? '的' + (itemLabels[p.sub] || p.sub) : '');
  }
  if (p.base === 'items' && p.sub) return '信息项 ' + p.sub;
  const base = fieldLabels[p.base] || p.base;
  if (p.sub) return base + '的' + (fieldLabels[p.sub] || p.sub);
  return p.index !== null ? base + '第 ' + (p.index + 1) + ' 项' : base;
}

// refusalBlock shows a refusal: its message, and its problems field by field.
export function refusalBlock(err, prefix) {
  const problems = (err && err.problems) || [];
  const text = (prefix || '') + ((err && err.message) || String(err));
  if (problems.length === 0) return message('error', text);
  return h('div', { class: 'message message--error refusal', role: 'alert' },
    h('p', { class: 'refusal__title' }, (prefix || '') + '请修改以下 ' + problems.length + ' 处：'),
    h('ul', { class: 'refusal__list' }, problems.map((p) => h('li', { dataset: { field: p.field } },
      h('strong', null, problemLabel(p.field)), '：', p.message))));
}

let nextID = 0;

// control wraps an input with its label, a hint and an empty error slot; the slot is filled by
// showProblems. key names the control for the problems (a GraphQL field path).
export function control(label, input, opts) {
  const o = opts || {};
  if (!input.id) input.id = 'f-' + (++nextID);
  const err = h('p', { class: 'field__error', id: input.id + '-error', hidden: true });
  const hint = o.hint ? h('p', { class: 'field__hint', id: input.id + '-hint' }, o.hint) : null;
  input.setAttribute('aria-describedby', [hint ? hint.id : '', err.id].filter(Boolean).join(' '));
  const wrap = h('div', { class: 'field' + (o.wide ? ' field--wide' : '') + (o.class ? ' ' + o.class : ''), dataset: { key: o.key || '' } },
    input.type === 'checkbox' ? h('label', { class: 'check' }, input, ' ', label) : [h('label', { for: input.id }, label, o.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null), input],
    hint, err);
  return wrap;
}

// select builds a select of codes [{code, name}], with an empty choice labelled empty (none
// when empty is null); withCode shows each code beside its name (分类 0101).
export function select(codes, value, empty, attrs, withCode) {
  return h('select', attrs || null,
    empty === null ? null : h('option', { value: '' }, empty || '（未填）'),
    codes.map((c) => h('option', { value: c.code, selected: c.code === value }, withCode && c.name !== c.code ? c.code + ' ' + c.name : c.name)));
}

// clearProblems empties every error slot under root.
export function clearProblems(root) {
  for (const el of root.querySelectorAll('.field__error')) { el.hidden = true; el.textContent = ''; }
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// showProblems puts each problem next to the control find(field) answers (a .field element);
// the problems no control shows are returned.
export function showProblems(problems, find) {
  const rest = [];
  for (const p of problems || []) {
    const wrap = find(p.field);
    const slot = wrap && wrap.querySelector(':scope > .field__error');
    if (!slot) { rest.push(p); continue; }
    slot.textContent = (slot.textContent ? slot.textContent + '；' : '') + p.message;
    slot.hidden = false;
    const input = wrap.querySelector('input, select, textarea');
    if (input) input.setAttribute('aria-invalid', 'true');
  }
  return rest;
}

// status shows a status line in el.
export function status(el, kind, text) {
  replace(el, text ? message(kind, text) : null);
}
