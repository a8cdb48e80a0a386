package test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// get sends a GET with a bearer token ("" for none) and headers, and returns the answer.
func (s *server) get(path, token string, header ...string) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	require.NoError(s.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// metric is the value of the first series of name in a scrape by token whose labels include
// the pairs given; ok false when there is none.
func (s *server) metric(token, name string, labels ...string) (float64, bool) {
	s.t.Helper()
	resp, raw := s.get("/metrics", token)
	require.Equal(s.t, http.StatusOK, resp.StatusCode, raw)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(raw))
	require.NoError(s.t, err)
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
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
		}
	}
	return 0, false
}

// TestServeOpsDoors: `ecolake serve` is ready once the demo is loaded; /metrics answers the
// steward and refuses no token, a district account and the demo's manager (whose clearance does
// not show every entry); a GraphQL request is counted, its X-Request-ID is the client's and its
// log line carries it; the lake folder moved away makes the service not ready, naming the lake,
// and ready again once it is back.
func TestServeOpsDoors(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, nil, "--demo", "--log-format", "json", "--log-level", "debug")

	resp, body := s.get("/readyz", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "ready\n", body)

	for tok, want := range map[string]int{"": 401, "demo-wanzhou": 403, "demo-manager": 403, "demo-steward": 200} {
		resp, body := s.get("/metrics", tok)
		assert.Equal(t, want, resp.StatusCode, "%q: %s", tok, body)
	}
	target, ok := s.metric("demo-steward", "ecolake_collection_target")
	require.True(t, ok)
	assert.Equal(t, 0.9, target)
	_, ok = s.metric("demo-steward", "ecolake_cache_hit_ratio")
	assert.True(t, ok, "the cache is wired to the metrics")
	den, ok := s.metric("demo-steward", "ecolake_collection_denominator")
	require.True(t, ok)
	assert.Positive(t, den, "the demo directory has entries due")
	before, _ := s.metric("demo-steward", "ecolake_graphql_requests_total", "outcome", "OK")

	req, _ := http.NewRequest("POST", s.base+"/graphql",
		bytes.NewReader([]byte(`{"query":"{ air_emission_reduction_counts_aggregate { count } }"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer demo-public")
	req.Header.Set("X-Request-ID", "ops-test-0001")
	gresp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = gresp.Body.Close()
	require.Equal(t, http.StatusOK, gresp.StatusCode)
	assert.Equal(t, "ops-test-0001", gresp.Header.Get("X-Request-ID"))
	after, _ := s.metric("demo-steward", "ecolake_graphql_requests_total", "outcome", "OK")
	assert.Equal(t, before+1, after)
	assert.Contains(t, s.out.String(), `"request":"ops-test-0001"`, "the request line carries the id")

	lake := filepath.Join(dir, "lake")
	require.NoError(t, os.Rename(lake, lake+".moved"))
	body = s.waitReady(http.StatusServiceUnavailable)
	assert.Contains(t, body, "数据湖 (lake): 数据湖不可访问")
	assert.NotContains(t, body, dir, "no path in an unauthenticated answer")
	require.NoError(t, os.Rename(lake+".moved", lake))
	s.waitReady(http.StatusOK)
	s.stop(syscall.SIGTERM)
}

// waitReady asks /readyz until it answers want (the lake probe's result is kept for a second)
// and returns the body.
func (s *server) waitReady(want int) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, body := s.get("/readyz", "")
		if resp.StatusCode == want {
			return body
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("/readyz still %d, want %d: %s", resp.StatusCode, want, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
