package query

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	mCreate  = `mutation($in: EntryInput!) { createEntry(input: $in, reason: "新登记") { ` + entrySelection + ` } }`
	mEdit    = `mutation($c: String!, $b: Long!, $in: EntryInput!) { editEntry(code: $c, base: $b, input: $in, reason: "修订") { ` + entrySelection + ` } }`
	mSubmit  = `mutation($c: String!, $b: Long!) { submitEntry(code: $c, base: $b, comment: "请审核") { status review { submittedBy } } }`
	mApprove = `mutation($c: String!, $b: Long!) { approveEntry(code: $c, base: $b, comment: "同意") { status name } }`
)

func cb(code string, base int64) map[string]any { return map[string]any{"c": code, "b": base} }

// create registers a draft through GraphQL as the principal and returns its resource code.
func (f *fixture) create(id string, in map[string]any) string {
	f.t.Helper()
	data := f.ok(id, mCreate, map[string]any{"in": in})
	return at(data, "createEntry", "resourceCode").(string)
}

// publish takes an entry (or its change request) through review: submitted by stewardAir,
// approved by the reviewer.
func (f *fixture) publish(code string) {
	f.t.Helper()
	f.ok(stewardAir, mSubmit, cb(code, f.rev(stewardAir, code)))
	f.ok(reviewerID, mApprove, cb(code, f.rev(reviewerID, code)))
}

