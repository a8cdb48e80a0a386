// Field-level differences of a directory entry: between the published version and the change
// under way (computed here from the two versions GraphQL answers, the way the catalogue compares
// them for its history), and the history's own differences shown with Chinese names instead of
// codes.

import { h } from './dom.js';
import { nameIn } from './account.js';

// versionFields are the fields of an entry version a difference is computed over.
export const versionFields = `name table abstract categoryName providerName providerCode formatTypeName
  shareTypeName shareCondition shareModeName openTypeName openCondition sharingBasis updateCycleName
  relatedCodes departmentName districtName sourceKindName domainNames businessItems scenes secret exempt
  exemptReason gradeOverride { name } grade { name } rules writeModeName maxRejectedPercent retainSnapshots retainDays partitions transform
  items { id field name typeName length isKey required grade { name } piTypeName codeListName description min max }`;

const yes = (b) => (b ? '是' : '否');
const list = (l) => (l || []).join('、');

const entryFields = [
  ['name', '信息资源名称'], ['table', '数据表名'], ['categoryName', '信息资源分类'], ['providerName', '信息资源提供方'],
  ['providerCode', '提供方代码'], ['abstract', '信息资源摘要'], ['formatTypeName', '信息资源格式'], ['shareTypeName', '共享类型'],
  ['shareCondition', '共享条件'], ['shareModeName', '共享方式'], ['openTypeName', '开放类型'], ['openCondition', '开放条件'],
  ['sharingBasis', '共享开放法律依据'], ['updateCycleName', '更新周期'], ['relatedCodes', '关联资源代码', list],
  ['departmentName', '责任处室'], ['districtName', '区县'], ['sourceKindName', '数据来源'], ['domainNames', '治理领域', list],
  ['businessItems', '业务事项', list], ['scenes', '应用场景', list], ['secret', '涉密', yes], ['exempt', '不予归集', yes],
  ['exemptReason', '不予归集理由'], ['gradeOverride', '分级（人工调整）', (g) => (g ? g.name : '')], ['grade', '分级', (g) => (g ? g.name : '')],
  ['rules', '校验规则', (r) => (r || []).join('；')], ['writeModeName', '写入方式'],
  ['maxRejectedPercent', '拒收行数上限（%）', (p) => (p === null || p === undefined ? '' : String(p))],
  ['retainSnapshots', '快照保留个数', (n) => (n === null || n === undefined ? '' : String(n))],
  ['retainDays', '快照保留天数', (n) => (n === null || n === undefined ? '' : String(n))],
  ['partitions', '分区列', list], ['transform', '加工 SQL'],
];

const itemFields = [
  ['name', '信息项名称'], ['field', '字段标识'], ['typeName', '数据类型'], ['length', '长度', (n) => (n ? String(n) : '')],
  ['required', '必填', yes], ['isKey', '主键', yes], ['grade', '分级', (g) => (g ? g.name : '')], ['piTypeName', '个人信息类型'],
  ['codeListName', '代码表'], ['description', '说明'], ['min', '最小值'], ['max', '最大值'],
];

function text(v, fmt) {
  const s = fmt ? fmt(v) : v;
  return s === null || s === undefined ? '' : String(s);
}

function itemLabel(it) {
  return it.name + '（' + it.field + '）';
}

// diffVersions lists the differences from version a to version b as {label, old, new}: the
// entry's fields, then its items matched by their id (a rename is a change, not a swap).
export function diffVersions(a, b) {
  const out = [];
  for (const [key, label, fmt] of entryFields) {
    const x = text(a[key], fmt);
    const y = text(b[key], fmt);
    if (x !== y) out.push({ label, old: x, new: y });
  }
  const byID = new Map(a.items.map((it) => [it.id, it]));
  const kept = new Set();
  for (const it of b.items) {
    const old = byID.get(it.id);
    if (!old) {
      out.push({ label: '信息项', old: '', new: '新增 ' + itemLabel(it) });
      continue;
    }
    kept.add(it.id);
    for (const [key, label, fmt] of itemFields) {
      const x = text(old[key], fmt);
      const y = text(it[key], fmt);
      if (x !== y) out.push({ label: '信息项“' + it.name + '”的' + label, old: x, new: y });
    }
  }
  for (const it of a.items) {
    if (!kept.has(it.id)) out.push({ label: '信息项', old: '删除 ' + itemLabel(it), new: '' });
  }
  return out;
}

// listOfField is the code list the history's values of a field are codes of.
const listOfField = {
  category_code: 'categories', format_type: 'format_types', share_type: 'share_types', share_mode: 'share_modes',
  open_type: 'open_types', update_cycle: 'update_cycles', district: 'districts', source_kind: 'source_kinds',
  domains: 'domains', grade_override: 'grades', grade: 'grades', department: 'departments',
  business_items: 'businessItems', scenes: 'scenes', type: 'data_types', pi_type: 'pi_types',
};

const writeModes = { append: '追加', upsert: '按主键更新' };

// historyValue shows a value of the history's differences by its Chinese name: codes of a code
// list by name, lists by their names, true and false as 是 and 否.
export function historyValue(field, value, vocab) {
  if (value === null || value === undefined || value === '') return '';
  const attr = field.includes('.') ? field.slice(field.lastIndexOf('.') + 1) : field;
  if (value === 'true' || value === 'false') return value === 'true' ? '是' : '否';
  if (attr === 'write_mode') return writeModes[value] || value;
  const listName = listOfField[attr];
  if (!listName || !vocab || !vocab[listName]) return value;
  const l = vocab[listName];
  if (attr === 'domains' || attr === 'business_items' || attr === 'scenes') {
    return value.split('、').map((c) => nameIn(l, c)).join('、');
  }
  return nameIn(l, value);
}

// changesTable shows differences as a table: 字段, 原值 (struck through), 新值.
export function changesTable(changes, caption) {
  return h('table', { class: 'data-table changes-table' },
    h('caption', { class: 'visually-hidden' }, caption || '字段级差异'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, '字段'), h('th', { scope: 'col' }, '原值'), h('th', { scope: 'col' }, '新值'))),
    h('tbody', null, changes.map((c) => h('tr', null,
      h('th', { scope: 'row', class: 'changes-table__field' }, c.label),
      h('td', null, c.old === '' ? h('span', { class: 'muted' }, '（空）') : h('del', { class: 'diff-old' }, c.old)),
      h('td', null, c.new === '' ? h('span', { class: 'muted' }, '（空）') : h('ins', { class: 'diff-new' }, c.new))))));
}

// historyChanges are a history version's differences as changesTable shows them.
export function historyChanges(x, vocab) {
  return x.changes.map((c) => ({ label: c.label, old: historyValue(c.field, c.old || '', vocab),
    new: historyValue(c.field, c.new || '', vocab) }));
}
