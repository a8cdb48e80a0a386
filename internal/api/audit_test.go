package api

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

func TestAuditCSVForStewardsOnly(t *testing.T) {
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "steward", Name: "数据管理员", Role: catalog.RoleSteward,
		Clearance: schemas.Core, TokenHash: catalog.HashToken("steward-tok")}))
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "wz", Name: "万州区", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500101"}, TokenHash: catalog.HashToken("wz-tok")}))
	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	cache, err := lake.NewCache(bucket, t.TempDir(), 1<<20)
	require.NoError(t, err)
	log, err := audit.Open(t.TempDir(), 0, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close() })
	qcfg := query.DefaultConfig()
	qcfg.Audit = log
	svc, err := query.New(cat, bucket, cache, qcfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	srv := httptest.NewServer((&Server{Cat: cat, Bucket: bucket, Query: svc}).Routes())
	t.Cleanup(srv.Close)

	wz, err := cat.View().Principal("wz")
	require.NoError(t, err)
	require.Empty(t, svc.Do(ctx, wz, query.Request{Query: `{ departments { code } }`}).Errors)

	get := func(token, params string) (*http.Response, string) {
		path := "/api/v1/audit.csv"
		if strings.HasPrefix(params, "/") {
			path, params = params, ""
		}
		req, err := http.NewRequest(http.MethodGet, srv.URL+path+params, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("wz-tok", "/api/v1/schema.graphql")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = get("wz-tok", "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "无权查看审计记录")

	resp, body = get("steward-tok", "?principal=wz")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3, "the header, the district account's query and its schema download")
	assert.Equal(t, "请求编号", rows[0][0])
	assert.Equal(t, "wz", rows[1][2])
	assert.Equal(t, "schema.graphql", rows[2][6], "the schema door is audited too")

	resp, _ = get("steward-tok", "?from=昨天")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	evs, _, err := log.Query(ctx, audit.Filter{Principal: "steward"}, "", 10)
	require.NoError(t, err)
	require.Len(t, evs, 1, "the export is audited too")
	assert.Equal(t, []string{"audit.csv"}, evs[0].Items)
	assert.Equal(t, 2, evs[0].Rows, "the rows it exported")
}
