package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// opsEnv is a whole service behind Routes — catalogue, local lake, cache, ingest, query with its
// audit — for the operators' doors: /readyz, /metrics and request ids. The entry and the
// steward ("tok") are submissionServer's, so postFile submits to it.
type opsEnv struct {
	t       *testing.T
	cat     *catalog.Store
	lakeDir string
	query   *query.Service
	audit   *audit.Log
	srv     *httptest.Server
}

// Tokens of the ops tests' accounts beside the steward's "tok".
const (
	tokOpsManager  = "mgr-tok"     // manager, CORE: may scrape
	tokOpsAnalyst  = "analyst-tok" // analyst, CORE: refused
	tokOpsDistrict = "wz-tok"      // 万州区: refused
)

func newOpsEnv(t *testing.T) *opsEnv {
	t.Helper()
	srv, cat, _ := submissionServerWith(t, nil) // the catalogue and its entry; its server is not used
	srv.Close()
	ctx := context.Background()
	for _, p := range []catalog.Principal{
		{ID: "mgr", Name: "局领导", Role: catalog.RoleManager, Clearance: schemas.Core, TokenHash: catalog.HashToken(tokOpsManager)},
		{ID: "analyst", Name: "分析", Role: catalog.RoleAnalyst, Clearance: schemas.Core, TokenHash: catalog.HashToken(tokOpsAnalyst)},
		{ID: "wz", Name: "万州区", Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"},
			TokenHash: catalog.HashToken(tokOpsDistrict)},
	} {
		require.NoError(t, cat.PutPrincipal(ctx, p))
	}
	e := &opsEnv{t: t, cat: cat, lakeDir: t.TempDir()}
	bucket, err := local.New(e.lakeDir)
	require.NoError(t, err)
	icfg := ingest.DefaultConfig()
	icfg.MaxRejectedShare = 1 // a file's valid rows are committed beside its rejected ones
	in := ingest.New(cat, bucket, icfg, nil)
	cache, err := lake.NewCache(bucket, t.TempDir(), 1<<20)
	require.NoError(t, err)
	e.audit, err = audit.Open(t.TempDir(), 0, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.audit.Close() })
	qcfg := query.DefaultConfig()
	qcfg.Audit = e.audit
	e.query, err = query.New(cat, bucket, cache, qcfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.query.Close() })
	gc := GCResult{Started: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC), Took: 3 * time.Second, Expired: 2, Deleted: 5,
		Bytes: 4096, Scanned: 40, Purged: 7}
	e.srv = httptest.NewServer((&Server{Cat: cat, Bucket: bucket, Ingest: in, Query: e.query, Cache: cache,
		LastGC: func() GCResult { return gc }, CollectionTarget: 0.9}).Routes())
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request as token ("" for none) with the given headers.
func (e *opsEnv) do(method, path, token string, body []byte, header ...string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, string(raw)
}

