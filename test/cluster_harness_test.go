package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clusterNode is one `ecolake serve --cluster` process of a test cluster; it can be killed and
// started again on the same data directory and addresses.
type clusterNode struct {
	t    *testing.T
	id   string
	dir  string
	http string // host:port
	raft string
	args []string
	env  []string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

type testCluster struct {
	t     *testing.T
	nodes []*clusterNode
	token string // the first administrator's, printed by the first leader
}

// clusterLayout places a test cluster's raft addresses; the zero layout puts every node on
// 127.0.0.1 with the peers reaching it directly.
type clusterLayout struct {
	raftBind func(i int) string              // node i listens for raft here
	peerRaft func(i int, bind string) string // and its peers reach it here
	env      []string                        // added to every node's environment
}

// startCluster starts three clustered nodes on loopback ports, waits until one leads and reads
// the administrator's token it printed.
func startCluster(t *testing.T, extra ...string) *testCluster {
	return startClusterWith(t, clusterLayout{}, extra...)
}

func startClusterWith(t *testing.T, layout clusterLayout, extra ...string) *testCluster {
	c := &testCluster{t: t}
	var peers []string
	for i := range 3 {
		n := &clusterNode{t: t, id: fmt.Sprintf("n%d", i+1), dir: t.TempDir(), http: freeAddr(t)}
		if layout.raftBind != nil {
			n.raft = layout.raftBind(i)
		} else {
			n.raft = freeAddr(t)
		}
		reach := n.raft
		if layout.peerRaft != nil {
			reach = layout.peerRaft(i, n.raft)
		}
		n.env = layout.env
		c.nodes = append(c.nodes, n)
		peers = append(peers, "--cluster-peer", n.id+","+reach+","+n.http)
	}
	for _, n := range c.nodes {
		n.args = append([]string{"serve", "--data", n.dir, "--addr", n.http, "--scheduler=false", "--gc-interval", "0",
			"--cluster", "--cluster-node-id", n.id, "--cluster-raft-addr", n.raft}, peers...)
		n.args = append(n.args, extra...)
		n.start()
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.kill()
		}
	})
	re := regexp.MustCompile(`令牌:\s+(\S+)`)
	require.Eventually(t, func() bool {
		for _, n := range c.nodes {
			if m := re.FindStringSubmatch(n.out.String()); m != nil {
				c.token = m[1]
				return true
			}
		}
		return false
	}, 60*time.Second, 50*time.Millisecond, "no node printed the administrator's token")
	return c
}

func (n *clusterNode) start() {
	n.t.Helper()
	n.out = &syncBuffer{}
	n.done = make(chan error, 1)
	n.cmd = exec.Command(binary, n.args...)
	n.cmd.Env = append(os.Environ(), n.env...)
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	require.NoError(n.t, n.cmd.Start())
	go func() { n.done <- n.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-n.done:
			n.t.Fatalf("node %s exited before answering: %v\n%s", n.id, err, n.out.String())
		default:
		}
		if resp, err := http.Get("http://" + n.http + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Fatalf("node %s did not answer in time:\n%s", n.id, n.out.String())
}

// kill ends the process with SIGKILL, as a machine that dies.
func (n *clusterNode) kill() {
	if n.cmd == nil || n.cmd.ProcessState != nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	n.cmd = nil
}

func (n *clusterNode) alive() bool { return n.cmd != nil }

// nodeStatus is GET /api/v1/cluster.
type nodeStatus struct {
	Node   string `json:"node"`
	State  string `json:"state"`
	Leader string `json:"leader"`
	Ready  bool   `json:"ready"`
	Term   uint64 `json:"term"`
	Index  uint64 `json:"index"`
	Digest string `json:"digest"`
}

func (c *testCluster) status(n *clusterNode, token string) (nodeStatus, int, error) {
	req, _ := http.NewRequest("GET", "http://"+n.http+"/api/v1/cluster", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nodeStatus{}, 0, err
	}
	defer resp.Body.Close()
	var st nodeStatus
	if resp.StatusCode == 200 {
		err = json.NewDecoder(resp.Body).Decode(&st)
	}
	return st, resp.StatusCode, err
}

// waitLeader waits for a running node to report itself the ready leader and returns it with the
// time waited.
func (c *testCluster) waitLeader(bound time.Duration) (*clusterNode, time.Duration) {
	c.t.Helper()
	began := time.Now()
	for time.Since(began) < bound {
		for _, n := range c.nodes {
			if !n.alive() {
				continue
			}
			if st, code, err := c.status(n, c.token); err == nil && code == 200 && st.Ready {
				return n, time.Since(began)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no leader within %s", bound)
	return nil, 0
}

// converge waits until every node reports the same catalogue index and digest, and returns them.
func (c *testCluster) converge(bound time.Duration) (uint64, string) {
	c.t.Helper()
	var last []nodeStatus
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		last = last[:0]
		same := true
		for _, n := range c.nodes {
			st, code, err := c.status(n, c.token)
			if err != nil || code != 200 {
				same = false
				break
			}
			last = append(last, st)
			if st.Digest != last[0].Digest || st.Index != last[0].Index {
				same = false
			}
		}
		if same && len(last) == len(c.nodes) {
			return last[0].Index, last[0].Digest
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("nodes did not converge within %s: %+v", bound, last)
	return 0, ""
}

// gqlResult is one GraphQL call to a node: the answer, or why there was none.
type gqlResult struct {
	status int
	index  uint64 // X-Ecolake-Index
	data   map[string]any
	errs   []string
	err    error
}

func (r gqlResult) ok() bool { return r.err == nil && r.status == 200 && len(r.errs) == 0 }

var gqlClient = &http.Client{Timeout: 15 * time.Second}

func (n *clusterNode) gql(ctx context.Context, token, query string, vars map[string]any, minIndex uint64) gqlResult {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+n.http+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if minIndex > 0 {
		req.Header.Set("X-Ecolake-Min-Index", strconv.FormatUint(minIndex, 10))
	}
	resp, err := gqlClient.Do(req)
	if err != nil {
		return gqlResult{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return gqlResult{err: err}
	}
	r := gqlResult{status: resp.StatusCode}
	r.index, _ = strconv.ParseUint(resp.Header.Get("X-Ecolake-Index"), 10, 64)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		r.errs = []string{string(raw)}
		return r
	}
	r.data = out.Data
	for _, e := range out.Errors {
		r.errs = append(r.errs, e.Message)
	}
	if r.status != 200 && len(r.errs) == 0 {
		r.errs = []string{string(raw)}
	}
	return r
}

func (n *clusterNode) logTail() string {
	s := n.out.String()
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return filepath.Base(n.dir) + ":\n" + s
}
