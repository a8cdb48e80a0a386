package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	_ "github.com/cqeco/ecolake/ingest/rest"
	"github.com/cqeco/ecolake/schemas"
)

// A vertical system's API with two records; its token must never come back through a door.
const systemToken = "Bearer vertical-system-secret-7f3a"

func verticalSystem(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != systemToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		since := r.URL.Query().Get("since")
		recs := []map[string]any{{"qx": "500103", "n": 5}, {"qx": "500112", "n": 7}}
		out := []map[string]any{}
		for _, rec := range recs {
			if since == "" || fmt.Sprint(rec["n"]) > since {
				out = append(out, rec)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestConnectionDoors drives the connection doors end to end with the real REST connector: who
// may set, read and trigger is the catalogue's decision, secrets never come back, a pull loads
// what is new and a second finds nothing.
func TestConnectionDoors(t *testing.T) {
	srv, cat, _ := submissionServerWith(t, nil)
	ctx := context.Background()
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "air", Name: "大气处数据管理员", Role: catalog.RoleSteward,
		Department: "DIV_AIR", Clearance: schemas.Core, TokenHash: catalog.HashToken("air-tok")}))
	api := verticalSystem(t)
	call := func(tok, method, path string, body any) (int, string) {
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.NotContains(t, string(out), "vertical-system-secret", "%s %s", method, path)
		return resp.StatusCode, string(out)
	}
	const path = "/api/v1/entries/0201%2F000003/connection"
	good := map[string]any{"kind": "rest", "config": map[string]string{
		"url": api.URL + "/data", "token": systemToken, "mapping": "district_code=qx; enterprise_count=n",
		"watermark_field": "enterprise_count", "pagination": "none",
	}}

	status, body := call("scene-tok", "PUT", path, good)
	assert.Equal(t, http.StatusForbidden, status, body)
	status, body = call("tok", "PUT", path, good)
	assert.Equal(t, http.StatusForbidden, status, "a steward of no department: %s", body)
	status, body = call("air-tok", "PUT", "/api/v1/entries/9999%2F000001/connection", good)
	assert.Equal(t, http.StatusNotFound, status, body)
	status, body = call("air-tok", "PUT", path, map[string]any{"kind": "rest", "config": map[string]string{"url": "ftp://x", "colour": "red"}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "colour")
	assert.Contains(t, body, "mapping")

	status, body = call("air-tok", "PUT", path, good)
	require.Equal(t, http.StatusOK, status, body)
	var conn connectionJSON
	require.NoError(t, json.Unmarshal([]byte(body), &conn))
	assert.Equal(t, "[redacted]", conn.Config["token"])
	assert.True(t, conn.Plan.Pending, "never pulled: due at once")
	assert.Contains(t, conn.Plan.Rule, "每年")

	status, _ = call("scene-tok", "GET", path, nil)
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = call("scene-tok", "POST", "/api/v1/entries/0201%2F000003/pull", nil)
	assert.Equal(t, http.StatusForbidden, status)

	status, body = call("air-tok", "POST", "/api/v1/entries/0201%2F000003/pull", nil)
	require.Equal(t, http.StatusCreated, status, body)
	var res submissionJSON
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	assert.Equal(t, int64(2), res.Run.RowsAccepted)
	assert.Equal(t, "7", res.Watermark)
	assert.Equal(t, catalog.RunKindPull, mustRun(t, cat, res.Run.ID).Kind)

	status, body = call("air-tok", "POST", "/api/v1/entries/0201%2F000003/pull", nil)
	require.Equal(t, http.StatusOK, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	assert.True(t, res.Unchanged)
	assert.Equal(t, catalog.RunUnchanged, res.Run.Status)

	status, body = call("air-tok", "GET", "/api/v1/schedules", nil)
	require.Equal(t, http.StatusOK, status)
	var plans []planJSON
	require.NoError(t, json.Unmarshal([]byte(body), &plans))
	require.Len(t, plans, 1)
	assert.Equal(t, "7", plans[0].Watermark)
	assert.NotNil(t, plans[0].Next)
	_, body = call("scene-tok", "GET", "/api/v1/schedules", nil)
	assert.JSONEq(t, "[]", body, "no schedule of an entry the caller may not configure")

	status, body = call("scene-tok", "GET", "/api/v1/connectors", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"kind": "rest"`)

	status, _ = call("air-tok", "DELETE", path, nil)
	assert.Equal(t, http.StatusBadRequest, status, "no base")
	status, _ = call("scene-tok", "DELETE", path+"?base=1", nil)
	assert.Equal(t, http.StatusForbidden, status)
	status, body = call("air-tok", "DELETE", fmt.Sprintf("%s?base=%d", path, conn.Revision), nil)
	assert.Equal(t, http.StatusNoContent, status, body)
	status, body = call("air-tok", "GET", path, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, "没有配置归集连接")
}

func mustRun(t *testing.T, cat *catalog.Store, id string) *catalog.Run {
	t.Helper()
	r, err := cat.View().Run(id)
	require.NoError(t, err)
	return r
}

// A pull by hand takes one of the places a submission would: while the caller's pull waits on a
// slow system, a second one is refused as busy, and the first still completes.
func TestPullBoundedLikeSubmissions(t *testing.T) {
	srv, cat, _ := submissionServerWith(t, NewUploads(4, 1))
	ctx := context.Background()
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "air", Name: "大气处数据管理员", Role: catalog.RoleSteward,
		Department: "DIV_AIR", Clearance: schemas.Core, TokenHash: catalog.HashToken("air-tok")}))
	entered, release := make(chan struct{}, 1), make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []map[string]any{{"qx": "500103", "n": 5}}})
	}))
	defer api.Close()
	put := func(method, path string, body any) int {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer air-tok")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, put("PUT", "/api/v1/entries/0201%2F000003/connection", map[string]any{"kind": "rest", "config": map[string]string{
		"url": api.URL, "mapping": "district_code=qx; enterprise_count=n", "watermark_field": "enterprise_count", "pagination": "none"}}))
	first := make(chan int, 1)
	go func() { first <- put("POST", "/api/v1/entries/0201%2F000003/pull", nil) }()
	<-entered
	assert.Equal(t, http.StatusTooManyRequests, put("POST", "/api/v1/entries/0201%2F000003/pull", nil), "the caller's place is taken")
	close(release)
	assert.Equal(t, http.StatusCreated, <-first)
}
