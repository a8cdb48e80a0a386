package query

import (
	"encoding/json"
	"testing"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Principals of the directory workflow tests, added to the query fixture.
const (
	stewardAir  = "steward-air"   // 数据员甲, 大气环境处
	stewardAir2 = "steward-air-2" // 数据员乙, 大气环境处
	reviewerID  = "reviewer-1"    // 审核员甲
	adminID     = "admin-1"       // 管理员甲
	analystID   = "analyst-1"     // 分析员甲
	stewardLow  = "steward-low"   // 大气环境处, cleared only for 一般数据1级
	reviewerLow = "reviewer-low"  // cleared only for 一般数据1级
)

func newWorkflowFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	for _, p := range []catalog.Principal{
		{ID: stewardAir, Name: "数据员甲", Role: catalog.RoleSteward, Clearance: schemas.General4, Department: "AIR_DIV"},
		{ID: stewardAir2, Name: "数据员乙", Role: catalog.RoleSteward, Clearance: schemas.General4, Department: "AIR_DIV"},
		{ID: reviewerID, Name: "审核员甲", Role: catalog.RoleReviewer, Clearance: schemas.General4},
		{ID: adminID, Name: "管理员甲", Role: catalog.RoleAdmin, Clearance: schemas.Core},
		{ID: analystID, Name: "分析员甲", Role: catalog.RoleAnalyst, Clearance: schemas.Core},
		{ID: stewardLow, Name: "数据员丁", Role: catalog.RoleSteward, Clearance: schemas.General1, Department: "AIR_DIV"},
		{ID: reviewerLow, Name: "审核员丁", Role: catalog.RoleReviewer, Clearance: schemas.General1},
	} {
		require.NoError(t, f.cat.PutPrincipal(f.ctx, p))
	}
	return f
}

// gql runs a document for a principal and returns its data as plain JSON values and its errors
// as the service formatted them.
func (f *fixture) gql(id, query string, vars map[string]any) (map[string]any, []gqlerrors.FormattedError) {
	f.t.Helper()
	res := f.svc.Do(f.ctx, f.principal(id), Request{Query: query, Variables: vars})
	b, err := json.Marshal(res.Data)
	require.NoError(f.t, err)
	var data map[string]any
	require.NoError(f.t, json.Unmarshal(b, &data))
	return data, res.Errors
}

// ok runs a document that must succeed.
func (f *fixture) ok(id, query string, vars map[string]any) map[string]any {
	f.t.Helper()
	data, errs := f.gql(id, query, vars)
	require.Empty(f.t, errs, "%s", query)
	return data
}

// refused runs a document that must fail with one error of the given extensions.code; it returns
// the error.
func (f *fixture) refused(id, code, query string, vars map[string]any) gqlerrors.FormattedError {
	f.t.Helper()
	_, errs := f.gql(id, query, vars)
	require.Len(f.t, errs, 1, "%s", query)
	require.Equal(f.t, code, errs[0].Extensions["code"], "%s: %s", query, errs[0].Message)
	return errs[0]
}

// problemFields lists the fields of an error's extensions.problems.
func problemFields(e gqlerrors.FormattedError) map[string]string {
	out := map[string]string{}
	list, _ := e.Extensions["problems"].([]any)
	for _, p := range list {
		m := p.(map[string]any)
		out[m["field"].(string)] = m["message"].(string)
	}
	return out
}

// at follows a path of keys and indexes through plain JSON values.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// rev reads the revision an entry's next operation names, as a client does.
func (f *fixture) rev(id, code string) int64 {
	f.t.Helper()
	data := f.ok(id, `query($c: String!) { entry(code: $c) { revision } }`, map[string]any{"c": code})
	return int64(at(data, "entry", "revision").(float64))
}

// newEntryInput is a complete EntryInput of the air division, its codes given by Chinese name.
func newEntryInput(name string) map[string]any {
	return map[string]any{
		"name": name, "category": "大气环境质量", "providerName": "重庆市生态环境局",
		"providerCode": "11500000MB1534567X", "abstract": name + "的监测数据", "formatType": "数据库",
		"shareMode": "库表", "updateCycle": "每日", "department": "大气环境处", "district": "重庆市",
		"sourceKind": "本级业务系统", "domains": []any{"治气"},
		"items": []any{
			map[string]any{"name": "站点", "field": "station", "type": "字符串", "grade": "一般数据1级", "isKey": true, "required": true},
			map[string]any{"name": "浓度", "field": "value", "type": "FLOAT", "grade": "GENERAL_2"},
		},
	}
}

const entrySelection = `resourceCode name status revision category updateCycle department district sourceKind
	domains shareType review { editors updatedBy submittedBy comment } items { id name field type grade { id } }`
