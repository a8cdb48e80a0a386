package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/workbook"
	"github.com/cqeco/ecolake/schemas"
)

// exchangeEnv is a catalogue of entries of several grades, states and districts behind the
// routes, with a steward cleared to CORE and accounts cleared lower.
type exchangeEnv struct {
	t   *testing.T
	cat *catalog.Store
	srv *httptest.Server
}

// Tokens of the exchange tests' accounts.
const (
	tokSteward  = "steward-tok"
	tokAnalyst  = "analyst-tok"  // GENERAL_2
	tokReviewer = "reviewer-tok" // CORE
	tokDistrict = "wz-tok"       // 万州区, GENERAL_2
)

func exchangeEntry(code, table string, grade schemas.Grade, fn func(e *catalog.Entry)) *catalog.Entry {
	e := &catalog.Entry{
		ResourceCode: code, Table: table, Name: "目录 " + code, CategoryCode: "0101",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB1534567X", Abstract: "摘要", FormatType: "DATABASE",
		Items:     catalog.ItemsOf([]catalog.Item{{Name: "数值", Field: "v", Type: schemas.Float, Grade: grade}}...),
		ShareType: "UNCONDITIONAL", ShareMode: "API", OpenType: "UNCONDITIONAL", UpdateCycle: schemas.Daily,
		Status: catalog.StatusPublished, Department: "AIR_DIV", District: schemas.CityCode, SourceKind: "LOCAL_SYSTEM",
		Domains: []string{"AIR"},
	}
	if fn != nil {
		fn(e)
	}
	return e
}

func newExchangeEnv(t *testing.T) *exchangeEnv {
	t.Helper()
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	for _, p := range []catalog.Principal{
		{ID: "steward", Name: "数据管理员", Role: catalog.RoleSteward, Clearance: schemas.Core, TokenHash: catalog.HashToken(tokSteward)},
		{ID: "analyst", Name: "分析", Role: catalog.RoleAnalyst, Clearance: schemas.General2, TokenHash: catalog.HashToken(tokAnalyst)},
		{ID: "reviewer", Name: "审核", Role: catalog.RoleReviewer, Clearance: schemas.Core, TokenHash: catalog.HashToken(tokReviewer)},
		{ID: "wz", Name: "万州区", Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}, TokenHash: catalog.HashToken(tokDistrict)},
	} {
		require.NoError(t, cat.PutPrincipal(ctx, p))
	}
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	for _, e := range []*catalog.Entry{
		exchangeEntry("0101/000001", "air_open", schemas.General1, nil),
		exchangeEntry("0101/000002", "air_important", schemas.Important, func(e *catalog.Entry) { e.OpenType = "CONDITIONAL" }),
		exchangeEntry("0101/000003", "air_draft", schemas.General1, func(e *catalog.Entry) { e.Status = catalog.StatusDraft }),
		exchangeEntry("0101/000004", "air_secret", schemas.General1, func(e *catalog.Entry) { e.Secret = true }),
		exchangeEntry("0101/000005", "air_closed", schemas.General1, func(e *catalog.Entry) { e.OpenType = "NOT_OPEN" }),
		exchangeEntry("0101/000006", "air_fuling", schemas.General1, func(e *catalog.Entry) { e.District = "500102" }),
	} {
		require.NoError(t, cat.PutEntry(ctx, e))
	}
	srv := httptest.NewServer((&Server{Cat: cat}).Routes())
	t.Cleanup(srv.Close)
	return &exchangeEnv{t: t, cat: cat, srv: srv}
}

func (e *exchangeEnv) do(method, path, token string, body []byte) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// workbookCodes downloads the workbook as token and returns the resource codes it lists.
func (e *exchangeEnv) workbookCodes(token string) []string {
	e.t.Helper()
	resp := e.do("GET", "/api/v1/directory.xlsx", token, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	assert.Equal(e.t, ContentTypeXLSX, resp.Header.Get("Content-Type"))
	assert.Contains(e.t, resp.Header.Get("Content-Disposition"), "filename*=UTF-8''%E6%95%B0%E6%8D%AE")
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	entries, err := workbook.Read(context.Background(), bytes.NewReader(data), int64(len(data)))
	require.NoError(e.t, err)
	var codes []string
	for _, en := range entries {
		codes = append(codes, en.ResourceCode)
	}
	return codes
}

// dcatCodes downloads the DCAT export as token and returns the identifiers of its datasets.
func (e *exchangeEnv) dcatCodes(token string) []string {
	e.t.Helper()
	resp := e.do("GET", "/api/v1/directory.jsonld", token, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	assert.Equal(e.t, "application/ld+json; charset=utf-8", resp.Header.Get("Content-Type"))
	var doc struct {
		ID       string `json:"@id"`
		Datasets []struct {
			ID         string `json:"@id"`
			Identifier string `json:"dct:identifier"`
		} `json:"dcat:dataset"`
	}
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&doc))
	assert.Equal(e.t, e.srv.URL+"/api/v1/directory.jsonld", doc.ID, "identifiers under the address the caller used")
	var codes []string
	for _, d := range doc.Datasets {
		codes = append(codes, d.Identifier)
	}
	return codes
}

func TestExportDoorsNeedAToken(t *testing.T) {
	e := newExchangeEnv(t)
	for _, path := range []string{"/api/v1/directory.xlsx", "/api/v1/directory.jsonld"} {
		for _, tok := range []string{"", "not-a-token"} {
			resp := e.do("GET", path, tok, nil)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s with %q", path, tok)
		}
	}
}

