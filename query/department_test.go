package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPutDepartment: administrators register and rename departments; stewards may not; everyone
// who may query lists them with the kind's Chinese name.
func TestPutDepartment(t *testing.T) {
	f := newWorkflowFixture(t)
	const put = `mutation($c: String!, $n: String!, $k: String!) { putDepartment(code: $c, name: $n, kind: $k) { code name kind kindName } }`
	vars := map[string]any{"c": "DIV_NOISE", "n": "噪声处", "k": "处室"}
	e := f.refused(stewardAir, "FORBIDDEN", put, vars)
	assert.Contains(t, e.Message, "只有系统管理员")
	data := f.ok(adminID, put, vars)
	assert.JSONEq(t, `{"code":"DIV_NOISE","name":"噪声处","kind":"division","kindName":"处室"}`, jsonOf(t, at(data, "putDepartment")))
	e = f.refused(adminID, "INVALID", put, map[string]any{"c": "DIV_NOISE", "n": "噪声处", "k": "科室"})
	assert.Contains(t, problemFields(e), "kind")

	list := f.ok(stewardAir, `{ departments { code name } }`, nil)
	assert.Contains(t, jsonOf(t, at(list, "departments")), `{"code":"DIV_NOISE","name":"噪声处"}`)
}
