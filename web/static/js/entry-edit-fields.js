// The fields of the entry form: what each is called, how it is entered and how its value is read
// from an entry version and written into GraphQL's EntryInput.

import { h } from './dom.js';
import { control, select, fieldLabels } from './forms.js';

// editFields are the fields of an entry version the form starts from (EntryInput's names).
export const editFields = `resourceCode name table abstract category department district domains providerName providerCode
  formatType shareType shareCondition shareMode openType openCondition sharingBasis updateCycle sourceKind writeMode
  secret exempt exemptReason gradeOverride { id } businessItems scenes relatedCodes rules partitions maxRejectedPercent
  retainSnapshots retainDays
  transform status statusName
  items { id field name type length isKey required codeList grade { id } piType description min max }`;

const writeModes = { codes: [{ code: 'append', name: '追加' }, { code: 'upsert', name: '按主键更新' }] };

// sections group the fields as the form shows them. kind: text, textarea, select (list names a
// code list of the vocabulary), multi (check boxes of a list), list (values separated by commas
// or 、), lines (one value a line), check, number.
export const sections = [
  { title: '基本信息', fields: [
    { key: 'name', kind: 'text', required: true },
    { key: 'resourceCode', kind: 'text', createOnly: true, hint: '不填则按分类自动生成' },
    { key: 'table', kind: 'text', createOnly: true, hint: '英文小写与下划线；不填则由资源代码生成' },
    { key: 'category', kind: 'select', list: 'categories', required: true },
    { key: 'department', kind: 'select', list: 'departments', required: true },
    { key: 'district', kind: 'select', list: 'districts', hint: '市级资源选“重庆市”' },
    { key: 'providerName', kind: 'text' },
    { key: 'providerCode', kind: 'text', hint: '18 位统一社会信用代码' },
    { key: 'formatType', kind: 'select', list: 'format_types' },
    { key: 'sourceKind', kind: 'select', list: 'source_kinds' },
    { key: 'updateCycle', kind: 'select', list: 'update_cycles' },
    { key: 'abstract', kind: 'textarea', wide: true },
    { key: 'domains', kind: 'multi', list: 'domains', wide: true },
  ] },
  { title: '共享与开放', fields: [
    { key: 'shareType', kind: 'select', list: 'share_types', hint: '不填则按分级建议' },
    { key: 'shareMode', kind: 'select', list: 'share_modes' },
    { key: 'openType', kind: 'select', list: 'open_types', hint: '不填则按分级建议' },
    { key: 'shareCondition', kind: 'textarea' },
    { key: 'openCondition', kind: 'textarea' },
    { key: 'sharingBasis', kind: 'textarea', hint: '共享或开放宽于分级默认值时必填' },
  ] },
  { title: '分级与归集', fields: [
    { key: 'gradeOverride', kind: 'select', list: 'grades', hint: '不填则取信息项的最高分级' },
    { key: 'writeMode', kind: 'select', list: writeModes, empty: null },
    { key: 'maxRejectedPercent', kind: 'number', hint: '0–100；不填沿用系统默认' },
    { key: 'retainSnapshots', kind: 'number', hint: '保留最新的几个快照（含当前快照）；0 为不按个数限制，不填沿用系统默认' },
    { key: 'retainDays', kind: 'number', hint: '被替换后保留的天数；0 为不按天数限制，不填沿用系统默认' },
    { key: 'partitions', kind: 'list', hint: '字段、year(字段) 或 month(字段)，以逗号分隔，最多 3 个' },
    { key: 'secret', kind: 'check' },
    { key: 'exempt', kind: 'check' },
    { key: 'exemptReason', kind: 'text', wide: true },
  ] },
  { title: '业务事项、场景与关联', fields: [
    { key: 'businessItems', kind: 'multi', list: 'businessItems', wide: true },
    { key: 'scenes', kind: 'multi', list: 'scenes', wide: true },
    { key: 'relatedCodes', kind: 'list', hint: '信息资源代码，以逗号分隔' },
    { key: 'rules', kind: 'lines', hint: '每行一条：字段 运算符 字段或常量，如 sample_date <= report_date', wide: true },
  ] },
];

