// Badges for the codes the pages show often: grade, sharing type, status.

import { h } from './dom.js';

// gradeBadge colours a grade by its rank: the higher the grade, the stronger the colour.
export function gradeBadge(grade) {
  if (!grade) return '—';
  const rank = Math.max(0, Math.min(6, Number(grade.rank) || 0));
  return h('span', { class: 'badge badge--grade-' + rank, title: '数据分级' }, grade.name);
}

const shareClass = { UNCONDITIONAL: 'ok', CONDITIONAL: 'warn', NOT_SHARED: 'stop' };

export function shareBadge(code, name) {
  if (!code) return '—';
  return h('span', { class: 'badge badge--' + (shareClass[code] || 'plain') }, name || code);
}

const statusClass = { PUBLISHED: 'ok', DRAFT: 'plain', PENDING_REVIEW: 'warn', RETIRED: 'stop' };

export function statusBadge(code, name) {
  if (!code) return '—';
  return h('span', { class: 'badge badge--' + (statusClass[code] || 'plain') }, name || code);
}
