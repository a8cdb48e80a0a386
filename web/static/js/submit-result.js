// The outcome of a submission: rows read, accepted and rejected, the rejected rows' problems
// (row, column, value, reason) and the download of all of them. The answer of the submission
// door holds the first problems; when it is a refusal that names no run (a file with too many
// invalid rows loads nothing, and the door answers with the error alone), the run is found
// among the entry's runs and its problems are read from its rejected-rows file.

import { h, table, message, formatNumber, dash } from './dom.js';
import { rejectsButton, runStatus } from './entry-data.js';
import { authHeaders } from './api.js';

// maxShown bounds the problems listed on the page; all of them are in the downloaded file.
const maxShown = 100;

// parseCSV reads RFC 4180 CSV text into rows of fields.
export function parseCSV(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

// rejectsOf reads the first problems of run id from its rejected-rows file (行号, 列, 字段, 值, 原因).
export async function rejectsOf(id) {
  const resp = await fetch('/api/v1/runs/' + encodeURIComponent(id) + '/rejects', { headers: authHeaders(), credentials: 'omit' });
  if (!resp.ok) return null;
  const rows = parseCSV((await resp.text()).replace(/^\uFEFF/, ''));
  return rows.slice(1, maxShown + 1).filter((r) => r.length >= 5)
    .map((r) => ({ row: Number(r[0]), column: r[1], field: r[2], value: r[3], reason: r[4] }));
}

function counts(run) {
  const cell = (label, n, cls) => h('div', { class: 'count-card' + (cls ? ' count-card--' + cls : '') },
    h('span', { class: 'count-card__label' }, label), h('span', { class: 'count-card__value' }, formatNumber(n)));
  return h('div', { class: 'count-cards', id: 'result-counts' },
    cell('读取行数', run.rowsRead), cell('接收行数', run.rowsAccepted, 'ok'), cell('拒收行数', run.rowsRejected, Number(run.rowsRejected) > 0 ? 'stop' : ''));
}

function headline(run, body) {
  if (body && body.duplicate) return message('info', '重复报送：该文件此前已入库，本次未重复入库');
  switch (run.status) {
    case 'SUCCEEDED': return message('info', '报送成功：' + formatNumber(run.rowsAccepted) + ' 行已入库');
    case 'PARTIAL': return message('warn', '部分入库：' + formatNumber(run.rowsAccepted) + ' 行已入库，' + formatNumber(run.rowsRejected) + ' 行被拒收，请下载拒收行修改后重新报送');
    default: return message('error', '报送未入库：' + (run.error || (body && body.error) || '未能入库'));
  }
}

function rejectsTable(rejects, total) {
  if (rejects.length === 0) return null;
  return [
    h('h3', null, '拒收的行'),
    Number(total) > rejects.length ? h('p', { class: 'muted' }, '共 ' + formatNumber(total) + ' 行被拒收，下表列出前 ' + rejects.length + ' 条；全部拒收行请下载。') : null,
    h('div', { class: 'table-wrap' }, table([
      { title: '行号', class: 'num', cell: (r) => r.row },
      { title: '列', cell: (r) => dash(r.column) },
      { title: '值', class: 'mono', cell: (r) => dash(r.value) },
      { title: '问题', cell: (r) => r.reason },
    ], rejects, '拒收的行及其问题')),
  ];
}

// resultView shows a run's outcome. body is the submission door's answer when it described
// the run; rejects its problems.
export function resultView(run, body, rejects, entryCode) {
  const proposals = (body && body.piProposals) || [];
  return h('div', { class: 'submit-result', id: 'submit-result', dataset: { run: run.id, status: run.status } },
    headline(run, body),
    h('p', { class: 'result-run' }, '批次 ', h('span', { class: 'mono' }, run.id), ' ', runStatus(run.status),
      run.districtName ? ' · 报送区县：' + run.districtName : ''),
    counts(run),
    body && body.summary ? h('details', { class: 'result-summary' }, h('summary', null, '校验说明'), h('pre', { class: 'code' }, body.summary)) : null,
    proposals.length > 0 ? message('warn', '个人信息建议：' + proposals.map((p) => p.name + ' 疑似' + p.piTypeName + '（' + p.matched + '/' + p.sampled + '），建议分级' + p.gradeName).join('；') + '。请数据管理员在目录中确认。') : null,
    Number(run.rowsRejected) > 0 ? h('p', { class: 'actions' }, rejectsButton(run.id, '下载全部拒收行（CSV）')) : null,
    rejectsTable(rejects || [], run.rowsRejected),
    h('p', null, h('a', { href: '/ui/entry?code=' + encodeURIComponent(entryCode) + '#sec-runs' }, '在目录详情中查看全部归集批次')));
}
