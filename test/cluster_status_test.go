package test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestClusterStatusNeedsAdministrator: GET /api/v1/cluster answers only a principal
// catalog.MayInspectCluster allows. The steward and its token are created through a follower,
// whose REST writes reach the leader, and read back on another node with the index the write
// returned.
func TestClusterStatusNeedsAdministrator(t *testing.T) {
	c := startCluster(t, "--cluster-min-index-wait", "300ms")
	leader, _ := c.waitLeader(30 * time.Second)
	var follower, other *clusterNode
	for _, n := range c.nodes {
		switch {
		case n == leader:
		case follower == nil:
			follower = n
		default:
			other = n
		}
	}
	post := func(n *clusterNode, path, body string) (map[string]any, string) {
		req, _ := http.NewRequest("POST", "http://"+n.http+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out, resp.Header.Get("X-Ecolake-Index")
	}
	post(follower, "/api/v1/principals", `{"id":"steward-a","name":"测试管理员甲","role":"steward","clearance":"CORE"}`)
	tok, idx := post(follower, "/api/v1/principals/steward-a/tokens", `{"name":"集群测试"}`)
	secret, _ := tok["secret"].(string)
	require.NotEmpty(t, secret)
	require.NotEmpty(t, idx, "a forwarded write returns the index it was committed at")

	get := func(token string) int {
		req, _ := http.NewRequest("GET", "http://"+other.http+"/api/v1/cluster", nil)
		req.Header.Set("X-Ecolake-Min-Index", idx)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	// The steward reads on another node through the index its token was created at.
	r := other.gql(context.Background(), secret, `{ departments { code } }`, nil, mustUint(t, idx))
	require.True(t, r.ok(), "%v %v", r.err, r.errs)
	require.Equal(t, http.StatusUnauthorized, get(""))
	for _, n := range c.nodes {
		code, body := httpGet(n, "/readyz", "")
		require.Equal(t, http.StatusOK, code, body)
	}
	// An index the cluster has not reached is waited for a bounded time, then refused; a
	// malformed one is refused at once.
	r = other.gql(context.Background(), c.token, `{ departments { code } }`, nil, mustUint(t, idx)+1_000_000)
	require.False(t, r.ok())
	require.Contains(t, strings.Join(r.errs, " "), "未追上所要求的版本")
	bad, _ := http.NewRequest("GET", "http://"+other.http+"/api/v1/cluster", nil)
	bad.Header.Set("Authorization", "Bearer "+c.token)
	bad.Header.Set("X-Ecolake-Min-Index", "昨天")
	resp, err := http.DefaultClient.Do(bad)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	_, metrics := httpGet(leader, "/metrics", c.token)
	require.Contains(t, metrics, "ecolake_raft_leader_ready 1")
	require.Contains(t, metrics, `ecolake_raft_state{state="Leader"} 1`)
	require.Contains(t, metrics, "ecolake_raft_commit_index")
	_, metrics = httpGet(follower, "/metrics", c.token)
	require.Contains(t, metrics, `ecolake_raft_state{state="Follower"} 1`)
	require.Contains(t, metrics, "ecolake_raft_leader_known 1")
	require.Equal(t, http.StatusForbidden, get(secret), "a steward may not read the cluster's digest")
	require.Equal(t, http.StatusOK, get(c.token))
}

// httpGet answers GET path on n, with token when not empty.
func httpGet(n *clusterNode, path, token string) (int, string) {
	req, _ := http.NewRequest("GET", "http://"+n.http+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := gqlClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func mustUint(t *testing.T, s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	require.NoError(t, err)
	return v
}
