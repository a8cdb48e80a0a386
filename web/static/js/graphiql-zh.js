// Simplified Chinese for GraphiQL's own labels. GraphiQL 3.9 (vendored unchanged) has no
// translations: this module watches the part of the page GraphiQL renders and replaces the text,
// aria-label, title and placeholder of its buttons, tabs, dialogs and the documentation explorer's
// headings by their Chinese, from the fixed list below (the strings of that version). Nothing
// inside the editors is touched — queries, variables and results stay as written — nor anything
// the schema names (types, fields), which are the service's identifiers.

// labels maps GraphiQL's English strings to Chinese. A label "Show X" or "Hide X" (a plugin's
// toggle) is 显示/隐藏 followed by X's Chinese.
export const labels = {
  'Execute query (Ctrl-Enter)': '执行查询（Ctrl+Enter）',
  'Stop query (Ctrl-Enter)': '停止查询（Ctrl+Enter）',
  'Execute query': '执行查询',
  'Execute': '执行',
  'Stop': '停止',
  'Prettify query (Shift-Ctrl-P)': '格式化查询（Shift+Ctrl+P）',
  'Prettify editors': '格式化编辑器',
  'Merge fragments into query (Shift-Ctrl-M)': '把片段合并进查询（Shift+Ctrl+M）',
  'Merge fragments definitions into operation definition': '把片段定义合并进操作定义',
  'Copy query (Shift-Ctrl-C)': '复制查询（Shift+Ctrl+C）',
  'Copy query': '复制查询',
  'Re-fetch GraphQL schema': '重新获取模式',
  'Re-fetch schema using introspection': '通过内省重新获取模式',
  'Open short keys dialog': '打开快捷键说明',
  'Open settings dialog': '打开设置',
  'Short Keys': '快捷键',
  'Short Key': '快捷键',
  'Function': '功能',
  'Search in editor': '在编辑器中查找',
  'Search in documentation': '在文档中查找',
  'Settings': '设置',
  'Theme': '主题',
  'Adjust how the interface appears.': '调整界面的外观。',
  'Light': '浅色',
  'Dark': '深色',
  'System': '跟随系统',
  'Clear storage': '清除本地保存',
  'Remove all locally stored data and start fresh.': '删除本页保存的全部数据，从头开始。',
  'Clear data': '清除数据',
  'Cleared data': '已清除数据',
  'Failed': '失败',
  'Close dialog': '关闭',
  'Add tab': '新建标签页',
  'Close Tab': '关闭标签页',
  'Query Editor': '查询编辑器',
  'Result Window': '结果窗口',
  'Editor Commands': '编辑器命令',
  'Variables': '变量',
  'Headers': '请求头',
  'Show editor tools': '显示编辑器工具',
  'Hide editor tools': '隐藏编辑器工具',
  'Documentation Explorer': '文档',
  'Docs': '文档',
  'History': '历史',
  'Delete from history': '从历史中删除',
  'Edit label': '修改名称',
  'Type a label': '输入名称',
  'Add favorite': '收藏',
  'Remove favorite': '取消收藏',
  'Set active': '设为当前',
  'Select active operation': '选择要执行的操作',
  'Clear': '清空',
  'Cleared': '已清空',
  'Root Types': '根类型',
  'All Schema Types': '全部类型',
  'Fields': '字段',
  'Arguments': '参数',
  'Implements': '实现接口',
  'Implementations': '实现',
  'Type': '类型',
  'Directives': '指令',
  'Deprecated': '已弃用',
  'Deprecated Fields': '已弃用的字段',
  'Deprecated Arguments': '已弃用的参数',
  'Deprecated Enum Values': '已弃用的枚举值',
  'Enum Values': '枚举值',
  'Possible Types': '可能的类型',
  'Show Deprecated Fields': '显示已弃用的字段',
  'Show Deprecated Arguments': '显示已弃用的参数',
  'Show Deprecated Values': '显示已弃用的值',
  'Show Deprecated Enum Values': '显示已弃用的枚举值',
  'No results found': '没有找到',
  'Other results': '其他结果',
  'No Schema Available': '没有可用的模式',
  'Error fetching schema': '获取模式失败',
  'Loading…': '正在加载…',
  'Search Query...': '查找…',
  'Search Query…': '查找…',
  'Search ': '查找 ',
  'Schema Documentation': '模式文档',
  'A GraphQL schema provides a root type for each kind of operation.': 'GraphQL 模式为每种操作提供一个根类型。',
  'Persist headers': '保存请求头',
  'Save headers upon reloading.': '重新加载后保留请求头。',
  'Only enable if you trust this device.': '仅在信任本设备时开启。',
  'On': '开',
  'Off': '关',
};

