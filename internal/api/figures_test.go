package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/report"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// figuresEnv is the exchange catalogue behind the routes with a query service and its audit,
// a "一件事" served by the open air entry whose scene account queried an hour ago, and a
// target of its own.
func figuresEnv(t *testing.T) (*exchangeEnv, *audit.Log) {
	t.Helper()
	e := newExchangeEnv(t)
	ctx := context.Background()
	require.NoError(t, e.cat.PutPrincipal(ctx, catalog.Principal{ID: "air-app", Name: "治气应用", Role: catalog.RoleScene, Clearance: schemas.General2}))
	require.NoError(t, e.cat.PutScene(ctx, catalog.Operator(), catalog.Scene{Code: "YJS_AIR", Name: "污染天应对", Kind: catalog.SceneOneThing,
		Department: "AIR_DIV", Accounts: []string{"air-app"}}, 0))
	open := mustEntry(t, e.cat, "0101/000001")
	open.Scenes = []string{"YJS_AIR"}
	require.NoError(t, e.cat.PutEntry(ctx, open))

	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	cache, err := lake.NewCache(bucket, t.TempDir(), 1<<20)
	require.NoError(t, err)
	al, err := audit.Open(t.TempDir(), 0, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = al.Close() })
	require.NoError(t, al.Record(audit.Event{At: time.Now().Add(-time.Hour), Principal: "air-app", Role: catalog.RoleScene,
		Scene: "air-app", Outcome: audit.OutcomeOK}))
	qcfg := query.DefaultConfig()
	qcfg.Audit = al
	qcfg.Targets.Collection = 0.25
	svc, err := query.New(e.cat, bucket, cache, qcfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	e.srv = httptest.NewServer((&Server{Cat: e.cat, Bucket: bucket, Query: svc, Exports: figuresExports[t.Name()]}).Routes())
	t.Cleanup(e.srv.Close)
	return e, al
}

// figuresExports are the workbook limiters a test gives its server (by test name); nil for the
// default.
var figuresExports = map[string]*Uploads{}

// TestFiguresWorkbookDoorBounded: one workbook at a time per account, so that nobody keeps the
// service building them; another account is not held up, and the place is given back.
func TestFiguresWorkbookDoorBounded(t *testing.T) {
	exports := NewUploads(2, 1)
	figuresExports[t.Name()] = exports
	e, _ := figuresEnv(t)
	require.True(t, exports.enter("steward"), "a workbook of the steward's under way")
	resp := e.do("GET", "/api/v1/figures.xlsx", tokSteward, nil)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(body), "报表正在生成")
	e.figuresWorkbook(tokAnalyst)
	exports.leave("steward")
	e.figuresWorkbook(tokSteward)
	assert.Zero(t, exports.n, "every place given back")
}

// figuresWorkbook downloads the workbook as token.
func (e *exchangeEnv) figuresWorkbook(token string) *excelize.File {
	e.t.Helper()
	resp := e.do("GET", "/api/v1/figures.xlsx", token, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	assert.Equal(e.t, ContentTypeXLSX, resp.Header.Get("Content-Type"))
	assert.Contains(e.t, resp.Header.Get("Content-Disposition"), `filename="figures.xlsx"`)
	f, err := excelize.OpenReader(resp.Body)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = f.Close() })
	return f
}

func sheetRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	return rows
}

func TestFiguresWorkbookDoorNeedsAToken(t *testing.T) {
	e, _ := figuresEnv(t)
	for _, tok := range []string{"", "not-a-token"} {
		resp := e.do("GET", "/api/v1/figures.xlsx", tok, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%q", tok)
		body, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(body), "未认证")
		assert.NotEqual(t, ContentTypeXLSX, resp.Header.Get("Content-Type"))
	}
}

// TestFiguresWorkbookDoor: the workbook over what the caller may see, with the service's
// targets and its audit's scene use, recorded in the audit as a door of its own.
func TestFiguresWorkbookDoor(t *testing.T) {
	e, al := figuresEnv(t)
	f := e.figuresWorkbook(tokSteward)
	assert.Equal(t, []string{report.SheetOverview, report.SheetDepartment, report.SheetDistrict, report.SheetDomain,
		report.SheetSourceKind, report.SheetLagging, report.SheetCoverage, report.SheetOneThing}, f.GetSheetList())
	ov := sheetRows(t, f, report.SheetOverview)
	assert.Equal(t, []string{"数据归集率", "0", "4", "0.00%", "25.00%", "未达标"}, ov[1][:6], "published and not secret: all but the draft and the secret entry")
	assert.Equal(t, "账号 数据管理员（steward）可见的目录", ov[7][1])
	lag := sheetRows(t, f, report.SheetLagging)
	require.Len(t, lag, 5)
	assert.Equal(t, []string{"0101/000002", "目录 0101/000002", "大气环境处", "重庆市", "从未归集"}, lag[2][:5])
	one := sheetRows(t, f, report.SheetOneThing)
	assert.Equal(t, []string{"YJS_AIR", "污染天应对", "大气环境处", "1", "0", "0101/000001"}, one[1][:6])
	assert.Equal(t, []string{"否", "是", "否"}, one[1][7:10], "queried an hour ago: in use, not online")

	a := e.figuresWorkbook(tokAnalyst)
	assert.Equal(t, []string{"数据归集率", "0", "3"}, sheetRows(t, a, report.SheetOverview)[1][:3])
	for _, sheet := range a.GetSheetList() {
		for _, row := range sheetRows(t, a, sheet) {
			for _, c := range row {
				assert.NotContains(t, c, "0101/000002", "graded Important, above the analyst's clearance: %s", sheet)
			}
		}
	}

	evs, _, err := al.Query(context.Background(), audit.Filter{}, "", audit.MaxPage)
	require.NoError(t, err)
	var doors []audit.Event
	for _, ev := range evs {
		if len(ev.Items) == 1 && ev.Items[0] == "figures.xlsx" {
			doors = append(doors, ev)
		}
	}
	require.Len(t, doors, 2)
	byPrincipal := map[string]audit.Event{doors[0].Principal: doors[0], doors[1].Principal: doors[1]}
	assert.Equal(t, audit.OutcomeOK, byPrincipal["steward"].Outcome)
	assert.Greater(t, byPrincipal["steward"].Rows, byPrincipal["analyst"].Rows, "the rows handed out, fewer for the analyst")
}
