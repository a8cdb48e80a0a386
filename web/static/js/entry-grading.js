// Grading an entry from its detail page (GraphQL gradeEntry): the evidence (impact object and
// degree, factors, basis), the manual override and the items' grades. Raising takes effect at
// once; lowering a published entry's grade becomes a request a reviewer decides, with a reason.
// The catalogue's refusals are shown next to the fields.

import { gql } from './api.js';
import { h, replace, message } from './dom.js';
import { control, select, clearProblems, showProblems, refusalBlock, parseField } from './forms.js';
import { setFlash } from './session.js';

const gradeDoc = `mutation($c: String!, $b: Long!, $ev: EvidenceInput, $items: [ItemGradeInput!], $o: String, $r: String) {
  gradeEntry(code: $c, base: $b, evidence: $ev, items: $items, override: $o, reason: $r) { pending entry { grade { name } } } }`;

function checks(id, list, chosen) {
  const set = new Set(chosen || []);
  return h('fieldset', { class: 'multi', id }, h('legend', { class: 'visually-hidden' }, '定级要素'),
    h('ul', null, list.codes.map((c) => {
      const bid = id + '-' + c.code;
      return h('li', null, h('input', { type: 'checkbox', id: bid, value: c.code, checked: set.has(c.code) }), ' ', h('label', { for: bid }, c.name));
    })));
}

// gradingForm is the form grading e, for an account that edits it; vocab holds the code lists.
export function gradingForm(e, vocab) {
  const g = e.grading || {};
  const wraps = new Map();
  const ctl = (key, label, input, opts) => {
    const c = control(label, input, Object.assign({ key }, opts || {}));
    wraps.set(key, c);
    return c;
  };
  const object = select(vocab.impact_objects.codes, g.impactObject || '', '（请选择）', { id: 'grade-impact-object' });
  const degree = select(vocab.impact_degrees.codes, g.impactDegree || '', '（请选择）', { id: 'grade-impact-degree' });
  const factors = checks('grade-factors', vocab.grading_factors, g.factors);
  const factorsWrap = h('div', { class: 'field field--wide', dataset: { key: 'factors' } }, h('span', { class: 'field__label' }, '定级要素'), factors,
    h('p', { class: 'field__error', hidden: true }));
  wraps.set('factors', factorsWrap);
  const basis = h('textarea', { id: 'grade-basis', rows: 2 });
  basis.value = g.basis || '';
  const override = h('select', { id: 'grade-override' }, h('option', { value: '-' }, '（不变）'), h('option', { value: '' }, '清除人工调整'),
    vocab.grades.codes.map((c) => h('option', { value: c.code }, c.name)));
  const itemSelects = e.items.map((it) => {
    const s = select(vocab.grades.codes, it.grade ? it.grade.id : '', null, { id: 'grade-item-' + it.field, 'aria-label': it.name + ' 的分级' });
    const wrap = h('div', { class: 'field grade-item', dataset: { key: 'item:' + it.field } }, h('label', { for: s.id }, it.name, ' ', h('span', { class: 'mono muted' }, it.field)), s,
      h('p', { class: 'field__error', hidden: true }));
    wraps.set('item:' + it.field, wrap);
    return { it, s, wrap };
  });
  const reason = h('textarea', { id: 'grade-reason', rows: 2 });
  const out = h('div', { id: 'grade-status', 'aria-live': 'polite', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'button button--primary', id: 'grade-submit' }, '保存定级');
  const form = h('form', { id: 'grade-form', novalidate: true },
    h('div', { class: 'form-grid' },
      ctl('impactObject', '影响对象', object), ctl('impactDegree', '影响程度', degree),
      ctl('override', '人工调整的分级', override, { hint: '就高从严：目录分级取信息项最高分级与人工调整分级中较高者' }),
      factorsWrap, ctl('basis', '定级依据', basis, { wide: true })),
    h('h3', { class: 'grade-items__title' }, '信息项分级'),
    h('div', { class: 'grade-items' }, itemSelects.map((x) => x.wrap)),
    h('div', { class: 'form-grid' }, ctl('reason', '原因', reason, { wide: true, hint: '降低已发布目录的分级，或分级低于定级矩阵建议时必填' })),
    out, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblems(form);
    const vars = { c: e.resourceCode, b: e.revision, r: reason.value.trim() || null, ev: null, items: null, o: null };
    if (object.value || degree.value || basis.value.trim()) {
      vars.ev = { impactObject: object.value, impactDegree: degree.value, basis: basis.value.trim(),
        factors: [...factors.querySelectorAll('input:checked')].map((b) => b.value) };
    }
    const items = itemSelects.filter((x) => x.s.value !== (x.it.grade ? x.it.grade.id : '')).map((x) => ({ field: x.it.field, grade: x.s.value }));
    if (items.length > 0) vars.items = items;
    if (override.value !== '-') vars.o = override.value;
    if (!vars.ev && !vars.items && vars.o === null) {
      replace(out, message('info', '没有修改的内容'));
      return;
    }
    submit.disabled = true;
    try {
      const res = (await gql(gradeDoc, vars)).gradeEntry;
      setFlash(res.pending ? '已生成降级申请：须经审核员审核后生效' : '定级已保存' + (res.entry ? '，目录分级为' + res.entry.grade.name : ''));
      location.reload();
    } catch (err) {
      showProblems(err.problems, (f) => {
        const p = parseField(f);
        if (p.base === 'evidence') return wraps.get(p.sub) || null;
        if (p.base === 'items') return wraps.get('item:' + p.sub) || null;
        return wraps.get(p.base) || null;
      });
      replace(out, refusalBlock(err, '定级未成功：'));
      out.focus();
      submit.disabled = false;
    }
  });
  return h('details', { class: 'grade-edit', id: 'grade-edit' }, h('summary', null, '修改定级'), form);
}
