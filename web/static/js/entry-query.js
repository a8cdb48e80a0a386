// The entry detail as the entry page reads it through GraphQL `entry(code:)`; kept apart from
// the page so that an editing page can read the same fields.

import { gql } from './api.js';
import { versionFields } from './diff.js';

export const entryDetailQuery = `query EntryDetail($code: String!) {
  entry(code: $code) {
    ${versionFields}
    resourceCode name table abstract revision
    categoryName department departmentName districtName domainNames
    providerName providerCode formatTypeName sourceKindName updateCycleName writeModeName
    status statusName createdAt updatedAt publishDate currentSnapshot secret exempt exemptReason
    grade { id name rank } gradeOverride { name }
    grading { basis factors factorNames impactObject impactDegree impactObjectName impactDegreeName gradedAt gradedBy { id name } proposed { name } }
    shareType shareTypeName shareModeName shareCondition sharingBasis
    openType openTypeName openCondition
    relatedCodes businessItems scenes partitions rules transform
    review { comment editors submittedBy updatedBy }
    changeRequest { kind kindName status statusName reason revision createdAt updatedAt
      review { comment editors submittedBy updatedBy } proposed { ${versionFields} } }
    items { id field name typeName length isKey required codeListName grade { id name rank } piType piTypeName description min max }
    history(first: 100) { index at action actionName actor { id name } statusName note changes { field label old new } }
    snapshots { id parent committedAt rows bytes files run }
    runs { id kind status startedAt finishedAt rowsRead rowsAccepted rowsRejected error }
  }
  scenes { code name }
  businessItems { code name }
}`;

// loadEntry answers the entry, or null when it does not exist for this account; the names of
// the scenes and business items it serves replace their codes.
export async function loadEntry(code, signal) {
  const data = await gql(entryDetailQuery, { code }, signal);
  const e = data.entry;
  if (e) {
    const names = (list) => new Map(list.map((x) => [x.code, x.name]));
    const scenes = names(data.scenes);
    const items = names(data.businessItems);
    e.sceneNames = e.scenes.map((c) => scenes.get(c) || c);
    e.businessItemNames = e.businessItems.map((c) => items.get(c) || c);
  }
  return e;
}

export const runStatusNames = { RUNNING: '进行中', SUCCEEDED: '成功', PARTIAL: '部分成功 (有拒收行)', FAILED: '失败' };

export const runKindNames = { district_submission: '区县报送', connector_pull: '连接归集', derived_transform: '加工生成' };
