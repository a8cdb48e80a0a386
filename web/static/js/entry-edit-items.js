// The items of the entry form: one row per item (name, field, type, grade, required …), added,
// changed, moved and removed in place. An existing item keeps its id, so that renaming it keeps
// it (and its data) rather than replacing it. The list is sent whole, and only when it changed.

import { h } from './dom.js';
import { control, select, itemLabels } from './forms.js';

let rowSeq = 0;

// itemInput is an item as GraphQL's ItemInput takes it, without the fields left empty.
function itemInput(it) {
  const out = { name: it.name, field: it.field };
  if (it.id) out.id = it.id;
  for (const k of ['type', 'grade', 'codeList', 'piType', 'description', 'min', 'max']) {
    if (it[k]) out[k] = it[k];
  }
  if (it.length) out.length = it.length;
  out.isKey = !!it.isKey;
  out.required = !!it.required;
  return out;
}

// fromEntry is an item of an entry version as the editor holds it.
function fromEntry(it) {
  return { id: it.id, name: it.name, field: it.field, type: it.type || '', length: it.length || null, isKey: it.isKey,
    required: it.required, grade: (it.grade && it.grade.id) || '', codeList: it.codeList || '', piType: it.piType || '',
    description: it.description || '', min: it.min || '', max: it.max || '' };
}

// itemsEditor edits items (of an entry version); vocab holds the code lists.
export function itemsEditor(items, vocab) {
  let original = JSON.stringify((items || []).map((it) => itemInput(fromEntry(it))));
  const listChoices = Object.entries(vocab).filter(([, l]) => l.title).map(([name, l]) => ({ code: name, name: l.title }));
  const body = h('div', { class: 'items-editor__rows' });
  const rows = [];

  const count = h('p', { class: 'muted', id: 'items-count' });

  function renumber() {
    count.textContent = '共 ' + rows.length + ' 项。文件表头须与信息项名称一致；已有信息项保留其编号，改名不会丢失数据。';
    rows.forEach((r, i) => {
      r.legend.textContent = '第 ' + (i + 1) + ' 项' + (r.state.id ? '（编号 ' + r.state.id + '）' : '（新增）');
      r.el.dataset.index = String(i);
    });
  }

  function addRow(state, focus) {
    const n = ++rowSeq;
    const id = (k) => 'item-' + n + '-' + k;
    const inputs = {
      name: h('input', { type: 'text', id: id('name'), value: state.name, class: 'item-name' }),
      field: h('input', { type: 'text', id: id('field'), value: state.field, class: 'mono item-field', spellcheck: 'false' }),
      type: select(vocab.data_types.codes, state.type, '（未填）', { id: id('type') }),
      length: h('input', { type: 'number', id: id('length'), min: 0, value: state.length || '' }),
      grade: select(vocab.grades.codes, state.grade, '（未填）', { id: id('grade') }),
      codeList: select(listChoices, state.codeList, '（无）', { id: id('codeList') }),
      piType: select(vocab.pi_types.codes, state.piType, '（非个人信息）', { id: id('piType') }),
      min: h('input', { type: 'text', id: id('min'), value: state.min }),
      max: h('input', { type: 'text', id: id('max'), value: state.max }),
      description: h('input', { type: 'text', id: id('description'), value: state.description }),
      isKey: h('input', { type: 'checkbox', id: id('isKey'), checked: state.isKey }),
      required: h('input', { type: 'checkbox', id: id('required'), checked: state.required }),
    };
    const legend = h('legend', null);
    const row = { state, inputs, legend, el: null };
    const ctl = (k, opts) => control(itemLabels[k], inputs[k], Object.assign({ key: k }, opts || {}));
    const move = (d) => {
      const i = rows.indexOf(row);
      const j = i + d;
      if (j < 0 || j >= rows.length) return;
      rows.splice(i, 1);
      rows.splice(j, 0, row);
      if (d < 0) body.insertBefore(row.el, rows[j + 1].el); else body.insertBefore(row.el, rows[j - 1].el.nextSibling);
      renumber();
    };
    row.el = h('fieldset', { class: 'item-row' }, legend,
      h('div', { class: 'item-row__grid' },
        ctl('name', { required: true }), ctl('field', { required: true }), ctl('type'), ctl('length'), ctl('grade'),
        ctl('codeList'), ctl('piType'), ctl('min'), ctl('max'), ctl('description', { class: 'item-row__description' }),
        h('div', { class: 'item-row__flags' }, ctl('isKey'), ctl('required'))),
      h('p', { class: 'field__error item-row__error', hidden: true }),
      h('div', { class: 'item-row__tools' },
        h('button', { type: 'button', class: 'link-button', onclick: () => move(-1) }, '上移'),
        h('button', { type: 'button', class: 'link-button', onclick: () => move(1) }, '下移'),
        h('button', { type: 'button', class: 'link-button link-button--danger', dataset: { remove: '' }, onclick: () => {
          rows.splice(rows.indexOf(row), 1);
          row.el.remove();
          renumber();
        } }, '删除此项')));
    rows.push(row);
    body.appendChild(row.el);
    renumber();
    if (focus) inputs.name.focus();
  }

  for (const it of items || []) addRow(fromEntry(it), false);
  renumber();
  const empty = { id: 0, name: '', field: '', type: 'STRING', length: null, isKey: false, required: false, grade: 'GENERAL_1', codeList: '', piType: '', description: '', min: '', max: '' };
  const errSlot = h('p', { class: 'field__error', id: 'items-error', hidden: true });
  const el = h('div', { class: 'items-editor field', dataset: { key: 'items' } }, count, errSlot, body,
    h('button', { type: 'button', class: 'button', id: 'add-item', onclick: () => addRow(Object.assign({}, empty), true) }, '新增信息项'));

  // value reads the rows as ItemInput values, in their order.
  function value() {
    return rows.map((r) => {
      const i = r.inputs;
      return itemInput({ id: r.state.id, name: i.name.value.trim(), field: i.field.value.trim(), type: i.type.value,
        length: i.length.value === '' ? null : parseInt(i.length.value, 10), grade: i.grade.value, codeList: i.codeList.value,
        piType: i.piType.value, min: i.min.value.trim(), max: i.max.value.trim(), description: i.description.value.trim(),
        isKey: i.isKey.checked, required: i.required.checked });
    });
  }

  return {
    el,
    value,
    changed: () => JSON.stringify(value()) !== original,
    // commit takes the rows as they are for the saved version.
    commit() { original = JSON.stringify(value()); },
    // find answers the control a problem of item index names (its attribute sub), or the row.
    find(index, sub) {
      const r = rows[index];
      if (!r) return el;
      if (sub && r.inputs[sub]) return r.inputs[sub].closest('.field');
      return r.el;
    },
  };
}
