package test

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDirectoryWorkflowOverGraphQL runs the directory workflow against the binary as stewards and
// reviewers would, with accounts made by the command line: a steward registers and submits an
// entry, a reviewer publishes it, the steward's edit of the published entry waits as a change
// request, and after its approval the history shows what changed; the history survives a
// restart.
func TestDirectoryWorkflowOverGraphQL(t *testing.T) {
	dir := t.TempDir()
	code, out := ecolake(t, "init", "--data", dir, "--name", "测试管理员")
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "entry", "import", "--data", dir, "../examples/entry.json") // the water division
	require.Equal(t, 0, code, out)
	tokens := map[string]string{}
	for _, p := range [][]string{
		{"st", "数据员甲", "steward", "--department", "DIV_WATER"},
		{"rv", "审核员甲", "reviewer"},
	} {
		args := append([]string{"principal", "create", "--data", dir, "--id", p[0], "--name", p[1], "--role", p[2], "--clearance", "GENERAL_4"}, p[3:]...)
		code, out = ecolake(t, args...)
		require.Equal(t, 0, code, out)
		code, out = ecolake(t, "token", "create", "--data", dir, "--principal", p[0])
		require.Equal(t, 0, code, out)
		tokens[p[0]] = oneMatch(t, secretRE, out)
	}
	s := startServer(t, dir, nil)
	st, rv := tokens["st"], tokens["rv"]
	revision := func(code string) any {
		data := s.gql(st, `query($c: String!) { entry(code: $c) { revision } }`, map[string]any{"c": code}).ok(t)
		return data["entry"].(map[string]any)["revision"]
	}
	step := func(token, op, code string) map[string]any {
		doc := fmt.Sprintf(`mutation($c: String!, $b: Long!) { %s(code: $c, base: $b, comment: "意见") { status name } }`, op)
		return s.gql(token, doc, map[string]any{"c": code, "b": revision(code)}).ok(t)[op].(map[string]any)
	}

	data := s.gql(st, `mutation($in: EntryInput!) { createEntry(input: $in) { resourceCode status } }`, map[string]any{"in": map[string]any{
		"name": "区县断面水质周报", "category": "地表水环境质量", "providerName": "重庆市生态环境局", "providerCode": "11500000MB1534567X",
		"abstract": "各区县断面逐周水质", "formatType": "DATABASE", "shareMode": "TABLE", "updateCycle": "WEEKLY",
		"department": "DIV_WATER", "district": "500000", "sourceKind": "DISTRICT_SUBMISSION", "domains": []any{"WATER"},
		"items": []any{map[string]any{"name": "断面", "field": "section", "type": "STRING", "grade": "GENERAL_1", "isKey": true, "required": true}},
	}}).ok(t)
	entry := data["createEntry"].(map[string]any)
	res := entry["resourceCode"].(string)
	assert.Equal(t, "0102/100002", res)
	assert.Equal(t, "DRAFT", entry["status"])

	assert.Equal(t, "PENDING_REVIEW", step(st, "submitEntry", res)["status"])
	r := s.gql(st, `mutation($c: String!, $b: Long!) { approveEntry(code: $c, base: $b) { status } }`, map[string]any{"c": res, "b": revision(res)})
	assert.Contains(t, r.errText(), "无权审核目录", "a steward does not approve")
	assert.Equal(t, "PUBLISHED", step(rv, "approveEntry", res)["status"])

	edited := s.gql(st, `mutation($c: String!, $b: Long!) { editEntry(code: $c, base: $b, input: {name: "区县断面水质周报（修订）"}) { status name } }`,
		map[string]any{"c": res, "b": revision(res)}).ok(t)
	assert.Equal(t, map[string]any{"status": "DRAFT", "name": "区县断面水质周报（修订）"}, edited["editEntry"])
	live := s.gql(rv, `query($c: String!) { entry(code: $c) { name changeRequest { status } } }`, map[string]any{"c": res}).ok(t)
	assert.Equal(t, "区县断面水质周报", live["entry"].(map[string]any)["name"], "the published version stays until approval")
	step(st, "submitEntry", res)
	assert.Equal(t, "区县断面水质周报（修订）", step(rv, "approveEntry", res)["name"])

	const history = `query($c: String!) { entry(code: $c) { history { action actor { name } changes { field old new } } } }`
	before := s.gql(rv, history, map[string]any{"c": res}).Raw
	assert.Contains(t, before, `{"action":"approve","actor":{"name":"审核员甲"},"changes":[{"field":"name","new":"区县断面水质周报（修订）","old":"区县断面水质周报"}]}`)
	s.stop(syscall.SIGTERM)

	s = startServer(t, dir, nil)
	assert.Equal(t, before, s.gql(rv, history, map[string]any{"c": res}).Raw, "the history is the journal's")
	s.stop(syscall.SIGTERM)
}