// zh returns the Chinese of a GraphiQL label, or undefined when it is not one.
export function zh(text) {
  const t = text.trim();
  if (t === '') return undefined;
  if (Object.prototype.hasOwnProperty.call(labels, t)) return labels[t];
  for (const [prefix, cn] of [['Show ', '显示'], ['Hide ', '隐藏']]) {
    if (t.startsWith(prefix)) {
      const rest = t.slice(prefix.length);
      if (Object.prototype.hasOwnProperty.call(labels, rest)) return cn + labels[rest];
    }
  }
  if (t.startsWith('Go back to ')) return '返回 ' + t.slice('Go back to '.length);
  if (t.startsWith('Search ') && t.endsWith('...')) return '查找' + t.slice(7, -3) + '…';
  return undefined;
}

// Places GraphiQL renders text the user typed or the schema named: never translated.
const untouched = '.CodeMirror, .graphiql-doc-explorer-field-name, .graphiql-doc-explorer-type-name, '
  + '.graphiql-doc-explorer-argument-name, .graphiql-doc-explorer-title, '
  + '.graphiql-markdown-description, .graphiql-markdown-deprecation, .graphiql-tab-button, '
  + '.graphiql-history-item-label, .graphiql-operation-title-bar';

const attributes = ['aria-label', 'title', 'placeholder'];

function translateElement(el) {
  if (el.closest(untouched)) return;
  for (const a of attributes) {
    const v = el.getAttribute(a);
    if (v) {
      const t = zh(v);
      if (t !== undefined) el.setAttribute(a, t);
    }
  }
}

// GraphiQL's fixed texts in places that otherwise show the schema's own words: the explorer's
// title at its root (elsewhere the type shown) and the root's description.
function fixedText(parent, text) {
  const t = text.trim();
  if (t === 'A GraphQL schema provides a root type for each kind of operation.') return labels[t];
  if (t === 'Docs' && parent.closest('.graphiql-doc-explorer-title')
    && !document.querySelector('.graphiql-doc-explorer-back')) return labels[t];
  return undefined;
}

function translateText(node) {
  const parent = node.parentElement;
  if (!parent) return;
  const fixed = fixedText(parent, node.nodeValue);
  if (fixed !== undefined) {
    node.nodeValue = fixed;
    return;
  }
  if (parent.closest(untouched)) return;
  const t = zh(node.nodeValue);
  if (t !== undefined) node.nodeValue = node.nodeValue.replace(node.nodeValue.trim(), t);
}

// translate translates root and everything below it.
function translate(root) {
  if (root.nodeType === Node.TEXT_NODE) {
    translateText(root);
    return;
  }
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  translateElement(root);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) translateText(n);
    else translateElement(n);
  }
}

// Where GraphiQL renders outside its element: dialogs, tooltips and menus go to portals at the
// end of body.
const portals = '[role="dialog"], [role="tooltip"], [role="menu"], .graphiql-dialog, .graphiql-dialog-overlay, '
  + '.graphiql-tooltip, .graphiql-dropdown-content, [data-radix-popper-content-wrapper]';

// localize translates what GraphiQL has rendered under host, and whatever it renders there or in
// its portals next.
export function localize(host) {
  const ours = (node) => {
    const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return !!el && (host.contains(el) || !!el.closest(portals));
  };
  const take = (node) => {
    if (ours(node)) {
      translate(node);
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      node.querySelectorAll(portals).forEach(translate);
    }
  };
  translate(host);
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'childList') r.addedNodes.forEach(take);
      else if (r.type === 'characterData' && ours(r.target)) translateText(r.target);
      else if (r.type === 'attributes' && ours(r.target)) translateElement(r.target);
    }
  });
  observer.observe(document.body, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: attributes,
  });
  return observer;
}
