package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

func auditEvents(t *testing.T, f *fixture) []audit.Event {
	t.Helper()
	evs, next, err := f.audit.Query(f.ctx, audit.Filter{}, "", audit.MaxPage)
	require.NoError(t, err)
	require.Empty(t, next)
	return evs
}

// TestEveryRequestIsAudited: each request, answered or refused at any stage, has exactly one
// durable event, with the entries and items it read, the masks and row scopes applied, the rows
// returned and its outcome.
func TestEveryRequestIsAudited(t *testing.T) {
	f := contactsFixture(t)
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "yz", Name: "渝中区应用", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500103"}}))
	before := len(auditEvents(t, f))

	f.mustDo(hiPrincipal, `{ complaint_contacts { case_no phone } }`)
	f.do(hiPrincipal, `{ complaint_contacts(where: {phone: {eq: "13900004321"}}) { case_no } }`, nil)
	f.do(lowPrincipal, `{ nosuchtable { x } }`, nil)
	f.do(lowPrincipal, `{ complaint_contacts(`, nil)
	f.mustDo("yz", `{ air_station_hourly_aggregate { count } }`)
	res := f.svc.Do(f.ctx, nil, Request{Query: `{ air_station_hourly { station } }`})
	require.NotEmpty(t, res.Errors)

	evs := auditEvents(t, f)[before:]
	require.Len(t, evs, 6)
	ok := evs[0]
	assert.Equal(t, hiPrincipal, ok.Principal)
	assert.Equal(t, catalog.RoleSteward, ok.Role)
	assert.Equal(t, audit.OutcomeOK, ok.Outcome)
	assert.Equal(t, []string{contactsCode}, ok.Entries)
	assert.Equal(t, []string{"complaint_contacts.case_no", "complaint_contacts.phone"}, ok.Items)
	assert.Equal(t, []string{"complaint_contacts.phone:MOBILE"}, ok.Masked)
	assert.Equal(t, 2, ok.Rows)
	assert.NotEmpty(t, ok.Snapshots)
	assert.NotEmpty(t, ok.ID)

	assert.Equal(t, schemas.CodeForbidden, evs[1].Outcome, "the masked-item probe is recorded as refused")
	assert.Contains(t, evs[1].Error, "个人信息")
	assert.Zero(t, evs[1].Rows)
	assert.Equal(t, lowPrincipal, evs[2].Scene, "a scene account's requests name the scene")
	assert.NotEqual(t, audit.OutcomeOK, evs[2].Outcome)
	assert.Equal(t, codeSyntax, evs[3].Outcome)

	scoped := evs[4]
	assert.Equal(t, "yz", scoped.Principal)
	assert.Equal(t, []string{"air_station_hourly: district ∈ 500103"}, scoped.RowScopes)
	assert.Equal(t, schemas.CodeUnauthenticated, evs[5].Outcome)
	assert.Empty(t, evs[5].Principal)

	assert.Contains(t, f.logBuf.String(), `"request_id":"`+ok.ID+`"`, "the log line carries the audit's request id")
}

// TestNoDataLeavesUnaudited: when the audit cannot record, the answer is withheld.
func TestNoDataLeavesUnaudited(t *testing.T) {
	f := contactsFixture(t)
	require.NoError(t, f.audit.Close())
	data, errs := f.do(hiPrincipal, `{ complaint_contacts { case_no } }`, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "审计记录写入失败")
	assert.Nil(t, data)
}

// TestAuditEventsAsStewardsReadThem: stewards page through the audit with filters; other roles
// are refused; an entry above the reader's clearance is cut out of every event and counted.
func TestAuditEventsAsStewardsReadThem(t *testing.T) {
	f := contactsFixture(t)
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "st-low", Name: "区县数据员", Role: catalog.RoleSteward,
		Clearance: schemas.General2}))
	f.mustDo(hiPrincipal, `{ enterprise_penalty { company amount } complaint_contacts { phone } }`)
	f.mustDo(lowPrincipal, `{ complaint_contacts { case_no } }`)

	q := `query($p: String, $e: String, $after: String) { auditEvents(principal: $p, entry: $e, first: 1, after: $after) {
		nodes { principal roleName scene entries items masked rows outcome hiddenEntries } nextCursor } }`
	data, errs := f.do(hiPrincipal, q, map[string]any{"p": hiPrincipal})
	require.Empty(t, errs)
	page := data["auditEvents"].(map[string]any)
	assert.JSONEq(t, `[{"principal": "steward-high", "roleName": "数据管理员", "scene": null,
		"entries": ["07/000001", "07/000003"], "items": ["complaint_contacts.case_no", "complaint_contacts.phone", "enterprise_penalty.amount", "enterprise_penalty.company"],
		"masked": ["complaint_contacts.phone:MOBILE"], "rows": 4, "outcome": "OK", "hiddenEntries": 0}]`, jsonOf(t, page["nodes"]))
	require.NotNil(t, page["nextCursor"], "more events of the principal follow: the audit reads itself too")

	data, errs = f.do(hiPrincipal, q, map[string]any{"p": lowPrincipal})
	require.Empty(t, errs)
	assert.JSONEq(t, `[{"principal": "app-low", "roleName": "应用场景", "scene": "app-low", "entries": ["07/000003"],
		"items": ["complaint_contacts.case_no"], "masked": [], "rows": 2, "outcome": "OK", "hiddenEntries": 0}]`,
		jsonOf(t, data["auditEvents"].(map[string]any)["nodes"]))

	// Below the penalty entry's grade: the event is there, the entry is not named.
	data, errs = f.do("st-low", q, map[string]any{"p": hiPrincipal})
	require.Empty(t, errs)
	low := data["auditEvents"].(map[string]any)["nodes"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"07/000003"}, low["entries"])
	assert.Equal(t, []any{"complaint_contacts.case_no", "complaint_contacts.phone"}, low["items"], "the rows are ordered by the key")
	assert.EqualValues(t, 1, low["hiddenEntries"])
	_, errs = f.do("st-low", q, map[string]any{"e": penaltyCode})
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "不存在或无权访问", "a hidden entry is no filter")

	for _, who := range []string{lowPrincipal} {
		_, errs := f.do(who, `{ auditEvents { nodes { id } } }`, nil)
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0], "无权查看审计记录")
	}
	_, errs = f.do(hiPrincipal, `{ auditEvents(from: "昨天") { nodes { id } } }`, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "不是时间")
	_, errs = f.do(hiPrincipal, `{ auditEvents(after: "bogus") { nodes { id } } }`, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "nextCursor")
}