func TestMutationLifecycle(t *testing.T) {
	f := newWorkflowFixture(t)

	// A steward registers a draft: the code is generated, codes given by Chinese name are
	// stored as ids, sharing is proposed from the grade, item ids are assigned.
	data := f.ok(stewardAir, mCreate, map[string]any{"in": newEntryInput("臭氧小时浓度")})
	e := at(data, "createEntry")
	code := at(e, "resourceCode").(string)
	assert.Equal(t, "0101/000002", code, "the fixture holds 0101/000001")
	assert.JSONEq(t, `{"resourceCode":"0101/000002","name":"臭氧小时浓度","status":"DRAFT","category":"0101",
		"updateCycle":"DAILY","department":"AIR_DIV","district":"500000","sourceKind":"LOCAL_SYSTEM","domains":["AIR"],
		"shareType":"UNCONDITIONAL","review":{"editors":["steward-air"],"updatedBy":"数据员甲","submittedBy":null,"comment":null},
		"items":[{"id":1,"name":"站点","field":"station","type":"STRING","grade":{"id":"GENERAL_1"}},
		         {"id":2,"name":"浓度","field":"value","type":"FLOAT","grade":{"id":"GENERAL_2"}}]}`,
		jsonOf(t, without(e, "revision")))
	created := int64(at(e, "revision").(float64))
	assert.Positive(t, created)

	// Sent for review; only reviewers see the review queue.
	data = f.ok(stewardAir, mSubmit, cb(code, created))
	assert.JSONEq(t, `{"status":"PENDING_REVIEW","review":{"submittedBy":"steward-air"}}`, jsonOf(t, at(data, "submitEntry")))
	queue := f.ok(reviewerID, `{ pendingReview { resourceCode status } }`, nil)
	assert.JSONEq(t, `[{"resourceCode":"0101/000002","status":"PENDING_REVIEW"}]`, jsonOf(t, at(queue, "pendingReview")))
	assert.JSONEq(t, `[]`, jsonOf(t, at(f.ok(stewardAir, `{ pendingReview { resourceCode } }`, nil), "pendingReview")))

	// A steward does not approve; the reviewer does.
	err := f.refused(stewardAir, "FORBIDDEN", mApprove, cb(code, f.rev(stewardAir, code)))
	assert.Contains(t, err.Message, "无权审核目录")
	data = f.ok(reviewerID, mApprove, cb(code, f.rev(reviewerID, code)))
	assert.JSONEq(t, `{"status":"PUBLISHED","name":"臭氧小时浓度"}`, jsonOf(t, at(data, "approveEntry")))

	// Editing the published entry makes a change request: the answer is the version under way,
	// the published version is what entry(code) still shows.
	edit := map[string]any{"name": "臭氧小时浓度（修订）", "items": []any{
		map[string]any{"name": "站点", "field": "station", "type": "STRING", "grade": "GENERAL_1", "isKey": true, "required": true},
		map[string]any{"id": 2, "name": "臭氧浓度", "field": "o3", "type": "FLOAT", "grade": "GENERAL_2"},
	}}
	data = f.ok(stewardAir, mEdit, map[string]any{"c": code, "b": f.rev(stewardAir, code), "in": edit})
	w := at(data, "editEntry")
	assert.Equal(t, "臭氧小时浓度（修订）", at(w, "name"))
	assert.Equal(t, "DRAFT", at(w, "status"))
	assert.Equal(t, "AIR", at(w, "domains", 0), "fields left out keep their value")
	assert.JSONEq(t, `[{"id":1,"name":"站点","field":"station","type":"STRING","grade":{"id":"GENERAL_1"}},
		{"id":2,"name":"臭氧浓度","field":"o3","type":"FLOAT","grade":{"id":"GENERAL_2"}}]`, jsonOf(t, at(w, "items")),
		"the renamed item keeps its id")
	live := f.ok(reviewerID, `query($c: String!) { entry(code: $c) { name status revision
		changeRequest { kind kindName status revision reason proposed { name status revision } review { editors } } } }`,
		map[string]any{"c": code})
	assert.Equal(t, "臭氧小时浓度", at(live, "entry", "name"), "the published version is unchanged")
	assert.Equal(t, "PUBLISHED", at(live, "entry", "status"))
	cr := at(live, "entry", "changeRequest")
	assert.Equal(t, "edit", at(cr, "kind"))
	assert.Equal(t, "变更", at(cr, "kindName"))
	assert.Equal(t, "DRAFT", at(cr, "status"))
	assert.Equal(t, "修订", at(cr, "reason"))
	assert.Equal(t, "臭氧小时浓度（修订）", at(cr, "proposed", "name"))
	assert.Equal(t, at(w, "revision"), at(cr, "revision"))
	assert.Equal(t, at(cr, "revision"), at(live, "entry", "revision"), "the entry names its change's revision as the base")
	assert.Equal(t, at(cr, "revision"), at(cr, "proposed", "revision"))

	// The change goes through review and replaces the published version.
	f.publish(code)
	after := f.ok(analystID, `query($c: String!) { entry(code: $c) { name status changeRequest { kind }
		history { index actor { id name } action actionName status statusName note changes { field label old new } } } }`,
		map[string]any{"c": code})
	assert.Equal(t, "臭氧小时浓度（修订）", at(after, "entry", "name"))
	assert.Nil(t, at(after, "entry", "changeRequest"))
	hist := at(after, "entry", "history").([]any)
	var actions []string
	for _, h := range hist {
		actions = append(actions, at(h, "action").(string))
	}
	assert.Equal(t, []string{"approve", "submit", "edit", "approve", "submit", "create"}, actions, "newest first")
	approved := hist[0]
	assert.Equal(t, "审核通过", at(approved, "actionName"))
	assert.JSONEq(t, `{"id":"reviewer-1","name":"审核员甲"}`, jsonOf(t, at(approved, "actor")))
	assert.Equal(t, "已发布", at(approved, "statusName"))
	assert.Equal(t, "同意", at(approved, "note"))
	assert.JSONEq(t, `[{"field":"name","label":"信息资源名称","old":"臭氧小时浓度","new":"臭氧小时浓度（修订）"},
		{"field":"items[o3].name","label":"信息项“臭氧浓度”的信息项名称","old":"浓度","new":"臭氧浓度"},
		{"field":"items[o3].field","label":"信息项“臭氧浓度”的字段标识","old":"value","new":"o3"}]`,
		jsonOf(t, at(approved, "changes")))
	last := f.ok(analystID, `query($c: String!) { entry(code: $c) { history(first: 1) { action } } }`, map[string]any{"c": code})
	assert.JSONEq(t, `[{"action":"approve"}]`, jsonOf(t, at(last, "entry", "history")))
}

