package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestViewer: each account reads its own role, clearance, department and districts, and which
// steps of the workflow it may take at all.
func TestViewer(t *testing.T) {
	f := newWorkflowFixture(t)
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "wz", Name: "万州区局", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500101"}}))
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "rv-air", Name: "大气处审核员", Role: catalog.RoleReviewer,
		Clearance: schemas.General4, Department: "AIR_DIV"}))
	const q = `{ viewer { id name role roleName clearance { id name rank } department districts districtNames
	  editsDirectory reviewsDirectory decidesGrants requestsGrantsForOthers } }`
	for _, c := range []struct{ id, want string }{
		{stewardAir, `{"id":"steward-air","name":"数据员甲","role":"steward","roleName":"数据管理员",
		  "clearance":{"id":"GENERAL_4","name":"一般数据4级","rank":4},"department":"AIR_DIV","districts":[],"districtNames":[],
		  "editsDirectory":true,"reviewsDirectory":false,"decidesGrants":false,"requestsGrantsForOthers":true}`},
		{reviewerID, `{"id":"reviewer-1","name":"审核员甲","role":"reviewer","roleName":"审核员",
		  "clearance":{"id":"GENERAL_4","name":"一般数据4级","rank":4},"department":null,"districts":[],"districtNames":[],
		  "editsDirectory":false,"reviewsDirectory":true,"decidesGrants":false,"requestsGrantsForOthers":false}`},
		{"rv-air", `{"id":"rv-air","name":"大气处审核员","role":"reviewer","roleName":"审核员",
		  "clearance":{"id":"GENERAL_4","name":"一般数据4级","rank":4},"department":"AIR_DIV","districts":[],"districtNames":[],
		  "editsDirectory":false,"reviewsDirectory":true,"decidesGrants":true,"requestsGrantsForOthers":false}`},
		{"wz", `{"id":"wz","name":"万州区局","role":"district","roleName":"区县生态环境局",
		  "clearance":{"id":"GENERAL_2","name":"一般数据2级","rank":2},"department":null,"districts":["500101"],"districtNames":["万州区"],
		  "editsDirectory":false,"reviewsDirectory":false,"decidesGrants":false,"requestsGrantsForOthers":false}`},
	} {
		data := f.ok(c.id, q, nil)
		got := at(data, "viewer").(map[string]any)
		assert.JSONEq(t, c.want, jsonOf(t, got), c.id)
	}
}

// TestCodeLists: the code lists a form needs, with their Chinese names, in list order; an
// unknown list is refused naming the lists there are.
func TestCodeLists(t *testing.T) {
	f := newWorkflowFixture(t)
	data := f.ok(analystID, `{ codeLists(names: ["share_types", "grades"]) { name title codes { code name } } }`, nil)
	assert.JSONEq(t, `[
	  {"name":"grades","title":"数据分级","codes":[{"code":"GENERAL_1","name":"一般数据1级"},{"code":"GENERAL_2","name":"一般数据2级"},
	    {"code":"GENERAL_3","name":"一般数据3级"},{"code":"GENERAL_4","name":"一般数据4级"},{"code":"IMPORTANT","name":"重要数据"},{"code":"CORE","name":"核心数据"}]},
	  {"name":"share_types","title":"共享类型","codes":[{"code":"UNCONDITIONAL","name":"无条件共享"},{"code":"CONDITIONAL","name":"有条件共享"},
	    {"code":"NOT_SHARED","name":"不予共享"}]}]`, jsonOf(t, at(data, "codeLists")))

	all := at(f.ok(analystID, `{ codeLists { name } }`, nil), "codeLists").([]any)
	assert.Len(t, all, len(codeListNames))

	e := f.refused(analystID, "INVALID", `{ codeLists(names: ["grading_matrix"]) { name } }`, nil)
	assert.Contains(t, e.Message, "没有代码表“grading_matrix”")
}
