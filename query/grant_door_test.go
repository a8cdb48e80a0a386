package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Principals of the grant door tests, added to the workflow fixture.
const (
	airReviewer = "air-reviewer" // 大气处审核员, reviewer of the department owning the air entry
	lawReviewer = "law-reviewer" // 执法总队审核员, cleared only for 一般数据2级
)

const grantSelection = `id entry { resourceCode name } grantee { id name } items itemNames purpose expires mode modeName
	minGroupSize unmasked status statusName inForce requestedBy { id name } decidedBy { id name } decisionNote
	revision events { action actionName by { name } note }`

// newGrantFixture makes the air entry 有条件共享 and adds the reviewers.
func newGrantFixture(t *testing.T) *fixture {
	t.Helper()
	f := newWorkflowFixture(t)
	e, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	e.ShareType, e.ShareCondition = catalog.ShareConditional, "用于大气污染防治"
	require.NoError(t, f.cat.PutEntry(f.ctx, e))
	for _, p := range []catalog.Principal{
		{ID: airReviewer, Name: "大气处审核员", Role: catalog.RoleReviewer, Clearance: schemas.Core, Department: "AIR_DIV"},
		{ID: lawReviewer, Name: "执法总队审核员", Role: catalog.RoleReviewer, Clearance: schemas.General2, Department: "LAW_CORPS"},
	} {
		require.NoError(t, f.cat.PutPrincipal(f.ctx, p))
	}
	return f
}

const requestGrantDoc = `mutation($in: GrantInput!) { requestGrant(input: $in) { ` + grantSelection + ` } }`

// requestAir is the scene's request for the air entry's rows.
func requestAir() map[string]any {
	return map[string]any{"entry": airCode, "purpose": "区县大气污染溯源", "expires": "2025-07-01", "mode": "明细数据"}
}

func grantStep(name string) string {
	note := "String"
	if name == "refuseGrant" {
		note = "String!"
	}
	return `mutation($id: String!, $base: Long!, $note: ` + note + `) { ` + name + `(id: $id, base: $base, note: $note) { ` + grantSelection + ` } }`
}

// TestGrantDoorRoundTrip: the scene asks, the owning department's reviewer approves, the table
// opens for the scene; the scene revokes and it closes again.
func TestGrantDoorRoundTrip(t *testing.T) {
	f := newGrantFixture(t)
	const rows = `{ air_station_hourly(limit: 1) { station } }`
	f.refused(lowPrincipal, "GRAPHQL_VALIDATION_FAILED", rows, nil)

	data := f.ok(lowPrincipal, requestGrantDoc, map[string]any{"in": requestAir()})
	g := at(data, "requestGrant").(map[string]any)
	assert.Equal(t, "G000001", g["id"])
	assert.Equal(t, map[string]any{"resourceCode": airCode, "name": "空气质量监测站小时数据"}, g["entry"])
	assert.Equal(t, map[string]any{"id": lowPrincipal, "name": "区县应用"}, g["grantee"])
	assert.Equal(t, "requested", g["status"])
	assert.Equal(t, "待审批", g["statusName"])
	assert.Equal(t, "rows", g["mode"], "the Chinese name is taken as the code")
	assert.Equal(t, "明细数据", g["modeName"])
	assert.Equal(t, "2025-07-01T16:00:00Z", g["expires"], "a date expires at the end of that day in Chongqing")
	assert.Equal(t, false, g["inForce"])
	assert.Nil(t, g["decidedBy"])
	assert.Equal(t, []any{map[string]any{"action": "requested", "actionName": "申请", "by": map[string]any{"name": "区县应用"}, "note": nil}}, g["events"])
	f.refused(lowPrincipal, "GRAPHQL_VALIDATION_FAILED", rows, nil)

	data = f.ok(airReviewer, grantStep("approveGrant"), map[string]any{"id": "G000001", "base": g["revision"], "note": "同意"})
	g = at(data, "approveGrant").(map[string]any)
	assert.Equal(t, "已批准", g["statusName"])
	assert.Equal(t, true, g["inForce"])
	assert.Equal(t, map[string]any{"id": airReviewer, "name": "大气处审核员"}, g["decidedBy"])
	assert.Equal(t, "同意", g["decisionNote"])
	assert.Equal(t, "批准", at(g, "events", 1, "actionName"))

	assert.Equal(t, `{"air_station_hourly":[{"station":"S1"}]}`, jsonOf(t, f.mustDo(lowPrincipal, rows)))
	list := f.ok(lowPrincipal, `{ grants { total nextCursor nodes { id status } } }`, nil)
	assert.Equal(t, map[string]any{"total": float64(1), "nextCursor": nil,
		"nodes": []any{map[string]any{"id": "G000001", "status": "approved"}}}, list["grants"])

	data = f.ok(lowPrincipal, grantStep("revokeGrant"), map[string]any{"id": "G000001", "base": g["revision"], "note": "项目结束"})
	assert.Equal(t, "已撤销", at(data, "revokeGrant", "statusName"))
	assert.Equal(t, "大气处审核员", at(data, "revokeGrant", "decidedBy", "name"), "the approval's author stays")
	f.refused(lowPrincipal, "GRAPHQL_VALIDATION_FAILED", rows, nil)
}

