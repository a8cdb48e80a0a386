// The data of an entry on its detail page: its snapshots with the profile of the current one and
// of a chosen one (GET /api/v1/entries/{code}/profile?snapshot=), and its load runs with their
// counts, error and the download of their rejected rows (GET /api/v1/runs/{run}/rejects).

import { h, replace, table, dash, message, formatTime, formatNumber, formatBytes } from './dom.js';
import { getJSON, download } from './rest.js';
import { runStatusNames, runKindNames } from './entry-query.js';
import { nameIn } from './account.js';

const runStatusClass = { SUCCEEDED: 'ok', PARTIAL: 'warn', FAILED: 'stop', RUNNING: 'plain' };

// runStatus shows a run's status as a badge.
export function runStatus(status) {
  return h('span', { class: 'badge badge--' + (runStatusClass[status] || 'plain') }, runStatusNames[status] || status);
}

// rejectsButton downloads the rejected rows of run id as CSV with the session's token; what the
// service refuses is said beside it.
export function rejectsButton(id, label) {
  const out = h('span', { class: 'inline-message', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'button button--small', dataset: { rejects: id },
    onclick: async () => {
      button.disabled = true;
      out.textContent = '';
      try {
        await download('/api/v1/runs/' + encodeURIComponent(id) + '/rejects', 'rejects-' + id + '.csv');
        out.textContent = '已下载';
      } catch (e) {
        out.textContent = '下载失败：' + e.message;
        out.className = 'inline-message inline-message--error';
      } finally {
        button.disabled = false;
      }
    } }, label || '下载拒收行');
  return h('span', { class: 'nowrap' }, button, ' ', out);
}

export function runsTable(runs) {
  if (runs.length === 0) return message('info', '暂无归集批次');
  return table([
    { title: '批次', class: 'mono', cell: (r) => r.id },
    { title: '方式', cell: (r) => runKindNames[r.kind] || dash(r.kind) },
    { title: '状态', class: 'nowrap', cell: (r) => runStatus(r.status) },
    { title: '开始', class: 'nowrap', cell: (r) => formatTime(r.startedAt) },
    { title: '结束', class: 'nowrap', cell: (r) => formatTime(r.finishedAt) },
    { title: '读取', class: 'num', cell: (r) => formatNumber(r.rowsRead) },
    { title: '接收', class: 'num', cell: (r) => formatNumber(r.rowsAccepted) },
    { title: '拒收', class: 'num', cell: (r) => formatNumber(r.rowsRejected) },
    { title: '错误', cell: (r) => dash(r.error) },
    { title: '拒收行', cell: (r) => (Number(r.rowsRejected) > 0 ? rejectsButton(r.id) : '—') },
  ], runs, '归集批次');
}

// snapshotsBlock is the snapshots table and the profiles under it: the current snapshot's, and
// the one chosen with 查看概况 beside it for comparison.
export function snapshotsBlock(e, vocab) {
  if (e.snapshots.length === 0) return message('info', '尚无快照：本目录还没有归集数据');
  const chosenBox = h('div', { id: 'profile-chosen', class: 'profile' });
  const currentBox = h('div', { id: 'profile-current', class: 'profile' });
  let current = null;
  const choose = async (id) => {
    replace(chosenBox, message('info', '正在读取快照 ' + id + ' 的数据概况…'));
    try {
      const p = await getJSON(profilePath(e.resourceCode, id));
      replace(chosenBox, profileView(p, '所选快照 ' + id, id === e.currentSnapshot ? null : current, vocab));
      chosenBox.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      replace(chosenBox, message('error', '快照 ' + id + ' 的数据概况：' + err.message));
    }
  };
  const snapTable = table([
    { title: '快照', class: 'mono', cell: (s) => [s.id, s.id === e.currentSnapshot ? h('span', { class: 'badge badge--ok' }, '当前') : null] },
    { title: '提交时间', class: 'nowrap', cell: (s) => formatTime(s.committedAt) },
    { title: '行数', class: 'num', cell: (s) => formatNumber(s.rows) },
    { title: '文件', class: 'num', cell: (s) => formatNumber(s.files) },
    { title: '大小', class: 'num', cell: (s) => formatBytes(s.bytes) },
    { title: '归集批次', class: 'mono', cell: (s) => dash(s.run) },
    { title: '数据概况', cell: (s) => (s.id === e.currentSnapshot ? h('span', { class: 'muted' }, '见下方')
      : h('button', { type: 'button', class: 'button button--small', dataset: { profile: s.id }, onclick: () => choose(s.id) }, '查看概况')) },
  ], e.snapshots, '快照');
  if (e.currentSnapshot) {
    replace(currentBox, message('info', '正在读取当前快照的数据概况…'));
    getJSON(profilePath(e.resourceCode, '')).then((p) => {
      current = p;
      replace(currentBox, profileView(p, '当前快照 ' + p.snapshot, null, vocab));
    }).catch((err) => replace(currentBox, message('warn', '数据概况：' + err.message)));
  }
  return [h('div', { class: 'table-wrap' }, snapTable), currentBox, chosenBox];
}

function profilePath(code, snapshot) {
  return '/api/v1/entries/' + encodeURIComponent(code) + '/profile' + (snapshot ? '?snapshot=' + encodeURIComponent(snapshot) : '');
}

function topValues(it) {
  if (it.masked) return h('span', { class: 'badge badge--warn' }, '个人信息，不显示取值');
  if (!it.top || it.top.length === 0) return '—';
  return h('ul', { class: 'top-values' }, it.top.slice(0, 5).map((t) => h('li', null, (t.name ? t.name + '（' + t.value + '）' : t.value), ' ', h('span', { class: 'count' }, '× ' + formatNumber(t.count)))));
}

// profileView shows a snapshot's profile: its rows and per item its nulls, distinct values,
// range and most frequent codes; against base (another profile) the figures that differ are
// marked.
export function profileView(p, title, base, vocab) {
  const byField = new Map(((base && base.items) || []).map((it) => [it.field, it]));
  const mark = (it, key, text) => {
    const b = byField.get(it.field);
    const changed = base && b && String(b[key] ?? '') !== String(it[key] ?? '');
    return changed ? h('span', { class: 'changed', title: '当前快照：' + dash(b[key]) }, text) : text;
  };
  const head = h('h3', { class: 'profile__title' }, '数据概况 · ' + title, ' ',
    h('span', { class: 'muted' }, '共 ' + formatNumber(p.rows) + ' 行，提交于 ' + formatTime(p.committedAt)));
  if (!p.profiled) return [head, message('info', p.note || '该快照没有数据概况')];
  return [head, p.note ? message('warn', p.note) : null, base ? h('p', { class: 'muted' }, '与当前快照不同的数值以下划线标出。') : null,
    h('div', { class: 'table-wrap' }, table([
      { title: '信息项', cell: (it) => it.name },
      { title: '字段', class: 'mono', cell: (it) => it.field },
      { title: '类型', cell: (it) => (vocab ? nameIn(vocab.data_types, it.type) : it.type) },
      { title: '行数', class: 'num', cell: (it) => mark(it, 'rows', formatNumber(it.rows)) },
      { title: '空值', class: 'num', cell: (it) => mark(it, 'nulls', formatNumber(it.nulls)) },
      { title: '不同值（约）', class: 'num', cell: (it) => mark(it, 'distinct', formatNumber(it.distinct)) },
      { title: '最小值', cell: (it) => mark(it, 'min', dash(it.min)) },
      { title: '最大值', cell: (it) => mark(it, 'max', dash(it.max)) },
      { title: '常见值', cell: topValues },
    ], p.items, title + '的数据概况'))];
}
