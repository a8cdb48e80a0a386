package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// adminEnv is a catalogue with an administrator (issued token, as ecolake init does), a steward
// and a district account (fixed tokens, as the demo's), behind the HTTP routes.
type adminEnv struct {
	t     *testing.T
	cat   *catalog.Store
	srv   *httptest.Server
	admin string // the administrator's secret
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	require.NoError(t, cat.CreatePrincipal(ctx, catalog.Principal{ID: "admin", Name: "系统管理员", Role: catalog.RoleAdmin, Clearance: schemas.Core}))
	_, secret, err := cat.CreateToken(ctx, catalog.NewToken{Principal: "admin", Name: "初始管理员令牌", TTL: catalog.DefaultTokenTTL})
	require.NoError(t, err)
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "steward", Name: "数据管理员", Role: catalog.RoleSteward,
		Clearance: schemas.Core, Department: "DIV_WATER", TokenHash: catalog.HashToken("steward-tok")}))
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "wz", Name: "万州区", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500101"}, TokenHash: catalog.HashToken("wz-tok")}))
	srv := httptest.NewServer((&Server{Cat: cat}).Routes())
	t.Cleanup(srv.Close)
	return &adminEnv{t: t, cat: cat, srv: srv, admin: secret}
}

// do sends a request and returns the status and the decoded JSON body.
func (e *adminEnv) do(method, path, token, body string) (int, map[string]any, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, string(raw)
}

func TestAdminAPIRefusesOthers(t *testing.T) {
	e := newAdminEnv(t)
	doors := []struct{ method, path, body string }{
		{"GET", "/api/v1/principals", ""},
		{"POST", "/api/v1/principals", `{"id":"x","name":"x","role":"analyst","clearance":"GENERAL_1"}`},
		{"POST", "/api/v1/principals/admin/disable", ""},
		{"GET", "/api/v1/principals/admin/tokens", ""},
		{"POST", "/api/v1/principals/admin/tokens", ""},
		{"POST", "/api/v1/tokens/tok-x/revoke", ""},
	}
	for _, d := range doors {
		status, _, raw := e.do(d.method, d.path, "", d.body)
		assert.Equal(t, http.StatusUnauthorized, status, "%s %s without a token: %s", d.method, d.path, raw)
		status, _, _ = e.do(d.method, d.path, "not-a-token", d.body)
		assert.Equal(t, http.StatusUnauthorized, status, "%s %s with a wrong token", d.method, d.path)
		for _, tok := range []string{"steward-tok", "wz-tok"} {
			status, body, raw := e.do(d.method, d.path, tok, d.body)
			assert.Equal(t, http.StatusForbidden, status, "%s %s as %s: %s", d.method, d.path, tok, raw)
			assert.Contains(t, body["error"], "系统管理员")
		}
	}
	// nothing changed
	assert.Len(t, e.cat.View().Principals(), 3)
	assert.Len(t, e.cat.View().Tokens(""), 1)
}

