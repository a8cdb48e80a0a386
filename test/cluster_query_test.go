package test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startQueryNode starts `serve --role query` following c's nodes with token.
func (c *testCluster) startQueryNode(token string) *clusterNode {
	q := &clusterNode{t: c.t, id: "q1", dir: c.t.TempDir(), http: freeAddr(c.t), env: []string{"ECOLAKE_CLUSTER_TOKEN=" + token}}
	q.args = []string{"serve", "--data", q.dir, "--addr", q.http, "--scheduler=false", "--gc-interval", "0", "--role", "query"}
	for _, n := range c.nodes {
		peer := ""
		for i := 0; i+1 < len(n.args); i++ {
			if n.args[i] == "--cluster-peer" && strings.HasPrefix(n.args[i+1], n.id+",") {
				peer = n.args[i+1]
			}
		}
		q.args = append(q.args, "--cluster-peer", peer)
	}
	q.start()
	c.t.Cleanup(q.kill)
	return q
}

// putUntilAcknowledged retries a department write on n until the cluster acknowledges it and
// returns the index it came back with.
func putUntilAcknowledged(t *testing.T, c *testCluster, n *clusterNode, code, name string) uint64 {
	var last gqlResult
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		last = n.gql(context.Background(), c.token, putDeptDoc, map[string]any{"c": code, "n": name}, 0)
		if last.ok() {
			require.Positive(t, last.index)
			return last.index
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("write through %s not acknowledged: %v %v", n.id, last.err, last.errs)
	return 0
}

func deptName(t *testing.T, c *testCluster, n *clusterNode, code string, minIndex uint64) string {
	r := n.gql(context.Background(), c.token, listDeptsDoc, nil, minIndex)
	require.True(t, r.ok(), "%v %v", r.err, r.errs)
	require.GreaterOrEqual(t, r.index, minIndex)
	for _, d := range r.data["departments"].([]any) {
		if m := d.(map[string]any); m["code"] == code {
			return m["name"].(string)
		}
	}
	return ""
}

// TestClusterQueryNode: a query node follows the cluster's catalogue from a checkpoint and the
// feed, answers reads from it (a write's index read back through it), passes writes on to the
// cluster, keeps following when the node it followed dies, and ends with the cluster's state
// exactly; clients using it with the cluster's nodes see a linearizable history. The feed is only for principals catalog.MayFollowCatalogue allows.
func TestClusterQueryNode(t *testing.T) {
	c := startCluster(t)
	leader, _ := c.waitLeader(30 * time.Second)
	putUntilAcknowledged(t, c, leader, "QBEFORE", "查询节点启动前")
	// A query node whose token the cluster refuses gets no catalogue, and says so.
	refused := c.startQueryNode("not-a-token")
	require.Eventually(t, func() bool {
		code, body := httpGet(refused, "/readyz", "")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "查询节点尚未从目录集群取得目录")
	}, 10*time.Second, 50*time.Millisecond)
	time.Sleep(time.Second)
	code, _ := httpGet(refused, "/readyz", "")
	require.Equal(t, http.StatusServiceUnavailable, code)
	refused.kill()

	q := c.startQueryNode(c.token)
	require.Eventually(t, func() bool {
		code, _ := httpGet(q, "/readyz", "")
		return code == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "the query node is ready once it holds the catalogue")

	idx := putUntilAcknowledged(t, c, q, "QVIA", "经查询节点写入")
	require.Equal(t, "经查询节点写入", deptName(t, c, q, "QVIA", idx), "the query node reads its own write")
	require.Equal(t, "查询节点启动前", deptName(t, c, q, "QBEFORE", idx))
	idx = putUntilAcknowledged(t, c, leader, "QLEADER", "经主节点写入")
	require.Equal(t, "经主节点写入", deptName(t, c, q, "QLEADER", idx), "the query node follows the leader's writes")

	// The clients of TestClusterSurvivesLosingNodes run against the three nodes and the query
	// node while the first peer, which the query node follows and forwards to, dies and comes back.
	cluster := c.nodes
	c.nodes = append(c.nodes[:len(cluster):len(cluster)], q)
	h, stop, wait := runWorkload(c)
	time.Sleep(2 * time.Second)
	cluster[0].kill()
	c.waitLeader(30 * time.Second)
	for i := range 5 {
		code := fmt.Sprintf("QAFTER%d", i)
		idx = putUntilAcknowledged(t, c, q, code, "节点故障后")
		require.Equal(t, "节点故障后", deptName(t, c, q, code, idx))
	}
	cluster[0].start()
	time.Sleep(2 * time.Second)
	stop()
	wait()
	// Every node, the query node among them, ends with the same state; the history of reads and
	// writes through all four is linearizable.
	checkHistory(t, c, h)

	// Only an administrator cleared for core data follows the catalogue.
	c.restCreate(leader, "/api/v1/principals", `{"id":"steward-q","name":"测试管理员丙","role":"steward","clearance":"CORE"}`, c.token)
	secret := c.restCreate(leader, "/api/v1/principals/steward-q/tokens", `{"name":"集群测试"}`, c.token)["secret"].(string)
	for _, path := range []string{"/api/v1/cluster/checkpoint", "/api/v1/cluster/feed?after=0&wait=0s"} {
		for token, want := range map[string]int{"": http.StatusUnauthorized, secret: http.StatusForbidden, c.token: http.StatusOK} {
			req, _ := http.NewRequest("GET", "http://"+leader.http+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			require.Eventually(t, func() bool {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return false
				}
				resp.Body.Close()
				return resp.StatusCode == want
			}, 10*time.Second, 50*time.Millisecond, "%s with token %q", path, token)
		}
	}
}
