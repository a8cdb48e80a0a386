// The login session: the access token lives in this tab's sessionStorage only — never in a URL,
// a cookie or localStorage — and is sent by api.js as an Authorization header.

const tokenKey = 'ecolake.token';
const noticeKey = 'ecolake.notice';
const flashKey = 'ecolake.flash';
export const prefix = '/ui/';

export function token() {
  return sessionStorage.getItem(tokenKey) || '';
}

export function setToken(t) {
  sessionStorage.setItem(tokenKey, t);
}

export function clearToken() {
  sessionStorage.removeItem(tokenKey);
}

// notice keeps one message for the login page across a redirect (a session that ended).
export function setNotice(text) {
  sessionStorage.setItem(noticeKey, text);
}

export function takeNotice() {
  const n = sessionStorage.getItem(noticeKey);
  sessionStorage.removeItem(noticeKey);
  return n || '';
}

// flash keeps one message for the next page of this tab (a step done, then a reload).
export function setFlash(text) {
  sessionStorage.setItem(flashKey, text);
}

export function takeFlash() {
  const f = sessionStorage.getItem(flashKey);
  sessionStorage.removeItem(flashKey);
  return f || '';
}

// toLogin leaves for the login page, which returns here after logging in. The return address
// is a path of this UI only, so the login page never sends anyone elsewhere.
export function toLogin(notice) {
  if (notice) setNotice(notice);
  const here = location.pathname + location.search;
  location.assign(prefix + 'login?next=' + encodeURIComponent(here));
}

// requireLogin sends a visitor without a token to the login page; it returns whether one is set.
export function requireLogin() {
  if (token()) return true;
  toLogin('');
  return false;
}

// safeNext is the page to return to after login: a path under the UI, else the directory.
export function safeNext(raw) {
  if (typeof raw === 'string' && raw.startsWith(prefix) && !raw.startsWith('//') && !raw.includes('\\')) {
    return raw;
  }
  return prefix + 'directory';
}
