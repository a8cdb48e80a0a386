// The GraphiQL page: GraphiQL (vendored UMD build on React 18) against /graphql. The fetcher
// adds the session's token to each request itself, so the token never enters GraphiQL's state:
// its headers editor is off, and what it keeps (tabs, history) goes to this tab's
// sessionStorage under its own namespace, never to localStorage.

import { ready } from './layout.js';
import { postGraphQL } from './api.js';
import { byId, replace, message } from './dom.js';
import { localize } from './graphiql-zh.js';

const namespace = 'graphiql.';

// sessionStore is the Storage GraphiQL is given: sessionStorage, its keys under namespace, so
// that clearing GraphiQL's storage clears only its own keys.
const sessionStore = {
  getItem: (k) => sessionStorage.getItem(namespace + k),
  setItem: (k, v) => sessionStorage.setItem(namespace + k, v),
  removeItem: (k) => sessionStorage.removeItem(namespace + k),
  get length() {
    let n = 0;
    for (let i = 0; i < sessionStorage.length; i++) {
      if ((sessionStorage.key(i) || '').startsWith(namespace)) n++;
    }
    return n;
  },
  clear() {
    const mine = [];
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i) || '';
      if (k.startsWith(namespace)) mine.push(k);
    }
    mine.forEach((k) => sessionStorage.removeItem(k));
  },
};

const defaultQuery = `# 在此编写 GraphQL 查询；查询以当前登录账号的权限执行。
# 按 Ctrl+Enter 运行，Ctrl+Space 补全；左侧“文档”列出本账号可查询的字段。
{
  search(text: "空气", first: 5) {
    total
    hits { entry { resourceCode name grade { name } } }
  }
}
`;

async function fetcher(params) {
  const { json } = await postGraphQL(params);
  return json;
}

function mount() {
  const host = byId('graphiql');
  if (!window.GraphiQL || !window.React || !window.ReactDOM) {
    replace(host, message('error', 'GraphiQL 加载失败，请刷新页面重试'));
    return;
  }
  // GraphiQL's dialogs mark the style element they add with this nonce, which the page's
  // policy allows for this response only.
  window.__webpack_nonce__ = host.dataset.styleNonce;
  localize(host);
  const root = window.ReactDOM.createRoot(host);
  root.render(window.React.createElement(window.GraphiQL, {
    fetcher,
    storage: sessionStore,
    defaultQuery,
    isHeadersEditorEnabled: false,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'variables',
  }));
}

if (ready) mount();
