// The REST doors of /api/v1 as the pages use them: JSON answers, file downloads and uploads,
// always with the session's token. A download cannot be a plain link (a link carries no
// Authorization header): the file is fetched with the token and handed to the browser as a blob.

import { authHeaders, ApiError, sessionEnded } from './api.js';
import { h } from './dom.js';

// errorOf turns a refused answer's body ({error, code, problems}) into an ApiError.
function errorOf(status, body) {
  const msg = (body && body.error) || '请求失败 (HTTP ' + status + ')';
  return new ApiError(msg, status, body && body.code, body && body.problems);
}

async function readJSON(resp) {
  try {
    return await resp.json();
  } catch (e) {
    return null;
  }
}

// getJSON answers the decoded body of a GET; a refusal is thrown as an ApiError.
export async function getJSON(path, signal) {
  let resp;
  try {
    resp = await fetch(path, { headers: authHeaders({ Accept: 'application/json' }), credentials: 'omit', signal });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError('无法连接服务，请检查网络后重试', 0);
  }
  const body = await readJSON(resp);
  if (resp.status === 401) sessionEnded(body);
  if (!resp.ok) throw errorOf(resp.status, body);
  return body;
}

// download fetches path with the token and saves it as filename; the service's refusal is
// thrown as an ApiError.
export async function download(path, filename) {
  let resp;
  try {
    resp = await fetch(path, { headers: authHeaders(), credentials: 'omit' });
  } catch (e) {
    throw new ApiError('无法连接服务，请检查网络后重试', 0);
  }
  if (!resp.ok) {
    const body = await readJSON(resp);
    if (resp.status === 401) sessionEnded(body);
    throw errorOf(resp.status, body);
  }
  saveBlob(await resp.blob(), filename);
}

// saveBlob hands a blob to the browser as a file download.
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// upload posts a multipart form and answers {status, body} whatever the status (a submission
// with rejected rows is an answer, not a failure). onProgress gets the share of the request
// body sent so far, 0 to 1; XMLHttpRequest, because fetch reports no upload progress.
export function upload(path, form, onProgress, headers = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [k, v] of Object.entries(authHeaders({ Accept: 'application/json', ...headers }))) xhr.setRequestHeader(k, v);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (ev) => {
      if (ev.lengthComputable && onProgress) onProgress(ev.loaded / ev.total);
    });
    xhr.upload.addEventListener('load', () => { if (onProgress) onProgress(1); });
    xhr.addEventListener('load', () => {
      const body = xhr.response;
      if (xhr.status === 401) sessionEnded(body);
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener('error', () => reject(new ApiError('无法连接服务，上传中断，请检查网络后重试', 0)));
    xhr.addEventListener('abort', () => reject(new ApiError('上传已取消', 0)));
    xhr.send(form);
  });
}

// refusal is the ApiError of an upload's refused answer.
export function refusal(status, body) {
  return errorOf(status, body);
}
