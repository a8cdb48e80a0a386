// The review workflow of an entry as its detail page (and the review list) offers it: submit a
// draft for review, approve or send back what is under review, retire and restore. Which buttons
// show follows the account's role and the version's state; the catalogue decides each step and
// its refusal is shown as it words it. Every step names the version it was based on.

import { gql } from './api.js';
import { h, replace, message } from './dom.js';
import { refusalBlock } from './forms.js';
import { setFlash } from './session.js';

// steps are the workflow's mutations: the argument their note goes in, whether it is required,
// the label of the note and what is said once the step is done.
const steps = {
  submitEntry: { title: '提交审核', note: 'comment', label: '说明（可不填）', done: '已提交审核，等待审核员审核', primary: true },
  approveEntry: { title: '审核通过', note: 'comment', label: '审核意见（可不填）', done: '已审核通过并发布', primary: true },
  sendBackEntry: { title: '退回修改', note: 'comment', label: '审核意见（必填，告知修改要求）', required: true, done: '已退回修改' },
  retireEntry: { title: '下线', note: 'reason', label: '下线原因（必填）', required: true, done: '已下线' },
  restoreEntry: { title: '恢复', note: 'reason', label: '恢复原因（必填）', required: true, done: '已恢复，等待审核员审核后重新发布' },
};

// run performs step on entry code based on revision base.
export async function runStep(step, code, base, note) {
  const s = steps[step];
  const noteType = s.required ? 'String!' : 'String';
  const doc = `mutation($c: String!, $b: Long!, $n: ${noteType}) { ${step}(code: $c, base: $b, ${s.note}: $n) { resourceCode status revision } }`;
  const data = await gql(doc, { c: code, b: base, n: note || (s.required ? '' : null) });
  return data[step];
}

// working is the version of e under way: its change request when it has one, else e itself.
export function working(e) {
  const c = e.changeRequest;
  if (c) return { status: c.status, statusName: c.statusName, review: c.review, change: c };
  return { status: e.status, statusName: e.statusName, review: e.review, change: null };
}

// mayEdit reports whether v edits e at all: an administrator, or a steward of e's department.
export function mayEdit(e, v) {
  return v.editsDirectory && (v.role !== 'steward' || (!!v.department && v.department === e.department));
}

// stepsFor lists the steps account v may offer on e now.
export function stepsFor(e, v) {
  const w = working(e);
  const out = [];
  if (mayEdit(e, v)) {
    if (w.status === 'DRAFT') out.push('submitEntry');
    if (e.status === 'PUBLISHED' && !e.changeRequest) out.push('retireEntry');
    if (e.status === 'RETIRED') out.push('restoreEntry');
  }
  if (v.reviewsDirectory && w.status === 'PENDING_REVIEW') out.push('approveEntry', 'sendBackEntry');
  return out;
}

// ownVersion reports whether v changed or submitted the version under way: nobody reviews it.
export function ownVersion(e, v) {
  const r = working(e).review || {};
  return !!v.id && ((r.editors || []).includes(v.id) || r.submittedBy === v.id);
}

// stepButtons renders the buttons of the steps v may take on e, each opening a small form for
// its note; once a step is done the page is reloaded with a notice (onDone overrides).
export function stepButtons(e, v, onDone) {
  const list = stepsFor(e, v);
  if (list.length === 0) return null;
  const panel = h('div', { class: 'step-panel' });
  const own = ownVersion(e, v);
  const buttons = list.map((step) => {
    const s = steps[step];
    const blocked = own && (step === 'approveEntry' || step === 'sendBackEntry');
    return h('button', { type: 'button', class: 'button' + (s.primary ? ' button--primary' : ''), disabled: blocked,
      dataset: { step }, title: blocked ? '本账号修改或提交了该版本，不能审核' : null,
      onclick: () => openStep(panel, step, e, onDone) }, s.title);
  });
  return h('div', { class: 'workflow-steps' },
    h('div', { class: 'actions' }, buttons),
    own && list.includes('approveEntry') ? h('p', { class: 'muted' }, '本账号修改或提交了该版本，不能审核，须由其他审核员审核。') : null,
    panel);
}

function openStep(panel, step, e, onDone) {
  const s = steps[step];
  const id = 'step-note-' + step;
  const note = h('textarea', { id, rows: 2, class: 'step-note', required: !!s.required });
  const out = h('div', { class: 'step-result', 'aria-live': 'polite' });
  const confirm = h('button', { type: 'submit', class: 'button button--primary', dataset: { confirm: step } }, '确认' + s.title);
  const form = h('form', { class: 'step-form card card--inset', dataset: { step }, novalidate: true },
    h('h3', null, s.title + '：' + e.name),
    h('div', { class: 'field' }, h('label', { for: id }, s.label), note),
    out,
    h('div', { class: 'actions' }, confirm, h('button', { type: 'button', class: 'button', onclick: () => replace(panel) }, '取消')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = note.value.trim();
    if (s.required && text === '') {
      replace(out, message('error', '请填写' + s.label.replace(/（.*）/, '')));
      note.focus();
      return;
    }
    confirm.disabled = true;
    replace(out, message('info', '正在' + s.title + '…'));
    try {
      await runStep(step, e.resourceCode, e.revision, text);
      if (onDone) {
        onDone(step, s.done);
      } else {
        setFlash(s.done);
        location.reload();
      }
    } catch (err) {
      replace(out, refusalBlock(err, s.title + '未成功：'),
        err.problems && err.problems.length > 0 && step === 'submitEntry'
          ? h('p', null, h('a', { href: '/ui/entry-edit?code=' + encodeURIComponent(e.resourceCode) }, '前往编辑页修改')) : null);
      confirm.disabled = false;
    }
  });
  replace(panel, form);
  note.focus();
}
