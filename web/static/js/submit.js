// 数据报送: /ui/submit?entry=<resource code>. Choose an entry, upload a CSV or xlsx file to
// POST /api/v1/entries/{code}/submissions (with the district, for an account that reports for
// several), follow the load (the upload's own progress, then GET /api/v1/runs/{run}/progress
// of the run the upload began, which GET /api/v1/submissions/{request}/run names by the request
// id the upload was sent with), then the outcome with its rejected rows.

import { ready } from './layout.js';
import { gql } from './api.js';
import { h, byId, replace, table, message, dash, formatNumber } from './dom.js';
import { viewer, codeLists } from './account.js';
import { search } from './directory-search.js';
import { getJSON, upload, refusal, saveBlob } from './rest.js';
import { control, select, refusalBlock } from './forms.js';
import { resultView, rejectsOf } from './submit-result.js';

const root = byId('submit-page');

const entryQuery = `query($c: String!) { entry(code: $c) { resourceCode name status statusName sourceKindName departmentName
  districtName writeModeName secret transform items { name field typeName required isKey codeListName } runs { id } } }`;
const runsQuery = `query($c: String!) { entry(code: $c) { runs { id kind status startedAt finishedAt rowsRead rowsAccepted rowsRejected error } } }`;

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

function chooser(onChoose) {
  const input = h('input', { type: 'search', id: 'entry-search', placeholder: '目录名称、代码或信息项' });
  const results = h('div', { id: 'entry-results', class: 'table-wrap' });
  const form = h('form', { class: 'search-bar', role: 'search' }, h('label', { for: 'entry-search' }, '查找目录'), input,
    h('button', { type: 'submit', class: 'button button--primary' }, '查找'));
  const run = async () => {
    replace(results, message('info', '正在查找…'));
    try {
      const text = input.value.trim();
      const res = await search({ text, filters: { status: ['PUBLISHED'] } }, 20);
      if (res.hits.length === 0) { replace(results, message('info', '没有符合条件的已发布目录' + (text ? '（搜索“' + text + '”）' : ''))); return; }
      replace(results, h('p', { class: 'results__count' }, '共 ' + res.total + ' 条已发布目录' + (text ? '，搜索“' + text + '”' : '') +
        (res.total > res.hits.length ? '，列出前 ' + res.hits.length + ' 条' : '')), table([
        { title: '信息资源代码', class: 'mono nowrap', cell: (e) => e.resourceCode },
        { title: '信息资源名称', cell: (e) => e.name },
        { title: '责任处室', cell: (e) => dash(e.departmentName) },
        { title: '更新周期', cell: (e) => dash(e.updateCycleName) },
        { title: '', cell: (e) => h('button', { type: 'button', class: 'button button--small', dataset: { choose: e.resourceCode }, onclick: () => onChoose(e.resourceCode) }, '选择') },
      ], res.hits.map((x) => x.entry), '可报送的目录'));
    } catch (err) {
      replace(results, message('error', '查找失败：' + err.message));
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  run();
  return h('section', { class: 'card', id: 'entry-chooser', 'aria-labelledby': 'chooser-title' }, h('h2', { id: 'chooser-title' }, '选择目录'), form, results);
}

// districtControl offers the districts the account reports for: none to choose for an account
// of one district, its own for one of several, any (or none, city-wide) for a steward.
function districtControl(v, lists) {
  if (v.districts.length === 1) {
    return { el: h('p', { class: 'field' }, h('span', { class: 'field__label' }, '报送区县'), v.districtNames[0] + '（本账号所属区县）'), read: () => '' };
  }
  const codes = v.districts.length > 1 ? v.districts.map((c, i) => ({ code: c, name: v.districtNames[i] })) : lists.districts.codes;
  const sel = select(codes, '', v.districts.length > 1 ? '请选择区县' : '不指定（可含各区县的行）', { id: 'submit-district', name: 'district' });
  return { el: control('报送区县', sel, { key: 'district', required: v.districts.length > 1,
    hint: v.districts.length > 1 ? '本账号可为多个区县报送，请选择本文件所属区县' : '指定区县时，文件中只能有该区县的行' }), read: () => sel.value };
}

function template(e) {
  const csv = '\uFEFF' + e.items.map((it) => '"' + it.name.replace(/"/g, '""') + '"').join(',') + '\r\n';
  saveBlob(new Blob([csv], { type: 'text/csv;charset=utf-8' }), e.resourceCode.replace('/', '-') + '-模板.csv');
}

// requestID is a new id for an upload's request (X-Request-ID), by which the page asks the
// service which run the upload began.
function requestID() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return 'upload-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// begunRun is the id of the run the upload sent with request began, '' while none has begun.
async function begunRun(request) {
  const r = await getJSON('/api/v1/submissions/' + encodeURIComponent(request) + '/run').catch(() => null);
  return (r && r.run) || '';
}

async function follow(request, state, show) {
  let run = '';
  while (!state.done && !run) {
    run = await begunRun(request);
    if (!run) await pause(200);
  }
  while (!state.done && run) {
    const p = await getJSON('/api/v1/runs/' + encodeURIComponent(run) + '/progress').catch(() => null);
    if (!p || !p.running) return;
    show(p);
    await pause(300);
  }
}

function uploadCard(e, v, lists) {
  const district = districtControl(v, lists);
  const file = h('input', { type: 'file', id: 'submit-file', accept: '.csv,.txt,.tsv,.xlsx', required: true });
  const sheet = h('input', { type: 'text', id: 'submit-sheet', placeholder: '如 5月' });
  const replaceBox = h('input', { type: 'checkbox', id: 'submit-replace' });
  const button = h('button', { type: 'submit', class: 'button button--primary', id: 'upload' }, '上传并校验');
  const bar = h('progress', { id: 'progress-bar', max: 100, value: 0 });
  const text = h('p', { id: 'progress-text', class: 'muted' });
  const progress = h('div', { id: 'upload-progress', class: 'upload-progress', hidden: true, 'aria-live': 'polite' }, bar, text);
  const out = h('div', { id: 'result-box' });
  const form = h('form', { class: 'form-grid', id: 'submit-form', novalidate: true },
    district.el,
    control('报送文件（CSV 或 xlsx）', file, { key: 'file', required: true, hint: 'CSV 可为 UTF-8 或 GB18030 编码；表头可在前 11 行内，其上的标题行不读取' }),
    control('工作表（xlsx，可不填）', sheet, { key: 'sheet', hint: '工作簿只有一个工作表时可不填' }),
    control('以本文件替换已有数据', replaceBox, { key: 'replace', hint: v.districts.length > 0
      ? '替换本区县本文件所报时段的行，其他区县的行不变'
      : '指定区县时替换该区县的行；不指定区县时替换整个数据表' }),
    h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!file.files || file.files.length === 0) { replace(out, message('error', '请选择要上传的文件')); return; }
    const d = district.read();
    if (v.districts.length > 1 && !d) { replace(out, message('error', '请选择报送区县')); return; }
    const fd = new FormData();
    fd.append('file', file.files[0]);
    if (d) fd.append('district', d);
    if (sheet.value.trim()) fd.append('sheet', sheet.value.trim());
    if (replaceBox.checked) fd.append('replace', 'true');
    button.disabled = true;
    replace(out);
    progress.hidden = false;
    bar.value = 0;
    text.textContent = '正在上传…';
    const request = requestID();
    const state = { done: false };
    let following = null;
    try {
      const res = await upload('/api/v1/entries/' + encodeURIComponent(e.resourceCode) + '/submissions', fd, (share) => {
        bar.value = Math.round(share * 100);
        text.textContent = share < 1 ? '正在上传 ' + Math.round(share * 100) + '%' : '上传完成，正在逐行校验入库…';
        if (share >= 1 && !following) {
          bar.removeAttribute('value');
          following = follow(request, state, (p) => {
            if (p.percent !== undefined) bar.value = Math.round(p.percent); else bar.removeAttribute('value');
            text.textContent = '正在校验入库：已读取 ' + formatNumber(p.rowsRead) + ' 行，接收 ' + formatNumber(p.rowsAccepted) + ' 行，拒收 ' +
              formatNumber(p.rowsRejected) + ' 行' + (p.rowsPerSecond ? '，每秒 ' + formatNumber(Math.round(p.rowsPerSecond)) + ' 行' : '') +
              (p.percent !== undefined ? '（文件已读 ' + Math.round(p.percent) + '%）' : '');
          });
        }
      }, { 'X-Request-ID': request });
      state.done = true;
      progress.hidden = true;
      if (res.body && res.body.run) {
        replace(out, resultView(res.body.run, res.body, res.body.rejects, e.resourceCode));
        return;
      }
      // A refusal: the run the upload began, if it began one, failed; otherwise nothing began.
      const err = refusal(res.status, res.body);
      const id = await begunRun(request);
      const run = id && (await gql(runsQuery, { c: e.resourceCode })).entry.runs.find((r) => r.id === id);
      if (!run) { replace(out, refusalBlock(err, '报送未被受理：')); return; }
      replace(out, resultView(run, { error: err.message }, await rejectsOf(run.id), e.resourceCode));
    } catch (err) {
      state.done = true;
      progress.hidden = true;
      replace(out, message('error', err.message));
    } finally {
      button.disabled = false;
      out.scrollIntoView({ block: 'nearest' });
    }
  });
  return h('section', { class: 'card', id: 'upload-card', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, '报送到：', h('a', { href: '/ui/entry?code=' + encodeURIComponent(e.resourceCode) }, e.name), ' ', h('span', { class: 'mono muted' }, e.resourceCode)),
    h('p', { class: 'muted' }, [e.departmentName, e.sourceKindName, '写入方式：' + e.writeModeName].filter(Boolean).join(' · ')),
    h('div', { class: 'expected-headers' }, h('span', { class: 'field__label' }, '文件表头（信息项名称，* 为必填）：'),
      h('ul', { class: 'chips', id: 'expected-headers' }, e.items.map((it) => h('li', { class: 'chip', title: it.field + ' · ' + dash(it.typeName) + (it.codeListName ? ' · 代码表：' + it.codeListName : '') },
        it.name + (it.required ? ' *' : '')))),
      h('button', { type: 'button', class: 'link-button', onclick: () => template(e) }, '下载表头模板（CSV）')),
    form, progress, out);
}

async function show(code, v, lists) {
  const box = h('div', null, message('info', '正在加载目录 ' + code + '…'));
  replace(root, h('p', null, h('button', { type: 'button', class: 'link-button', onclick: () => choose('') }, '← 选择其他目录')), box);
  try {
    const d = await gql(entryQuery, { c: code });
    const e = d.entry;
    if (!e) { replace(box, message('error', '目录 ' + code + ' 不存在或无权查看')); return; }
    if (e.status !== 'PUBLISHED' || e.secret || e.transform) {
      replace(box, message('warn', '目录 ' + code + '（' + e.name + '）' + (e.transform ? '由其他目录加工生成，不接受报送' : '为' + e.statusName + (e.secret ? '的涉密目录' : '') + '，不接受报送')));
      return;
    }
    document.title = '报送 ' + e.name + ' - 重庆市生态环境数据资源一本账';
    replace(box, uploadCard(e, v, lists));
  } catch (err) {
    replace(box, message('error', '加载失败：' + err.message));
  }
}

let ctx = null;

function choose(code) {
  history.replaceState(null, '', '/ui/submit' + (code ? '?entry=' + encodeURIComponent(code) : ''));
  if (code) show(code, ctx.v, ctx.lists); else replace(root, chooser(choose));
}

async function main() {
  try {
    const [v, lists] = await Promise.all([viewer(), codeLists()]);
    if (!['admin', 'steward', 'district'].includes(v.role)) {
      replace(root, message('info', '本账号（' + v.roleName + '）不报送数据：数据由数据管理员或区县生态环境局报送。'));
      return;
    }
    ctx = { v, lists };
    choose(new URLSearchParams(location.search).get('entry') || '');
  } catch (err) {
    replace(root, message('error', '加载失败：' + err.message));
  }
}

if (ready) main();
