// The login page: a token is checked against the service before it is kept for the session.

import './layout.js';
import { setToken, clearToken, takeNotice, safeNext } from './session.js';
import { checkToken } from './api.js';
import { byId } from './dom.js';

const form = byId('login-form');
const input = byId('token');
const msg = byId('login-message');
const submit = byId('login-submit');

function show(text, kind) {
  msg.textContent = text;
  msg.className = 'message message--' + kind;
  msg.hidden = text === '';
}

const notice = takeNotice();
if (notice) show(notice, 'warn');
input.focus();

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const t = input.value.trim();
  if (t === '') {
    show('请输入访问令牌', 'error');
    input.focus();
    return;
  }
  submit.disabled = true;
  show('正在验证令牌…', 'info');
  const refusal = await checkToken(t);
  submit.disabled = false;
  if (refusal) {
    clearToken();
    show(refusal, 'error');
    input.select();
    return;
  }
  setToken(t);
  input.value = '';
  location.assign(safeNext(new URLSearchParams(location.search).get('next')));
});