// gql posts a GraphQL query as token and returns the answer, which must have no errors.
func (e *opsEnv) gql(token, q string, header ...string) *http.Response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q})
	resp, raw := e.do("POST", "/graphql", token, body, append([]string{"Content-Type", "application/json"}, header...)...)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, raw)
	var res struct {
		Errors []any `json:"errors"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(raw), &res), raw)
	require.Empty(e.t, res.Errors, raw)
	return resp
}

// scrape reads /metrics as token and parses it.
func (e *opsEnv) scrape(token string) map[string]*dto.MetricFamily {
	e.t.Helper()
	resp, raw := e.do("GET", "/metrics", token, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, raw)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(raw))
	require.NoError(e.t, err)
	return fams
}

// value is the value of the series of family name whose labels include want (nil for any), and
// whether there is one; histograms give their count.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func (e *opsEnv) val(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	e.t.Helper()
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	v, ok := value(fams, name, want)
	require.True(e.t, ok, "%s%v missing", name, want)
	return v
}

// TestMetricsRefused: no token is 401, a bad token 401, and an analyst and a district account —
// whom catalog.MayReadMetrics refuses — 403 in Chinese, with no metric in the answer.
func TestMetricsRefused(t *testing.T) {
	e := newOpsEnv(t)
	for _, c := range []struct {
		tok  string
		want int
		text string
	}{
		{"", http.StatusUnauthorized, "未认证"},
		{"not-a-token", http.StatusUnauthorized, "未认证"},
		{tokOpsAnalyst, http.StatusForbidden, "无权读取运行指标"},
		{tokOpsDistrict, http.StatusForbidden, "无权读取运行指标"},
	} {
		resp, body := e.do("GET", "/metrics", c.tok, nil)
		assert.Equal(t, c.want, resp.StatusCode, c.tok)
		assert.Contains(t, body, c.text, c.tok)
		assert.NotContains(t, body, "ecolake_", c.tok)
	}
}

// TestMetricsCountRequestsAndRuns: the steward and a manager may scrape; after a GraphQL request
// and a submission with one rejected row, the counters moved by exactly what was done, and the
// figures read at scrape time are there.
func TestMetricsCountRequestsAndRuns(t *testing.T) {
	e := newOpsEnv(t)
	before := e.scrape(tokOpsManager)
	okBefore, _ := value(before, "ecolake_graphql_requests_total", map[string]string{"outcome": audit.OutcomeOK})
	_, hadRuns := value(before, "ecolake_ingest_runs_total", nil)
	assert.False(t, hadRuns, "no run yet")

	status, raw := postFile(t, e.srv, "报送.csv", []byte("区县,数量\n万州区,1\n江北区,x\n"), nil)
	require.Less(t, status, 300, string(raw))
	e.gql("tok", `{ air_emission_reduction_counts(limit: 5) { enterprise_count } }`)

	after := e.scrape("tok")
	assert.Equal(t, okBefore+1, e.val(after, "ecolake_graphql_requests_total", "outcome", audit.OutcomeOK))
	assert.Equal(t, 1.0, e.val(after, "ecolake_ingest_runs_started_total"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_ingest_runs_total", "outcome", "partial"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_ingest_rows_total", "result", "accepted"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_ingest_rows_total", "result", "rejected"))
	assert.Positive(t, e.val(after, "ecolake_ingest_bytes_total", "outcome", "partial"))

	// HTTP requests by route pattern, never by raw path.
	assert.Equal(t, 1.0, e.val(after, "ecolake_http_requests_total", "door", "POST /api/v1/entries/{code}/submissions", "code", "2xx"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_http_requests_total", "door", "/graphql", "code", "2xx"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_http_request_duration_seconds", "door", "/graphql"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_http_requests_total", "door", "GET /metrics", "code", "2xx"), "the first scrape")
	for _, m := range after["ecolake_http_requests_total"].Metric {
		for _, l := range m.Label {
			assert.NotContains(t, l.GetValue(), "0201", "no raw path in a label")
		}
	}

	// The catalogue's journal, the schema, the figure and the last gc, read at scrape time.
	assert.Positive(t, e.val(after, "ecolake_journal_bytes_total"))
	assert.Positive(t, e.val(after, "ecolake_journal_syncs_total"))
	assert.Zero(t, e.val(after, "ecolake_journal_failed"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_schema_ready"))
	assert.Greater(t, e.val(after, "ecolake_schema_generation"), e.val(before, "ecolake_schema_generation"), "the load made a new generation")
	assert.Equal(t, 1.0, e.val(after, "ecolake_collection_denominator"))
	assert.Equal(t, 1.0, e.val(after, "ecolake_collection_numerator"), "the yearly entry was just loaded")
	assert.Equal(t, 1.0, e.val(after, "ecolake_collection_rate"))
	assert.Equal(t, 0.9, e.val(after, "ecolake_collection_target"))
	assert.Equal(t, 5.0, e.val(after, "ecolake_gc_last_deleted_objects"))
	assert.Equal(t, 3.0, e.val(after, "ecolake_gc_last_duration_seconds"))
	assert.Equal(t, float64(time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC).Unix()), e.val(after, "ecolake_gc_last_run_timestamp_seconds"))
	assert.Zero(t, e.val(after, "ecolake_gc_last_errors"))
	assert.Equal(t, 7.0, e.val(after, "ecolake_gc_last_purged_records"))
	_, ok := value(after, "ecolake_cache_hit_ratio", nil)
	assert.True(t, ok)
}

// TestMetricsRefusedScrapeCounted: a refused scrape is an HTTP request like any other, counted
// under its door with its status class.
func TestMetricsRefusedScrapeCounted(t *testing.T) {
	e := newOpsEnv(t)
	e.do("GET", "/metrics", tokOpsDistrict, nil)
	e.do("GET", "/no/such/door", "", nil)
	fams := e.scrape("tok")
	assert.Equal(t, 1.0, e.val(fams, "ecolake_http_requests_total", "door", "GET /metrics", "code", "4xx"))
	assert.Equal(t, 1.0, e.val(fams, "ecolake_http_requests_total", "door", "unmatched", "code", "4xx"))
}