// TestGrantDoorRefusals: what the catalogue refuses reaches the caller in Chinese with its code.
func TestGrantDoorRefusals(t *testing.T) {
	f := newGrantFixture(t)
	g := at(f.ok(lowPrincipal, requestGrantDoc, map[string]any{"in": requestAir()}), "requestGrant").(map[string]any)
	base := g["revision"]

	e := f.refused(lawReviewer, "FORBIDDEN", grantStep("approveGrant"), map[string]any{"id": "G000001", "base": base})
	assert.Equal(t, "只有目录责任部门（AIR_DIV）的审核员或系统管理员可以审批授权 G000001", e.Message)

	own := requestAir()
	own["grantee"] = airReviewer
	mine := at(f.ok(airReviewer, requestGrantDoc, map[string]any{"in": own}), "requestGrant").(map[string]any)
	e = f.refused(airReviewer, "FORBIDDEN", grantStep("approveGrant"), map[string]any{"id": mine["id"], "base": mine["revision"]})
	assert.Equal(t, "不能审批本人申请或授予本人的授权 G000002", e.Message)

	e = f.refused(airReviewer, "INVALID", grantStep("refuseGrant"), map[string]any{"id": "G000001", "base": base, "note": " "})
	assert.Equal(t, map[string]string{"note": "必填"}, problemFields(e))

	f.now = f.now.Add(3600e9)
	f.ok(adminID, grantStep("approveGrant"), map[string]any{"id": "G000001", "base": base})
	e = f.refused(airReviewer, "CONFLICT", grantStep("revokeGrant"), map[string]any{"id": "G000001", "base": base})
	assert.Contains(t, e.Message, "授权 G000001 已被管理员甲于 2025-06-01 17:00:00 修改")
	assert.Contains(t, e.Message, "请刷新后重新操作")

	bad := requestAir()
	bad["expires"] = "下个月"
	e = f.refused(lowPrincipal, "INVALID", requestGrantDoc, map[string]any{"in": bad})
	assert.Equal(t, map[string]string{"expires": "“下个月”不是时间, 请用 RFC 3339 (2026-03-01T08:00:00+08:00) 或日期 (2026-03-01)"}, problemFields(e))
	assert.Contains(t, e.Message, "授权申请")

	bad = requestAir()
	bad["mode"], bad["minGroupSize"], bad["unmasked"] = "仅汇总统计", 2, []any{"pm25"}
	e = f.refused(lowPrincipal, "INVALID", requestGrantDoc, map[string]any{"in": bad})
	assert.Equal(t, map[string]string{"minGroupSize": "最小分组不能小于 5", "unmasked[0]": "信息项“pm25”不是个人信息，无需申请明文"},
		problemFields(e))

	e = f.refused(lowPrincipal, "INVALID", `{ grants(status: "全部") { total } }`, nil)
	assert.Contains(t, e.Message, "status: “全部”不是授权状态")

	// A scene asks for nobody else; nothing refused was stored.
	other := requestAir()
	other["grantee"] = analystID
	f.refused(lowPrincipal, "FORBIDDEN", requestGrantDoc, map[string]any{"in": other})
	assert.Equal(t, float64(2), at(f.ok(adminID, `{ grants { total } }`, nil), "grants", "total"))
}

