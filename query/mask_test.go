package query

import (
	"database/sql"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The examples of STANDARDS §4, on synthetic values.
var maskExamples = []struct{ piType, in, want string }{
	{"MOBILE", "13800001234", "138****1234"},
	{"ID_CARD", "500101199001011647", "500101********1647"},
	{"CN_NAME", "张三丰", "张**"},
	{"FIXED_PHONE", "67891234", "****1234"},
	{"BANK_CARD", "62226012345678901234", "622260**********1234"},
	{"ADDRESS", "重庆市渝北区龙溪街道某路1号", "重庆市渝北区****"},
	{"EMAIL", "gao@example.com", "g**@example.com"},
	{"PLATE", "渝A12345", "渝A****5"},
}

// Values at the edges of the rules: too short to keep anything, empty, several-byte
// characters where the rules count characters.
var maskEdges = []struct{ piType, in, want string }{
	{"MOBILE", "1234567", "*******"},
	{"MOBILE", "", ""},
	{"CN_NAME", "欧阳娜娜", "欧***"},
	{"CN_NAME", "李", "*"},
	{"FIXED_PHONE", "023-67891234", "********1234"},
	{"PLATE", "渝AD12345", "渝A*****5"},
	{"ADDRESS", "石柱土家族自治县南宾街道", "石柱土家族自治县****"},
	{"ADDRESS", "某某镇某村", "****"},
	{"EMAIL", "张三@example.com", "张**@example.com"},
	{"EMAIL", "@example.com", "**@example.com"},
	{"EMAIL", "不是邮箱", "****"},
}

func TestMaskValueFollowsTheStandard(t *testing.T) {
	for _, c := range append(maskExamples, maskEdges...) {
		got, err := MaskValue(c.piType, c.in)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%s %q", c.piType, c.in)
	}
	// Every type of the code list has a rule: a new type without one would be refused, and
	// this says so before a reader finds out.
	for _, c := range schemas.PITypes.Codes() {
		_, err := maskRuleOf(c.ID)
		assert.NoError(t, err, c.ID)
	}
	_, err := MaskValue("FINGERPRINT", "x")
	assert.ErrorIs(t, err, ErrForbidden, "an unknown type is never clear text")
}

// TestMaskSQLAgreesWithGo runs each rule's DuckDB expression on the same values: what leaves
// the engine is what the standard says.
func TestMaskSQLAgreesWithGo(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	for _, c := range append(maskExamples, maskEdges...) {
		expr, err := maskSQL(c.piType, `"v"`)
		require.NoError(t, err)
		var got string
		require.NoError(t, db.QueryRow(`SELECT `+expr+` FROM (SELECT CAST(? AS VARCHAR) AS "v")`, c.in).Scan(&got), c.piType)
		assert.Equal(t, c.want, got, "%s %q", c.piType, c.in)
	}
	for id := range maskRules {
		expr, err := maskSQL(id, `"v"`)
		require.NoError(t, err)
		var got sql.NullString
		require.NoError(t, db.QueryRow(`SELECT `+expr+` FROM (SELECT CAST(NULL AS VARCHAR) AS "v")`).Scan(&got))
		assert.False(t, got.Valid, "%s: NULL stays NULL", id)
	}
}

const contactsCode = "07/000003"

// contactsFixture adds an entry with personal information of four kinds and loads two rows.
func contactsFixture(t *testing.T) *fixture {
	f := newFixture(t)
	e := baseEntry(contactsCode, "complaint_contacts", "投诉联系人", []catalog.Item{
		{Name: "编号", Field: "case_no", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General2},
		{Name: "投诉人", Field: "person", Type: schemas.String, Grade: schemas.General2, PIType: "CN_NAME"},
		{Name: "电话", Field: "phone", Type: schemas.String, Grade: schemas.General2, PIType: "MOBILE"},
		{Name: "车牌", Field: "plate", Type: schemas.String, Grade: schemas.General2, PIType: "PLATE"},
		{Name: "罚款", Field: "fine", Type: schemas.Int, Grade: schemas.General2},
	})
	require.NoError(t, f.cat.PutEntry(f.ctx, e))
	f.load(contactsCode, [][]any{
		{"C1", "王小明", "13900004321", "渝B12345", int64(500)},
		{"C2", "赵六", "13700005678", "渝A54321", int64(800)},
	})
	return f
}

func TestMaskedItemsComeBackMasked(t *testing.T) {
	f := contactsFixture(t)
	for _, who := range []string{hiPrincipal, lowPrincipal} {
		data := f.mustDo(who, `{ complaint_contacts(orderBy: [{field: case_no}]) { case_no person phone plate fine } }`)
		assert.JSONEq(t, `[
			{"case_no": "C1", "person": "王**", "phone": "139****4321", "plate": "渝B****5", "fine": 500},
			{"case_no": "C2", "person": "赵*", "phone": "137****5678", "plate": "渝A****1", "fine": 800}]`,
			jsonOf(t, data["complaint_contacts"]), who)
	}
	assert.NotContains(t, f.logBuf.String(), "13900004321", "no clear value in the logs")
}

// TestMaskedItemsAnswerNothingElse: equality probing, range bisection, ordering, grouping and
// min/max over a masked item are refused, whether or not the probed value exists, so that the
// answer says nothing about the clear value; the rest of the entry stays queryable.
func TestMaskedItemsAnswerNothingElse(t *testing.T) {
	f := contactsFixture(t)
	probes := []string{
		`{ complaint_contacts(where: {phone: {eq: "13900004321"}}) { case_no } }`,
		`{ complaint_contacts(where: {phone: {eq: "13100000000"}}) { case_no } }`,
		`{ complaint_contacts(where: {phone: {gt: "139"}}) { case_no } }`,
		`{ complaint_contacts(where: {or: [{fine: {gt: 0}}, {person: {in: ["王小明"]}}]}) { case_no } }`,
		`{ complaint_contacts(where: {person: {isNull: true}}) { case_no } }`,
		`{ complaint_contacts(where: {not: {phone: {ne: "13900004321"}}}) { case_no } }`,
		`{ complaint_contacts(where: {person: {like: "王%"}}) { case_no } }`,
		`{ complaint_contacts(orderBy: [{field: phone}]) { case_no } }`,
		`{ complaint_contacts_aggregate(groupBy: [person]) { group { person } count } }`,
		`{ complaint_contacts_aggregate(where: {plate: {eq: "渝B12345"}}) { count } }`,
	}
	for _, q := range probes {
		data, errs := f.do(hiPrincipal, q, nil)
		require.Len(t, errs, 1, q)
		assert.Contains(t, errs[0], "个人信息", q)
		assert.Contains(t, errs[0], "不能用于过滤、排序、分组或统计", q)
		assert.NotContains(t, errs[0], "13900004321", q)
		assert.Nil(t, data["complaint_contacts"], q)
	}
	data := f.mustDo(hiPrincipal, `{ complaint_contacts_aggregate(where: {fine: {gte: 600}}) { count sum { fine } } }`)
	assert.JSONEq(t, `[{"count": 1, "sum": {"fine": 800}}]`, jsonOf(t, data["complaint_contacts_aggregate"]))
}

func TestMaskingNeedsText(t *testing.T) {
	_, err := maskedColumn(Column{Field: "phone", Type: schemas.Int}, "MOBILE")
	assert.ErrorIs(t, err, ErrForbidden, "a number cannot be masked by these rules: refused, not sent in clear")
}

// TestUnmaskedUnderAGrant: a grant naming a personal-information item unmasked gives that reader
// the clear value on every path, flags each such read in the audit with the grant, and stops at
// once when revoked; the other items stay masked.
func TestUnmaskedUnderAGrant(t *testing.T) {
	f := contactsFixture(t)
	reviewer := &catalog.Principal{ID: "air-reviewer", Name: "大气处审核员", Role: catalog.RoleReviewer,
		Clearance: schemas.Core, Department: "AIR_DIV"}
	require.NoError(t, f.cat.PutPrincipal(f.ctx, *reviewer))
	g, err := f.cat.RequestGrant(f.ctx, f.principal(lowPrincipal), catalog.Grant{Entry: contactsCode, Grantee: lowPrincipal,
		Purpose: "投诉回访", Expires: f.now.Add(24 * time.Hour), Mode: catalog.GrantRows, Unmasked: []string{"phone"}})
	require.NoError(t, err)
	require.NoError(t, f.cat.ApproveGrant(f.ctx, reviewer, g.ID, g.Revision, "同意"))

	q := `{ complaint_contacts(where: {phone: {eq: "13900004321"}}) { case_no person phone } }`
	assert.JSONEq(t, `[{"case_no": "C1", "person": "王**", "phone": "13900004321"}]`,
		jsonOf(t, f.mustDo(lowPrincipal, q)["complaint_contacts"]))
	evs := auditEvents(t, f)
	last := evs[len(evs)-1]
	assert.Equal(t, []string{"complaint_contacts.phone"}, last.Unmasked)
	assert.Equal(t, []string{"complaint_contacts.person:CN_NAME"}, last.Masked)
	assert.Equal(t, []string{g.ID}, last.Grants)

	// Another reader without the grant still gets the mask.
	_, errs := f.do(hiPrincipal, q, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "个人信息")

	g, err = f.cat.View().Grant(g.ID)
	require.NoError(t, err)
	require.NoError(t, f.cat.RevokeGrant(f.ctx, reviewer, g.ID, g.Revision, "回访结束"))
	data := f.mustDo(lowPrincipal, `{ complaint_contacts(orderBy: [{field: case_no}], limit: 1) { phone } }`)
	assert.JSONEq(t, `[{"phone": "139****4321"}]`, jsonOf(t, data["complaint_contacts"]))
}
