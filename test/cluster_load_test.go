package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loadEntry is an entry of the cluster tests that submissions load into, on the shared lake.
type loadEntry struct {
	code, table string
}

// createLoadEntry registers and publishes an entry through the cluster, as the administrator.
func createLoadEntry(t *testing.T, c *testCluster, via *clusterNode) loadEntry {
	ctx := context.Background()
	must := func(r gqlResult) map[string]any {
		t.Helper()
		require.True(t, r.ok(), "%v %v", r.err, r.errs)
		return r.data
	}
	must(via.gql(ctx, c.token, putDeptDoc, map[string]any{"c": "DIV_WATER", "n": "水生态环境处"}, 0))
	created := must(via.gql(ctx, c.token, `mutation($in: EntryInput!) { createEntry(input: $in) { resourceCode revision } }`, map[string]any{"in": map[string]any{
		"name": "集群测试断面读数", "category": "地表水环境质量", "providerName": "重庆市生态环境局", "providerCode": "11500000MB1534567X",
		"abstract": "集群测试用的合成读数", "formatType": "DATABASE", "shareMode": "TABLE", "updateCycle": "DAILY",
		"department": "DIV_WATER", "district": "500000", "sourceKind": "DISTRICT_SUBMISSION", "domains": []any{"WATER"},
		"items": []any{
			map[string]any{"name": "读数编号", "field": "reading", "type": "STRING", "grade": "GENERAL_1", "isKey": true, "required": true},
			map[string]any{"name": "读数", "field": "value", "type": "INT", "grade": "GENERAL_1"},
		},
	}}, 0))["createEntry"].(map[string]any)
	code := created["resourceCode"].(string)
	// The entry is approved by a reviewer other than its submitter.
	reviewer := c.restCreate(via, "/api/v1/principals", `{"id":"rv-cluster","name":"审核员乙","role":"reviewer","clearance":"CORE"}`, c.token)
	require.NotNil(t, reviewer)
	tok := c.restCreate(via, "/api/v1/principals/rv-cluster/tokens", `{"name":"集群测试"}`, c.token)
	rvToken := tok["secret"].(string)
	for _, step := range []struct{ op, token string }{{"submitEntry", c.token}, {"approveEntry", rvToken}} {
		rev := must(via.gql(ctx, c.token, `query($c: String!) { entry(code: $c) { revision } }`, map[string]any{"c": code}, 0))
		base := rev["entry"].(map[string]any)["revision"]
		doc := fmt.Sprintf(`mutation($c: String!, $b: Long!) { %s(code: $c, base: $b, comment: "集群测试") { status } }`, step.op)
		must(via.gql(ctx, step.token, doc, map[string]any{"c": code, "b": base}, 0))
	}
	e := must(via.gql(ctx, c.token, `query($c: String!) { entry(code: $c) { status table } }`, map[string]any{"c": code}, 0))["entry"].(map[string]any)
	require.Equal(t, "PUBLISHED", e["status"])
	return loadEntry{code: code, table: e["table"].(string)}
}

// restCreate posts body to path on n as token and returns the decoded 201 answer.
func (c *testCluster) restCreate(n *clusterNode, path, body, token string) map[string]any {
	c.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+n.http+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(c.t, http.StatusCreated, resp.StatusCode, "%s", raw)
	var out map[string]any
	require.NoError(c.t, json.Unmarshal(raw, &out))
	return out
}

// loads is what a loader submitted: rows of acknowledged loads, and of loads whose outcome is
// not known.
type loads struct {
	mu               sync.Mutex
	acked, unknown   int
	ackedN, unknownN int
	refusedN         int
}

// submit posts a CSV of n synthetic readings (tagged so that no two loads share a key) to n's
// submissions door.
func (e loadEntry) submit(ctx context.Context, node *clusterNode, token, tag string, n int) (int, string, error) {
	var b strings.Builder
	b.WriteString("读数编号,读数\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-%04d,%d\n", tag, i, i)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "readings.csv")
	_, _ = fw.Write([]byte(b.String()))
	_ = mw.Close()
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+node.http+"/api/v1/entries/"+url.PathEscape(e.code)+"/submissions", &buf)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	client := http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), nil
}

// runLoader submits loads to every running node in turn until ctx ends.
func runLoader(ctx context.Context, c *testCluster, e loadEntry, l *loads, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; ctx.Err() == nil; k++ {
			node := c.nodes[k%len(c.nodes)]
			if !node.alive() {
				continue
			}
			n := 20 + k%13
			code, body, err := e.submit(ctx, node, c.token, fmt.Sprintf("L%05d", k), n)
			l.mu.Lock()
			switch {
			case err == nil && code == http.StatusCreated:
				l.acked += n
				l.ackedN++
			case notSent(gqlResult{err: err, errs: []string{body}}):
				l.refusedN++
			default:
				l.unknown += n
				l.unknownN++
			}
			l.mu.Unlock()
			if code != http.StatusCreated {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()
}

// checkLoads reads the entry's row count on every node at the highest index seen: the same
// everywhere, every acknowledged load's rows in it, and no rows but those of loads submitted.
func checkLoads(t *testing.T, c *testCluster, e loadEntry, l *loads, minIndex uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("loads: %d acknowledged (%d rows), %d outcome unknown (%d rows), %d refused", l.ackedN, l.acked, l.unknownN, l.unknown, l.refusedN)
	require.Positive(t, l.ackedN, "loads are acknowledged")
	var counts []int
	for _, n := range c.nodes {
		r := n.gql(context.Background(), c.token, fmt.Sprintf(`{ %s_aggregate { count } }`, e.table), nil, minIndex)
		require.True(t, r.ok(), "%v %v", r.err, r.errs)
		agg := r.data[e.table+"_aggregate"].([]any)[0].(map[string]any)
		counts = append(counts, int(agg["count"].(float64)))
	}
	require.Equal(t, counts[0], counts[1], "every node reads the same rows")
	require.Equal(t, counts[0], counts[2], "every node reads the same rows")
	require.GreaterOrEqual(t, counts[0], l.acked, "an acknowledged load was lost")
	require.LessOrEqual(t, counts[0], l.acked+l.unknown, "rows appeared that no load sent")
}
