// An entry's versions on its detail page: the change under way with its differences from the
// published version, and the history, each version with its field-level differences.

import { h, message, formatTime, dash } from './dom.js';
import { changesTable, diffVersions, historyChanges } from './diff.js';
import { working } from './entry-workflow.js';

// pendingBlock shows the version under way against the published one: a change request's
// differences, or for an entry never published that there is nothing to compare with.
export function pendingBlock(e) {
  const w = working(e);
  const c = w.change;
  if (!c && e.status === 'PUBLISHED') return null;
  if (!c && e.status === 'RETIRED') return null;
  const head = [];
  const facts = [];
  if (c) {
    head.push(c.kindName + '申请 · ' + c.statusName);
    if (c.reason) facts.push(['原因', c.reason]);
    facts.push(['申请时间', formatTime(c.createdAt)], ['最后修改', formatTime(c.updatedAt)]);
  } else {
    head.push((e.publishDate ? '待恢复发布的版本' : '新登记、尚未发布的目录') + ' · ' + e.statusName);
  }
  const r = w.review || {};
  if (r.updatedBy) facts.push(['最后修改人', r.updatedBy]);
  if (r.submittedBy) facts.push(['提交审核', r.submittedBy]);
  const body = [];
  if (r.comment) body.push(message('warn', '审核意见（退回修改）：' + r.comment));
  if (c) {
    const changes = diffVersions(e, c.proposed);
    body.push(changes.length === 0
      ? message('info', '与已发布版本相比没有字段变化')
      : [h('p', { class: 'muted' }, '与已发布版本相比，共 ' + changes.length + ' 处变化：'), h('div', { class: 'table-wrap' }, changesTable(changes, '待审核的变更'))]);
  } else if (!e.publishDate) {
    body.push(message('info', '本目录尚未发布，没有已发布版本可比较；其登记与修改的差异见“历史记录”。'));
  }
  return h('section', { class: 'card card--pending', id: 'sec-pending', 'aria-labelledby': 'sec-pending-title' },
    h('h2', { id: 'sec-pending-title' }, c ? '未完成的变更' : '未发布的版本'),
    h('p', { class: 'pending__state' }, head.join('')),
    facts.length > 0 ? h('dl', { class: 'facts facts--compact' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])) : null,
    body);
}

// historyList shows each version: when, what, by whom, the status it left, its note and its
// field-level differences (old → new).
export function historyList(history, vocab) {
  if (history.length === 0) return message('info', '暂无历史记录');
  return h('ol', { class: 'history' }, history.map((x) => {
    const changes = historyChanges(x, vocab);
    return h('li', { class: 'history__item', dataset: { action: x.action, index: x.index } },
      h('div', { class: 'history__head' },
        h('span', { class: 'history__action' }, x.actionName),
        h('span', { class: 'muted' }, formatTime(x.at)),
        h('span', null, '操作人：' + dash(x.actor && (x.actor.name || x.actor.id))),
        x.statusName ? h('span', { class: 'badge badge--plain' }, x.statusName) : null,
        h('span', { class: 'muted' }, '版本 ' + x.index)),
      x.note ? h('p', { class: 'history__note' }, '说明：' + x.note) : null,
      changes.length > 0 ? h('div', { class: 'table-wrap' }, changesTable(changes, x.actionName + '的变化')) : null);
  }));
}
