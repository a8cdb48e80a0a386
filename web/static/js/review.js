// 待我审核: the versions waiting for review that this account may review (GraphQL
// pendingReview), oldest first. Each opens in place with its differences from the published
// version and the steps approve and send back (entry-workflow.js).

import { ready } from './layout.js';
import { gql } from './api.js';
import { h, byId, replace, message, formatTime, dash } from './dom.js';
import { gradeBadge } from './badges.js';
import { viewer } from './account.js';
import { loadEntry } from './entry-query.js';
import { pendingBlock } from './entry-history.js';
import { stepButtons } from './entry-workflow.js';

const list = byId('review-list');
const status = byId('review-status');

const pendingQuery = `{ pendingReview(first: 200) { resourceCode name departmentName grade { id name rank } status statusName
  publishDate updatedAt review { submittedBy updatedBy editors } changeRequest { kind kindName status reason review { submittedBy } } } }`;

// kindOf names what is under review: a change of a published entry, a new entry, a restored one.
function kindOf(e) {
  if (e.changeRequest) return e.changeRequest.kindName + '申请';
  return e.publishDate ? '恢复发布' : '新登记';
}

function item(e, v) {
  const detail = h('div', { class: 'review-item__detail' });
  const open = h('button', { type: 'button', class: 'button', 'aria-expanded': 'false', dataset: { open: e.resourceCode } }, '查看差异并审核');
  const article = h('article', { class: 'review-item', dataset: { code: e.resourceCode } },
    h('div', { class: 'review-item__head' },
      h('div', null,
        h('p', { class: 'review-item__title' },
          h('a', { href: '/ui/entry?code=' + encodeURIComponent(e.resourceCode), class: 'entry-name' }, e.name), ' ',
          h('span', { class: 'mono muted' }, e.resourceCode)),
        h('p', { class: 'review-item__meta' },
          h('span', { class: 'badge badge--warn' }, kindOf(e)), ' ', gradeBadge(e.grade), ' ',
          dash(e.departmentName), ' · 提交人 ', dash((e.changeRequest && e.changeRequest.review.submittedBy) || e.review.submittedBy), ' · 最后修改 ', formatTime(e.updatedAt),
          e.changeRequest && e.changeRequest.reason ? ' · 原因：' + e.changeRequest.reason : '')),
      open),
    detail);
  open.addEventListener('click', async () => {
    if (open.getAttribute('aria-expanded') === 'true') {
      open.setAttribute('aria-expanded', 'false');
      open.textContent = '查看差异并审核';
      replace(detail);
      return;
    }
    open.setAttribute('aria-expanded', 'true');
    open.textContent = '收起';
    replace(detail, message('info', '正在加载差异…'));
    try {
      const full = await loadEntry(e.resourceCode);
      if (!full) {
        replace(detail, message('error', '目录 ' + e.resourceCode + ' 不存在或无权查看'));
        return;
      }
      replace(detail, pendingBlock(full), stepButtons(full, v, (step, done) => {
        article.remove();
        replace(status, message('info', e.name + '（' + e.resourceCode + '）' + done));
        if (!list.querySelector('.review-item')) replace(list, message('info', '没有待审核的目录'));
      }));
    } catch (err) {
      replace(detail, message('error', '加载失败：' + err.message));
    }
  });
  return article;
}

async function main() {
  try {
    const v = await viewer();
    if (!v.reviewsDirectory) {
      replace(list, message('info', '本账号（' + v.roleName + '）不审核目录：目录的登记与变更由审核员或系统管理员审核。' +
        (v.editsDirectory ? '本账号提交的目录可在其详情页查看审核状态。' : '')));
      return;
    }
    const data = await gql(pendingQuery);
    const rows = data.pendingReview;
    if (rows.length === 0) {
      replace(list, message('info', '没有待审核的目录'));
      return;
    }
    replace(list, h('p', { class: 'results__count', id: 'review-count' }, '共 ' + rows.length + ' 项待审核'),
      rows.map((e) => item(e, v)));
  } catch (err) {
    replace(list, message('error', '加载失败：' + err.message));
  }
}

if (ready) main();
