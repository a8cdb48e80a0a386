// Small DOM helpers. Text always goes in as text (textContent), never as HTML, so nothing a
// directory entry holds can become markup.

// h builds an element: h('a', {href: '/x', class: 'y'}, 'text', child, [more]).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// replace empties el and fills it with children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function byId(id) {
  return document.getElementById(id);
}

// table builds a table from column definitions {title, cell(row) -> node|text, class?}.
export function table(columns, rows, caption) {
  return h('table', { class: 'data-table' },
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.title)))),
    h('tbody', null, rows.map((r) => h('tr', null, columns.map((c) => h('td', { class: c.class }, c.cell(r)))))));
}

// dash shows an empty value as a dash.
export function dash(v) {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

// message is a notice block: kind is 'error', 'info' or 'warn'.
export function message(kind, text) {
  return h('p', { class: 'message message--' + kind, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// formatTime shows an RFC 3339 time in Beijing time, to the minute.
export function formatTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (isNaN(d.getTime())) return s;
  return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false,
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

// formatNumber groups digits the Chinese way of writing large counts (1,234,567).
export function formatNumber(n) {
  if (n === null || n === undefined || n === '') return '—';
  const x = Number(n);
  return isNaN(x) ? String(n) : x.toLocaleString('zh-CN');
}

// formatBytes shows a size in B, KB, MB or GB.
export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let x = Number(n);
  let i = 0;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return (i === 0 ? x : x.toFixed(1)) + ' ' + units[i];
}