// without returns a copy of a JSON object without the given keys.
func without(v any, keys ...string) map[string]any {
	out := map[string]any{}
	for k, x := range v.(map[string]any) {
		out[k] = x
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func TestMutationSelfApprovalRefused(t *testing.T) {
	f := newWorkflowFixture(t)
	code := f.create(adminID, newEntryInput("管理员登记的目录"))
	f.ok(adminID, mSubmit, cb(code, f.rev(adminID, code)))
	err := f.refused(adminID, "FORBIDDEN", mApprove, cb(code, f.rev(adminID, code)))
	assert.Contains(t, err.Message, "不能审核自己修改或提交的目录")
	assert.Equal(t, []any{"approveEntry"}, err.Path)
	assert.Equal(t, "PENDING_REVIEW", at(f.ok(adminID, `query($c: String!) { entry(code: $c) { status } }`, map[string]any{"c": code}), "entry", "status"))

	// Sent back with a comment by the reviewer, it returns to its editors as a draft.
	data := f.ok(reviewerID, `mutation($c: String!, $b: Long!) { sendBackEntry(code: $c, base: $b, comment: "摘要过短") { status review { comment } } }`,
		cb(code, f.rev(reviewerID, code)))
	assert.JSONEq(t, `{"status":"DRAFT","review":{"comment":"摘要过短"}}`, jsonOf(t, at(data, "sendBackEntry")))
}

func TestMutationStaleEditNamesWhoChanged(t *testing.T) {
	f := newWorkflowFixture(t)
	code := f.create(stewardAir, newEntryInput("细颗粒物日均值"))
	base := f.rev(stewardAir2, code) // both stewards read the same version

	f.ok(stewardAir, mEdit, map[string]any{"c": code, "b": base, "in": map[string]any{"abstract": "甲的修改"}})
	err := f.refused(stewardAir2, "CONFLICT", mEdit, map[string]any{"c": code, "b": base, "in": map[string]any{"abstract": "乙的修改"}})
	assert.Contains(t, err.Message, "已被数据员甲于")
	assert.Contains(t, err.Message, fmt.Sprintf("您的操作基于版本 %d", base))
	abs := f.ok(stewardAir2, `query($c: String!) { entry(code: $c) { abstract } }`, map[string]any{"c": code})
	assert.Equal(t, "甲的修改", at(abs, "entry", "abstract"), "the first edit is not lost")

	// Edits sent at once on the same base: exactly one wins, every other is refused.
	base = f.rev(stewardAir, code)
	const n = 6
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := []string{stewardAir, stewardAir2}[i%2]
			res := f.svc.Do(f.ctx, f.principal(id), Request{Query: mEdit,
				Variables: map[string]any{"c": code, "b": base, "in": map[string]any{"abstract": fmt.Sprintf("并发修改 %d", i)}}})
			if len(res.Errors) == 0 {
				codes[i] = "OK"
			} else {
				codes[i], _ = res.Errors[0].Extensions["code"].(string)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, count(codes, "OK"), "%v", codes)
	assert.Equal(t, n-1, count(codes, "CONFLICT"), "%v", codes)
	abs = f.ok(stewardAir, `query($c: String!) { entry(code: $c) { abstract } }`, map[string]any{"c": code})
	assert.True(t, strings.HasPrefix(at(abs, "entry", "abstract").(string), "并发修改"))
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func TestMutationGradeUpgradeAtOnceDowngradePending(t *testing.T) {
	f := newWorkflowFixture(t)
	code := f.create(stewardAir, newEntryInput("臭氧站点明细"))
	f.publish(code)
	f.load(code, [][]any{{"S1", 12.5}, {"S2", nil}})
	const rows = `{ res_0101_000002(limit: 5) { station } }`
	assert.Len(t, at(f.ok(lowPrincipal, rows, nil), "res_0101_000002"), 2, "一般数据2级: the 2级 reader reads it")

	const grade = `mutation($c: String!, $b: Long!, $items: [ItemGradeInput!], $ev: EvidenceInput, $reason: String) {
		gradeEntry(code: $c, base: $b, items: $items, evidence: $ev, reason: $reason) { pending entry { status grade { id } changeRequest { kind status } } } }`
	const show = `query($c: String!) { entry(code: $c) { grade { id } changeRequest { kind kindName status reason proposed { grade { id } } }
		grading { impactObject impactObjectName impactDegree impactDegreeName factors factorNames basis proposed { id name } gradedBy { id name } gradedAt } } }`
	vars := func(items []any, ev map[string]any, reason string) map[string]any {
		v := map[string]any{"c": code, "b": f.rev(stewardAir, code), "items": items, "reason": reason}
		if ev != nil {
			v["ev"] = ev
		}
		return v
	}

	// An upgrade takes effect at once, with its evidence; names are accepted for codes.
	data := f.ok(stewardAir, grade, vars([]any{map[string]any{"field": "value", "grade": "一般数据3级"}},
		map[string]any{"impactObject": "组织权益", "impactDegree": "SERIOUS", "factors": []any{"精度", "SCALE"}, "basis": "含站点精确位置"}, ""))
	assert.JSONEq(t, `{"pending":false,"entry":{"status":"PUBLISHED","grade":{"id":"GENERAL_3"},"changeRequest":null}}`, jsonOf(t, at(data, "gradeEntry")))
	data = f.ok(analystID, show, map[string]any{"c": code})
	assert.JSONEq(t, `{"grade":{"id":"GENERAL_3"},"changeRequest":null,"grading":{"impactObject":"ORGANISATION","impactObjectName":"组织权益",
		"impactDegree":"SERIOUS","impactDegreeName":"严重危害","factors":["PRECISION","SCALE"],"factorNames":["精度","规模"],
		"basis":"含站点精确位置","proposed":{"id":"GENERAL_3","name":"一般数据3级"},"gradedBy":{"id":"steward-air","name":"数据员甲"},
		"gradedAt":"2025-06-01T08:00:00Z"}}`, jsonOf(t, at(data, "entry")))
	_, errs := f.gql(lowPrincipal, rows, nil)
	require.NotEmpty(t, errs, "the query schema follows the upgrade at once")
	assert.Contains(t, errs[0].Message, "字段 res_0101_000002 不存在")

	// A downgrade without a reason is refused naming the field; with one it waits for review.
	err := f.refused(stewardAir, "INVALID", grade, vars([]any{map[string]any{"field": "value", "grade": "GENERAL_2"}}, nil, ""))
	assert.Contains(t, problemFields(err)["reason"], "降低已发布目录的分级须填写原因")
	data = f.ok(stewardAir, grade, vars([]any{map[string]any{"field": "value", "grade": "GENERAL_2"}}, nil, "站点位置已脱敏"))
	assert.JSONEq(t, `{"pending":true,"entry":{"status":"PENDING_REVIEW","grade":{"id":"GENERAL_2"},"changeRequest":{"kind":"downgrade","status":"PENDING_REVIEW"}}}`,
		jsonOf(t, at(data, "gradeEntry")))
	data = f.ok(analystID, show, map[string]any{"c": code})
	assert.Equal(t, "GENERAL_3", at(data, "entry", "grade", "id"), "the published grade stays until review")
	assert.JSONEq(t, `{"kind":"downgrade","kindName":"降级","status":"PENDING_REVIEW","reason":"站点位置已脱敏","proposed":{"grade":{"id":"GENERAL_2"}}}`,
		jsonOf(t, at(data, "entry", "changeRequest")))
	_, errs = f.gql(lowPrincipal, rows, nil)
	require.NotEmpty(t, errs, "a pending downgrade opens nothing")

	// The reviewer approves the downgrade; the query schema follows.
	queue := f.ok(reviewerID, `{ pendingReview { resourceCode status grade { id } } }`, nil)
	assert.JSONEq(t, `[{"resourceCode":"0101/000002","status":"PENDING_REVIEW","grade":{"id":"GENERAL_2"}}]`, jsonOf(t, at(queue, "pendingReview")))
	f.ok(reviewerID, mApprove, cb(code, f.rev(reviewerID, code)))
	data = f.ok(analystID, show, map[string]any{"c": code})
	assert.Equal(t, "GENERAL_2", at(data, "entry", "grade", "id"))
	assert.Len(t, at(f.ok(lowPrincipal, rows, nil), "res_0101_000002"), 2)
}

// The load settings travel through GraphQL: an item's range and the entry's rules, write mode,
// threshold and partitions are set by editEntry and read back, so an edit that sends items can
// keep their ranges; a bad setting is refused field by field.
func TestMutationLoadSettings(t *testing.T) {
	f := newWorkflowFixture(t)
	in := newEntryInput("臭氧小时浓度")
	in["items"] = []any{
		map[string]any{"name": "站点", "field": "station", "type": "STRING", "grade": "GENERAL_1", "isKey": true, "required": true},
		map[string]any{"name": "浓度", "field": "value", "type": "FLOAT", "grade": "GENERAL_2", "min": "0", "max": "1000"},
	}
	in["rules"] = []any{"value >= 0"}
	in["writeMode"] = "按主键更新"
	in["maxRejectedPercent"] = 12.5
	code := f.create(stewardAir, in)
	q := `query($c: String!) { entry(code: $c) { writeMode writeModeName maxRejectedPercent rules partitions items { field min max } } }`
	data := f.ok(stewardAir, q, map[string]any{"c": code})
	assert.JSONEq(t, `{"writeMode":"upsert","writeModeName":"按主键更新","maxRejectedPercent":12.5,"rules":["value >= 0"],"partitions":[],
		"items":[{"field":"station","min":null,"max":null},{"field":"value","min":"0","max":"1000"}]}`, jsonOf(t, at(data, "entry")))

	bad := map[string]any{"items": []any{
		map[string]any{"name": "站点", "field": "station", "type": "STRING", "grade": "GENERAL_1", "min": "a"},
	}}
	err := f.refused(stewardAir, "INVALID", mEdit, map[string]any{"c": code, "b": f.rev(stewardAir, code), "in": bad})
	assert.Contains(t, err.Message, "min")
}