// TestGrantDoorHidesEntriesAboveClearance: a grant on an entry above the caller's clearance is
// answered as one that does not exist, by grant and by grants, for a curator and a reviewer of
// the owning department alike; a reviewer of another department sees no grant of it.
func TestGrantDoorHidesEntriesAboveClearance(t *testing.T) {
	f := newGrantFixture(t)
	// The penalty entry holds 重要数据: above the law reviewer's and steward-low's clearance.
	in := map[string]any{"entry": penaltyCode, "purpose": "执法统计", "expires": "2025-07-01", "mode": "rows"}
	hidden := at(f.ok(analystID, requestGrantDoc, map[string]any{"in": in}), "requestGrant", "id").(string)
	visible := at(f.ok(lowPrincipal, requestGrantDoc, map[string]any{"in": requestAir()}), "requestGrant", "id").(string)

	assert.Equal(t, hidden, at(f.ok(adminID, `query($id: String!) { grant(id: $id) { id } }`, map[string]any{"id": hidden}), "grant", "id"))
	for _, who := range []string{lawReviewer, stewardLow, lowPrincipal} {
		e := f.refused(who, "NOT_FOUND", `query($id: String!) { grant(id: $id) { id } }`, map[string]any{"id": hidden})
		assert.Equal(t, "授权 "+hidden+" 不存在或无权查看", e.Message, who)
		missing := f.refused(who, "NOT_FOUND", `{ grant(id: "G999999") { id } }`, nil)
		assert.Equal(t, "授权 G999999 不存在或无权查看", missing.Message)

		e = f.refused(who, "NOT_FOUND", `query($c: String) { grants(entry: $c) { total } }`, map[string]any{"c": penaltyCode})
		missing = f.refused(who, "NOT_FOUND", `{ grants(entry: "07/999999") { total } }`, nil)
		assert.Equal(t, "目录资源 "+penaltyCode+" 不存在或无权访问", e.Message)
		assert.Equal(t, "目录资源 07/999999 不存在或无权访问", missing.Message)

		ids := []any{}
		for _, n := range at(f.ok(who, `{ grants { nodes { id } } }`, nil), "grants", "nodes").([]any) {
			ids = append(ids, at(n, "id"))
		}
		assert.NotContains(t, ids, hidden, who)
	}
	// Who sees the visible one: a curator, its grantee, the owning department's reviewer; not the
	// reviewer of another department, nor a curator below the air entry's grade.
	for who, want := range map[string]float64{hiPrincipal: 2, stewardLow: 0, lowPrincipal: 1, airReviewer: 1, lawReviewer: 0, adminID: 2} {
		assert.Equal(t, want, at(f.ok(who, `{ grants { total } }`, nil), "grants", "total"), who)
	}
	f.refused(lawReviewer, "NOT_FOUND", `query($id: String!) { grant(id: $id) { id } }`, map[string]any{"id": visible})
}

// TestGrantsPaging: first and after page through the grants in id order.
func TestGrantsPaging(t *testing.T) {
	f := newGrantFixture(t)
	for range 3 {
		f.ok(lowPrincipal, requestGrantDoc, map[string]any{"in": requestAir()})
	}
	page := at(f.ok(adminID, `{ grants(first: 2) { total nextCursor nodes { id } } }`, nil), "grants")
	assert.Equal(t, float64(3), at(page, "total"))
	assert.Equal(t, "G000002", at(page, "nextCursor"))
	page = at(f.ok(adminID, `{ grants(first: 2, after: "G000002") { nextCursor nodes { id } } }`, nil), "grants")
	assert.Equal(t, map[string]any{"nextCursor": nil, "nodes": []any{map[string]any{"id": "G000003"}}}, page)
	f.refused(adminID, "INVALID", `{ grants(first: 0) { total } }`, nil)
}