func TestAdminAPIManagesPrincipalsAndTokens(t *testing.T) {
	e := newAdminEnv(t)
	status, body, raw := e.do("POST", "/api/v1/principals", e.admin,
		`{"id":"wq-app","name":"水质应用","role":"analyst","clearance":"一般数据3级","districts":["万州区"]}`)
	require.Equal(t, http.StatusCreated, status, raw)
	assert.Equal(t, "GENERAL_3", body["clearance"], "Chinese names resolve to ids")
	assert.Equal(t, []any{"500101"}, body["districts"])

	status, body, _ = e.do("POST", "/api/v1/principals", e.admin, `{"id":"wq-app","name":"重复","role":"analyst","clearance":"GENERAL_1"}`)
	assert.Equal(t, http.StatusConflict, status)
	assert.NotEmpty(t, body["error"], "a conflict says why")
	status, body, _ = e.do("POST", "/api/v1/principals", e.admin, `{"id":"bad","name":"坏","role":"root","clearance":"GENERAL_1"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error"], "账号 bad 校验未通过: role: “root”不在代码表 roles（角色）中（可选：admin、steward、")
	assert.NotContains(t, body["error"], "invalid", "no sentinel text")
	status, body, _ = e.do("POST", "/api/v1/principals", e.admin, `{"id":"bad","name":"坏","role":"analyst","clearance":"GENERAL_1","password":"x"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error"], `未知的字段 "password"`)

	status, body, raw = e.do("POST", "/api/v1/principals/wq-app/tokens", e.admin, `{"name":"生产","expiresIn":"30d"}`)
	require.Equal(t, http.StatusCreated, status, raw)
	secret := body["secret"].(string)
	tok := body["token"].(map[string]any)
	tokID := tok["id"].(string)
	assert.Equal(t, "wq-app", tok["principal"])
	assert.Equal(t, true, tok["active"])
	status, _, _ = e.do("POST", "/api/v1/principals/nobody/tokens", e.admin, "")
	assert.Equal(t, http.StatusNotFound, status)
	status, _, _ = e.do("POST", "/api/v1/principals/wq-app/tokens", e.admin, `{"expiresIn":"-1h"}`)
	assert.Equal(t, http.StatusBadRequest, status)

	// the new token opens the service (its holder is no administrator: 403, not 401)
	status, _, _ = e.do("GET", "/api/v1/principals", secret, "")
	assert.Equal(t, http.StatusForbidden, status)

	status, _, raw = e.do("GET", "/api/v1/principals/wq-app/tokens", e.admin, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, raw, tokID)
	assert.NotContains(t, raw, secret, "a listing never holds secrets")
	assert.NotContains(t, raw, catalog.HashToken(secret), "nor their hashes")

	status, body, _ = e.do("POST", "/api/v1/tokens/"+tokID+"/revoke", e.admin, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, body["revoked"])
	status, _, _ = e.do("GET", "/api/v1/principals", secret, "")
	assert.Equal(t, http.StatusUnauthorized, status, "a revoked token fails on its next request")
	status, _, _ = e.do("POST", "/api/v1/tokens/tok-none/revoke", e.admin, "")
	assert.Equal(t, http.StatusNotFound, status)

	// disabling a principal shuts all its tokens at once
	_, body, _ = e.do("POST", "/api/v1/principals/wq-app/tokens", e.admin, "")
	second := body["secret"].(string)
	status, _, _ = e.do("GET", "/api/v1/principals", second, "")
	require.Equal(t, http.StatusForbidden, status)
	status, body, _ = e.do("POST", "/api/v1/principals/wq-app/disable", e.admin, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, body["disabled"])
	status, _, _ = e.do("GET", "/api/v1/principals", second, "")
	assert.Equal(t, http.StatusUnauthorized, status)

	status, _, _ = e.do("POST", "/api/v1/principals/admin/disable", e.admin, "")
	assert.Equal(t, http.StatusConflict, status, "an administrator cannot lock itself out")

	status, body, _ = e.do("GET", "/api/v1/principals", e.admin, "")
	require.Equal(t, http.StatusOK, status)
	var ids []string
	for _, p := range body["principals"].([]any) {
		ids = append(ids, p.(map[string]any)["id"].(string))
	}
	assert.Equal(t, []string{"admin", "steward", "wq-app", "wz"}, ids)
}

func TestEntriesAPI(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	example, err := os.ReadFile("../../examples/entry.json")
	require.NoError(t, err)
	entryOf := func(body map[string]any) map[string]any {
		t.Helper()
		entries := body["entries"].([]any)
		require.Len(t, entries, 1)
		return entries[0].(map[string]any)
	}

	status, _, _ := e.do("POST", "/api/v1/entries", "", string(example))
	assert.Equal(t, http.StatusUnauthorized, status)
	status, body, _ := e.do("POST", "/api/v1/entries", "wz-tok", string(example))
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body["error"], "数据管理员")

	// A new entry becomes a draft of the workflow, whatever status the document names.
	published := strings.Replace(string(example), `"update_cycle": "MONTHLY",`, `"update_cycle": "MONTHLY", "status": "PUBLISHED",`, 1)
	status, body, raw := e.do("POST", "/api/v1/entries?reason=首次登记", "steward-tok", published)
	require.Equal(t, http.StatusCreated, status, raw)
	got := entryOf(body)
	assert.Equal(t, "0102/100001", got["resourceCode"])
	assert.Equal(t, true, got["created"])
	assert.Equal(t, "created", got["action"])
	assert.Equal(t, catalog.StatusDraft, got["status"])
	assert.Equal(t, "草稿", got["statusName"], "the status with its Chinese label")
	assert.Contains(t, body["notes"], "文件中的状态（status）未被采用: 目录的状态只由审核流程决定（提交审核、审核通过）。涉及: 0102/100001")
	live, err := e.cat.View().Entry("0102/100001")
	require.NoError(t, err)
	assert.Equal(t, catalog.StatusDraft, live.Status)
	assert.Equal(t, float64(live.Revision), got["revision"])
	assert.Equal(t, []string{"district_code"}, catalog.DistrictFields(live))
	hist, err := e.cat.View().HistoryFor(catalog.Operator(), "0102/100001", 10)
	require.NoError(t, err)
	require.NotEmpty(t, hist)
	assert.Equal(t, "首次登记", hist[0].Note, "the reason is in the entry's history")
	assert.Equal(t, "steward", hist[0].Actor.ID)

	status, body, raw = e.do("POST", "/api/v1/entries", e.admin, string(example))
	require.Equal(t, http.StatusCreated, status, raw)
	assert.Equal(t, "unchanged", entryOf(body)["action"], "the same document again changes nothing")
	assert.Equal(t, false, entryOf(body)["created"])

	// Once published, a changed document is a change request: queries keep the published version.
	admin, err := e.cat.View().Principal("admin")
	require.NoError(t, err)
	steward, err := e.cat.View().Principal("steward")
	require.NoError(t, err)
	require.NoError(t, e.cat.SubmitEntry(ctx, steward, "0102/100001", live.Revision, ""))
	require.NoError(t, e.cat.ApproveEntry(ctx, admin, "0102/100001", mustEntry(t, e.cat, "0102/100001").Revision, "同意"))
	renamed := strings.Replace(string(example), "区县地表水断面水质月报(示例)", "区县地表水断面水质月报", 1)
	status, body, raw = e.do("POST", "/api/v1/entries", "steward-tok", renamed)
	require.Equal(t, http.StatusCreated, status, raw)
	got = entryOf(body)
	assert.Equal(t, "changed", got["action"])
	assert.Equal(t, catalog.StatusPublished, got["status"])
	assert.Equal(t, catalog.StatusDraft, got["changeStatus"])
	assert.Equal(t, "区县地表水断面水质月报(示例)", mustEntry(t, e.cat, "0102/100001").Name, "the published version stays until approved")
	change, err := e.cat.View().Change("0102/100001")
	require.NoError(t, err)
	assert.Equal(t, "区县地表水断面水质月报", change.Proposed.Name)

	// One bad entry refuses the whole document, naming the entry, the field and the rule.
	second := strings.Replace(string(example), `"0102/100001"`, `"0102/100002"`, 1)
	second = strings.Replace(second, `"district_water_quality_monthly"`, `"district_water_quality_monthly_2"`, 1)
	second = strings.Replace(second, `"provider_code": "11500000MB1534567X"`, `"provider_code": "123"`, 1)
	var doc, bad map[string]any
	require.NoError(t, json.Unmarshal(example, &doc))
	require.NoError(t, json.Unmarshal([]byte(second), &bad))
	newOne := doc["entries"].([]any)[0].(map[string]any)
	newOne["resource_code"], newOne["table"] = "0102/100003", "district_water_quality_monthly_3"
	both, err := json.Marshal([]any{newOne, bad["entries"].([]any)[0]})
	require.NoError(t, err)
	status, body, raw = e.do("POST", "/api/v1/entries", e.admin, string(both))
	assert.Equal(t, http.StatusBadRequest, status, raw)
	assert.Contains(t, body["error"], "导入被拒绝，共 1 处问题，目录未作任何修改；第 2 条（0102/100002） provider_code: “123”不是 18 位统一社会信用代码",
		"the catalogue's problem names the entry, the field and the rule")
	problems := body["problems"].([]any)
	require.Len(t, problems, 1)
	assert.Equal(t, map[string]any{"index": float64(1), "resourceCode": "0102/100002", "field": "provider_code",
		"message": "“123”不是 18 位统一社会信用代码"}, problems[0])
	_, err = e.cat.View().Entry("0102/100003")
	assert.ErrorIs(t, err, catalog.ErrNotFound, "an import with any error changes nothing")

	unknown := strings.Replace(string(example), `"is_key": true,`, `"is_key": true, "unit": "mg/L",`, 1)
	status, body, _ = e.do("POST", "/api/v1/entries", e.admin, unknown)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error"], `未知的字段 "unit"`)
}

func mustEntry(t *testing.T, cat *catalog.Store, code string) *catalog.Entry {
	t.Helper()
	e, err := cat.View().Entry(code)
	require.NoError(t, err)
	return e
}
