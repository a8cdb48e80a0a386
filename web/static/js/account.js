// The logged-in account and the vocabularies forms are written with, each asked of the service
// once per page. Which steps an account may take decides only which buttons a page offers: the
// catalogue still decides every step itself.

import { gql } from './api.js';

let viewerP = null;

const viewerQuery = `{ viewer { id name role roleName clearance { id name rank } department departmentName
  districts districtNames editsDirectory reviewsDirectory decidesGrants requestsGrantsForOthers loadsData } }`;

// viewer answers the account of the session.
export function viewer() {
  if (!viewerP) viewerP = gql(viewerQuery).then((d) => d.viewer);
  return viewerP;
}

let listsP = null;

// codeLists answers every code list by name: {grades: {title, codes: [{code, name}], names: Map}}.
export function codeLists() {
  if (!listsP) {
    listsP = gql('{ codeLists { name title codes { code name } } }').then((d) => {
      const out = {};
      for (const l of d.codeLists) {
        out[l.name] = { title: l.title, codes: l.codes, names: new Map(l.codes.map((c) => [c.code, c.name])) };
      }
      return out;
    });
  }
  return listsP;
}

let vocabP = null;

// vocabulary answers the code lists with the directory's own lists: departments, business
// items and scenes, each {codes: [{code, name}], names: Map}.
export function vocabulary() {
  if (!vocabP) {
    vocabP = Promise.all([codeLists(), gql('{ departments { code name } businessItems { code name retired } scenes { code name retired } }')])
      .then(([lists, d]) => {
        const own = (rows) => ({ codes: rows.map((r) => ({ code: r.code, name: r.name, retired: r.retired })), names: new Map(rows.map((r) => [r.code, r.name])) });
        return Object.assign({}, lists, { departments: own(d.departments), businessItems: own(d.businessItems), scenes: own(d.scenes) });
      });
  }
  return vocabP;
}

// nameIn is the Chinese name of code in list, or the code itself.
export function nameIn(list, code) {
  if (!list || code === null || code === undefined || code === '') return code;
  return list.names.get(code) || code;
}