func TestWorkbookExportListsWhatExistsForTheCaller(t *testing.T) {
	e := newExchangeEnv(t)
	all := []string{"0101/000001", "0101/000002", "0101/000003", "0101/000004", "0101/000005", "0101/000006"}
	assert.Equal(t, all, e.workbookCodes(tokSteward))
	assert.Equal(t, all, e.workbookCodes(tokReviewer), "exporting is reading the directory, not editing it")
	// Cleared to GENERAL_2: the IMPORTANT entry is not there.
	assert.Equal(t, []string{"0101/000001", "0101/000003", "0101/000004", "0101/000005", "0101/000006"}, e.workbookCodes(tokAnalyst))
	// A district: city-level entries and its own, not 涪陵区's.
	assert.Equal(t, []string{"0101/000001", "0101/000003", "0101/000004", "0101/000005"}, e.workbookCodes(tokDistrict))
}

func TestDCATExportListsPublishedOpenableEntriesThatExistForTheCaller(t *testing.T) {
	e := newExchangeEnv(t)
	assert.Equal(t, []string{"0101/000001", "0101/000002", "0101/000006"}, e.dcatCodes(tokSteward))
	assert.Equal(t, []string{"0101/000001", "0101/000006"}, e.dcatCodes(tokAnalyst), "no IMPORTANT entry below its clearance")
	assert.Equal(t, []string{"0101/000001"}, e.dcatCodes(tokDistrict))
}

func TestExportDisabledAccountIsRefused(t *testing.T) {
	e := newExchangeEnv(t)
	require.NoError(t, e.cat.DisablePrincipal(context.Background(), "analyst"))
	for _, path := range []string{"/api/v1/directory.xlsx", "/api/v1/directory.jsonld"} {
		resp := e.do("GET", path, tokAnalyst, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, fmt.Sprint(path))
	}
}

// download fetches the workbook as token.
func (e *exchangeEnv) download(token string) []byte {
	e.t.Helper()
	resp := e.do("GET", "/api/v1/directory.xlsx", token, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return data
}

func (e *exchangeEnv) upload(token string, data []byte, multipartForm bool) (int, map[string]any) {
	e.t.Helper()
	body, ctype := data, ContentTypeXLSX
	if multipartForm {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", "目录.xlsx")
		require.NoError(e.t, err)
		_, _ = fw.Write(data)
		require.NoError(e.t, mw.Close())
		body, ctype = buf.Bytes(), mw.FormDataContentType()
	}
	req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/directory.xlsx?reason="+url.QueryEscape("季度核对"), bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func TestImportDoorIsForEditorsOnly(t *testing.T) {
	e := newExchangeEnv(t)
	data := e.download(tokSteward)
	before := e.cat.View().Index()
	status, _ := e.upload("", data, false)
	assert.Equal(t, http.StatusUnauthorized, status)
	for _, tok := range []string{tokReviewer, tokAnalyst, tokDistrict} {
		status, body := e.upload(tok, data, false)
		assert.Equal(t, http.StatusForbidden, status, tok)
		assert.Contains(t, body["error"], "只有系统管理员与数据管理员")
	}
	assert.Equal(t, before, e.cat.View().Index())
}

func TestImportDoorRoundTripIsANoOp(t *testing.T) {
	e := newExchangeEnv(t)
	data := e.download(tokSteward)
	before := e.cat.View().Index()
	for _, form := range []bool{false, true} {
		status, body := e.upload(tokSteward, data, form)
		require.Equal(t, http.StatusOK, status, "%v", body)
		assert.Equal(t, []any{}, body["created"])
		assert.Equal(t, []any{}, body["changed"])
		assert.Len(t, body["unchanged"], 6)
	}
	assert.Equal(t, before, e.cat.View().Index(), "an unchanged workbook writes nothing")
}

func TestImportDoorReportsEveryProblemAndChangesNothing(t *testing.T) {
	e := newExchangeEnv(t)
	f, err := excelize.OpenReader(bytes.NewReader(e.download(tokSteward)))
	require.NoError(t, err)
	require.NoError(t, f.SetCellStr(workbook.SheetEntries, "B2", "改了名字")) // would be a change
	require.NoError(t, f.SetCellStr(workbook.SheetEntries, "H3", "看情况共享"))
	require.NoError(t, f.SetCellStr(workbook.SheetItems, "H4", "机密"))
	require.NoError(t, f.SetCellStr(workbook.SheetItems, "A5", "9999/000001"))
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	before := e.cat.View().Index()

	status, body := e.upload(tokSteward, buf.Bytes(), true)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
	assert.Equal(t, "INVALID", body["code"])
	assert.Contains(t, body["error"], "工作簿有 3 处问题，未导入任何内容")
	probs := body["problems"].([]any)
	require.Len(t, probs, 3)
	assert.Equal(t, map[string]any{"sheet": "目录", "row": float64(3), "column": "H", "header": "共享类型",
		"message": "“看情况共享”不是共享类型的名称或代码（可选：无条件共享、有条件共享、不予共享）"}, probs[0])
	assert.Equal(t, "信息项", probs[1].(map[string]any)["sheet"])
	assert.Equal(t, "H", probs[1].(map[string]any)["column"])
	assert.Equal(t, float64(5), probs[2].(map[string]any)["row"])
	assert.Equal(t, before, e.cat.View().Index())
}

func TestImportDoorBoundsTheUpload(t *testing.T) {
	e := newExchangeEnv(t)
	status, body := e.upload(tokSteward, make([]byte, workbook.DefaultLimits().MaxBytes+1), false)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, body["error"], "工作簿过大")
	status, body = e.upload(tokSteward, []byte("区县,数量\n万州区,5\n"), false)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Contains(t, body["error"], "不是 xlsx 文件")
}
