// The directory search as the directory page asks it: GraphQL `search` with its facets, the
// filters as lists of codes. Kept apart from the page so that other pages (editing, review)
// can list entries the same way.

import { gql } from './api.js';

// facets are the search's facets: the GraphQL argument and facet field, and the Chinese label.
export const facets = [
  { key: 'grade', label: '数据分级' },
  { key: 'shareType', label: '共享类型' },
  { key: 'category', label: '信息资源分类' },
  { key: 'domain', label: '治理领域' },
  { key: 'department', label: '责任处室' },
  { key: 'district', label: '区县' },
  { key: 'updateCycle', label: '更新周期' },
  { key: 'status', label: '目录状态' },
];

// entryListFields are the fields of an entry a result row shows.
export const entryListFields = `resourceCode name table categoryName departmentName districtName
  grade { id name rank } shareType shareTypeName status statusName updateCycleName currentSnapshot`;

const facetSelection = facets.map((f) => `${f.key} { code name count }`).join(' ');
const argDecls = facets.map((f) => `$${f.key}: [String!]`).join(', ');
const argUses = facets.map((f) => `${f.key}: $${f.key}`).join(', ');

const searchQuery = `query DirectorySearch($text: String, $first: Int, $after: String, ${argDecls}) {
  search(text: $text, first: $first, after: $after, ${argUses}) {
    total totalExact totalAtMost nextCursor
    hits { score highlights { field text } entry { ${entryListFields} } }
    facets { ${facetSelection} }
  }
}`;

// search runs one search: state is {text, filters: {key: [codes]}, after}, pageSize the page.
export async function search(state, pageSize, signal) {
  const vars = { text: state.text || null, first: pageSize, after: state.after || null };
  for (const f of facets) {
    const codes = (state.filters && state.filters[f.key]) || [];
    vars[f.key] = codes.length > 0 ? codes : null;
  }
  const data = await gql(searchQuery, vars, signal);
  return data.search;
}

// stateFromURL reads the search from the page address: ?text=…&grade=…&grade=….
export function stateFromURL(params) {
  const state = { text: params.get('text') || '', filters: {}, after: '' };
  for (const f of facets) {
    const codes = params.getAll(f.key).filter((c) => c !== '');
    if (codes.length > 0) state.filters[f.key] = codes;
  }
  return state;
}

// stateToURL writes the search (not its page) into a query string.
export function stateToURL(state) {
  const p = new URLSearchParams();
  if (state.text) p.set('text', state.text);
  for (const f of facets) {
    for (const c of (state.filters[f.key] || [])) p.append(f.key, c);
  }
  const s = p.toString();
  return s ? '?' + s : '';
}
