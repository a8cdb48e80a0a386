// The governed doors, as the pages use them: GraphQL and the REST routes, always with the
// session's token, so the UI sees only what the catalogue lets this account see.

import { token, clearToken, toLogin } from './session.js';

// ApiError is a refusal or failure, its message already Chinese and meant for the user;
// problems are a refused input's problems field by field ({field, message}), as GraphQL's
// extensions and the REST doors' bodies carry them.
export class ApiError extends Error {
  constructor(message, status, code, problems) {
    super(message);
    this.status = status;
    this.code = code || '';
    this.problems = problems || [];
  }
}

// authHeaders are the headers every request carries.
export function authHeaders(extra) {
  return Object.assign({ Authorization: 'Bearer ' + token() }, extra || {});
}

// postGraphQL sends one GraphQL request and answers its decoded JSON body, whatever the
// status; the fetcher of GraphiQL uses it as it is, the pages through gql.
export async function postGraphQL(body, signal) {
  let resp;
  try {
    resp = await fetch('/graphql', {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(body),
      credentials: 'omit',
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError('无法连接服务，请检查网络后重试', 0);
  }
  let json = null;
  try {
    json = await resp.json();
  } catch (e) {
    throw new ApiError('服务返回了无法解析的应答 (HTTP ' + resp.status + ')', resp.status);
  }
  if (resp.status === 401) {
    sessionEnded(json);
  }
  return { status: resp.status, json };
}

// gql runs a query and answers its data; any error becomes an ApiError with the service's
// first message.
export async function gql(query, variables, signal) {
  const { status, json } = await postGraphQL({ query, variables: variables || {} }, signal);
  const errs = (json && json.errors) || [];
  if (errs.length > 0) {
    const e = errs[0];
    const ext = e.extensions || {};
    throw new ApiError(e.message || '查询失败', status, ext.code, ext.problems);
  }
  if (status !== 200 || !json || !json.data) {
    throw new ApiError('查询失败 (HTTP ' + status + ')', status);
  }
  return json.data;
}

// checkToken asks the service whether t opens a session: the answer is '' when it does, else
// the refusal in Chinese.
export async function checkToken(t) {
  let resp;
  try {
    resp = await fetch('/graphql', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + t, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      credentials: 'omit',
    });
  } catch (e) {
    return '无法连接服务，请检查网络后重试';
  }
  if (resp.status === 200) return '';
  if (resp.status === 401) return '令牌无效或已停用，请核对后重新输入';
  return '登录失败 (HTTP ' + resp.status + ')，请稍后重试';
}

// sessionEnded leaves for the login page after a door refused the token (HTTP 401), with the
// service's reason: GraphQL's first error or a REST door's error.
export function sessionEnded(json) {
  clearToken();
  const msg = json && ((json.errors && json.errors[0] && json.errors[0].message) || json.error);
  toLogin('登录已失效' + (msg ? '：' + msg : '') + '，请重新登录');
}