// transformField is shown only for a derived entry.
export const transformField = { key: 'transform', kind: 'textarea', wide: true, rows: 6, hint: '只能读取本账号可完整读取的目录；信息项须与输出列一一对应' };

// valueOf reads field f of an entry version as the form holds it.
export function valueOf(e, f) {
  const v = e ? e[f.key] : undefined;
  switch (f.kind) {
    case 'multi': case 'list': case 'lines': return v || [];
    case 'check': return !!v;
    case 'number': return v === null || v === undefined ? null : Number(v);
    default:
      if (f.key === 'gradeOverride') return (v && v.id) || '';
      if (f.key === 'writeMode') return v || 'append';
      return v === null || v === undefined ? '' : String(v).trim(); // as read() reads it
  }
}

function splitList(s) {
  return s.split(/[,，、\s]+/).map((x) => x.trim()).filter((x) => x !== '');
}

// fieldControl builds the control of f with value v; its read() answers the value entered.
export function fieldControl(f, v, vocab) {
  const label = fieldLabels[f.key] || f.key;
  const id = 'in-' + f.key;
  let input;
  let read;
  switch (f.kind) {
    case 'textarea':
      input = h('textarea', { id, name: f.key, rows: f.rows || 3 });
      input.value = v;
      read = () => input.value.trim();
      break;
    case 'select': {
      const list = typeof f.list === 'string' ? vocab[f.list] : f.list;
      const codes = (list ? list.codes : []).filter((c) => !c.retired || c.code === v);
      input = select(codes, v, f.empty === null ? null : '（未填）', { id, name: f.key }, f.key === 'category');
      read = () => input.value;
      break;
    }
    case 'multi': {
      const list = vocab[f.list];
      const chosen = new Set(v);
      const boxes = (list ? list.codes : []).filter((c) => !c.retired || chosen.has(c.code)).map((c) => {
        const bid = id + '-' + c.code.replace(/[^A-Za-z0-9_-]/g, '_');
        return h('li', null, h('input', { type: 'checkbox', id: bid, value: c.code, checked: chosen.has(c.code) }), ' ', h('label', { for: bid }, c.name));
      });
      input = h('fieldset', { id, class: 'multi' }, h('legend', { class: 'visually-hidden' }, label),
        boxes.length > 0 ? h('ul', null, boxes) : h('p', { class: 'muted' }, '（无可选项）'));
      read = () => [...input.querySelectorAll('input:checked')].map((b) => b.value);
      const wrap = h('div', { class: 'field field--wide', dataset: { key: f.key } },
        h('span', { class: 'field__label' }, label), input,
        h('p', { class: 'field__error', id: id + '-error', hidden: true }));
      return { el: wrap, read };
    }
    case 'list': case 'lines':
      input = f.kind === 'lines' ? h('textarea', { id, name: f.key, rows: 3 }) : h('input', { type: 'text', id, name: f.key });
      input.value = f.kind === 'lines' ? v.join('\n') : v.join(', ');
      read = () => (f.kind === 'lines' ? input.value.split('\n').map((x) => x.trim()).filter((x) => x !== '') : splitList(input.value));
      break;
    case 'check':
      input = h('input', { type: 'checkbox', id, name: f.key, checked: v });
      read = () => input.checked;
      break;
    case 'number':
      input = h('input', { type: 'number', id, name: f.key, min: 0, max: 100, step: 'any', value: v === null ? '' : v });
      read = () => (input.value === '' ? null : Number(input.value));
      break;
    default:
      input = h('input', { type: 'text', id, name: f.key, value: v });
      read = () => input.value.trim();
  }
  return { el: control(label, input, { key: f.key, hint: f.hint, wide: f.wide, required: f.required }), read };
}
