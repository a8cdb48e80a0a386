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
	evs, next, err := f.audit.Query(audit.Filter{}, "", audit.MaxPage)
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

	assert.Contains(t, f.logBuf.String(), `"request":"`+ok.ID+`"`, "the log line carries the audit's request id")
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
