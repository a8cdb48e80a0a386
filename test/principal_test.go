package test

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	secretRE  = regexp.MustCompile(`eco_[A-Za-z0-9_-]{43}`)
	tokenIDRE = regexp.MustCompile(`tok-[0-9a-f]{16}`)
)

// oneMatch returns the only match of re in out.
func oneMatch(t *testing.T, re *regexp.Regexp, out string) string {
	t.Helper()
	m := re.FindAllString(out, -1)
	require.Len(t, m, 1, "want exactly one %s in:\n%s", re, out)
	return m[0]
}

// call sends a request with a bearer token and returns the status and body.
func (s *server) call(method, path, token, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	require.NoError(s.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

const waterQuery = `{ district_water_quality_monthly(orderBy: [{field: section_name, direction: ASC}]) { district_code section_name water_class meets_target } }`

// TestFreshInstallationWithoutDemo sets up a data directory as a new bureau would, with no demo:
// init, accounts and tokens, a directory entry and a submission, all offline; then serves it and
// queries with the printed tokens.
func TestFreshInstallationWithoutDemo(t *testing.T) {
	dir := t.TempDir()
	code, out := ecolake(t, "init", "--data", dir, "--name", "测试管理员")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "只显示这一次")
	admin := oneMatch(t, secretRE, out)

	code, out = ecolake(t, "init", "--data", dir)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "已经初始化")
	assert.NotRegexp(t, secretRE, out)

	code, out = ecolake(t, "principal", "create", "--data", dir, "--id", "wq-app", "--name", "水质应用",
		"--role", "analyst", "--clearance", "GENERAL_3")
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "principal", "create", "--data", dir, "--id", "wz", "--name", "万州区局",
		"--role", "district", "--clearance", "一般数据2级", "--district", "万州区", "--department", "DIV_WATER")
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "principal", "create", "--data", dir, "--id", "bad", "--name", "坏", "--role", "root", "--clearance", "CORE")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "错误: 未能创建账号 bad: 账号 bad 校验未通过: role: “root”不在代码表 roles（角色）中（可选：admin、steward、")
	code, out = ecolake(t, "principal", "create", "--data", dir, "--id", "c", "--name", "市级", "--role", "district",
		"--clearance", "GENERAL_1", "--district", "500000")
	assert.Equal(t, 2, code, out)
	assert.Equal(t, "错误: 未能创建账号 c: 账号 c 校验未通过: districts[0]: 500000（市级）不是区县，全市账号应为数据管理员\n", out,
		"the field and the rule in Chinese, without the sentinel's English")

	code, out = ecolake(t, "token", "create", "--data", dir, "--principal", "wq-app", "--name", "生产", "--expires", "720h")
	require.Equal(t, 0, code, out)
	app, appID := oneMatch(t, secretRE, out), oneMatch(t, tokenIDRE, out)
	code, out = ecolake(t, "token", "create", "--data", dir, "--principal", "wz")
	require.Equal(t, 0, code, out)
	district := oneMatch(t, secretRE, out)
	code, out = ecolake(t, "token", "create", "--data", dir, "--principal", "wq-app", "--name", "作废")
	require.Equal(t, 0, code, out)
	spare, spareID := oneMatch(t, secretRE, out), oneMatch(t, tokenIDRE, out)
	code, out = ecolake(t, "token", "revoke", "--data", dir, "--id", spareID)
	require.Equal(t, 0, code, out)

	code, out = ecolake(t, "principal", "create", "--data", dir, "--id", "rv", "--name", "审核员", "--role", "reviewer", "--clearance", "GENERAL_4")
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "entry", "import", "--data", dir, "../examples/entry.json")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "已登记目录 0102/100001")
	assert.Contains(t, out, "草稿", "an imported entry is a draft of the workflow")
	// A draft takes no data: the operator submits it and a reviewer publishes it.
	code, out = ecolake(t, "ingest", "../examples/submission.csv", "--data", dir, "--entry", "0102/100001")
	require.Equal(t, 2, code, out)
	code, out = ecolake(t, "catalog", "show", "--data", dir, "0102/100001")
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "catalog", "submit", "--data", dir, "0102/100001", "--base", version(t, out))
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "catalog", "approve", "--data", dir, "--as", "rv", "0102/100001", "--base", version(t, out))
	require.Equal(t, 0, code, out)
	// flags after the file name
	code, out = ecolake(t, "ingest", "../examples/submission.csv", "--data", dir, "--entry", "0102/100001")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "入库 4 行")

	code, out = ecolake(t, "principal", "list", "--data", dir)
	require.Equal(t, 0, code, out)
	for _, want := range []string{"admin", "测试管理员", "wq-app", "数据分析人员", "wz", "万州区"} {
		assert.Contains(t, out, want)
	}
	code, out = ecolake(t, "token", "list", "--data", dir)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, appID)
	assert.Contains(t, out, "已吊销")
	assert.NotRegexp(t, secretRE, out, "a token listing never shows secrets")
	code, out = ecolake(t, "token", "list", "--data", dir, "--principal", "wz")
	require.Equal(t, 0, code, out)
	assert.NotContains(t, out, appID)

	s := startServer(t, dir, nil) // no --demo
	assert.NotRegexp(t, secretRE, s.out.String(), "an initialised directory gets no new administrator")

	for _, tok := range []string{admin, app} {
		rs := rows(t, s.gql(tok, waterQuery, nil).ok(t), "district_water_quality_monthly")
		require.Len(t, rs, 4)
		assert.Equal(t, "示例断面丁", rs[0]["section_name"])
		assert.Equal(t, "500103", rs[0]["district_code"], "渝中区, coded on load")
	}
	// The 万州 account's token opens, and the row scope keeps it to 万州's rows.
	rs := rows(t, s.gql(district, waterQuery, nil).ok(t), "district_water_quality_monthly")
	require.Len(t, rs, 2)
	for _, r := range rs {
		assert.Equal(t, "500101", r["district_code"])
	}
	for _, tok := range []string{spare, "demo-steward"} {
		assert.Equal(t, http.StatusUnauthorized, s.gql(tok, waterQuery, nil).Status, "revoked offline / demo token")
	}

	status, body := s.call("POST", "/api/v1/tokens/"+appID+"/revoke", app, "")
	assert.Equal(t, http.StatusForbidden, status, body)
	status, body = s.call("POST", "/api/v1/tokens/"+appID+"/revoke", admin, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, http.StatusUnauthorized, s.gql(app, waterQuery, nil).Status, "revoked: refused on its next request")
	s.gql(admin, waterQuery, nil).ok(t)

	s.stop(syscall.SIGTERM)
}

// TestFirstServePrintsAdminToken starts a server on an empty directory without --demo: it prints
// an administrator token once, that token works, and it survives a restart that prints nothing.
func TestFirstServePrintsAdminToken(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, nil)
	assert.Contains(t, s.out.String(), "只显示这一次")
	admin := oneMatch(t, secretRE, s.out.String())

	status, body := s.call("GET", "/api/v1/principals", "", "")
	assert.Equal(t, http.StatusUnauthorized, status, body)
	status, body = s.call("GET", "/api/v1/principals", admin, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"admin"`)
	example, err := os.ReadFile("../examples/entry.json")
	require.NoError(t, err)
	status, body = s.call("POST", "/api/v1/entries", admin, string(example))
	require.Equal(t, http.StatusCreated, status, body)
	s.stop(syscall.SIGTERM)

	code, out := ecolake(t, "init", "--data", dir)
	assert.Equal(t, 2, code, out)

	s = startServer(t, dir, nil)
	assert.NotRegexp(t, secretRE, s.out.String(), "a restart prints no token")
	status, body = s.call("GET", "/api/v1/principals", admin, "")
	assert.Equal(t, http.StatusOK, status, body)
	s.stop(syscall.SIGTERM)
}
